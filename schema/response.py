"""The ResponseExtensions extension adds `requestId` and `versions` to every response."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension


class ResponseExtensions(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        return {"requestId": context.request_id, "versions": dict(context.router.versions)}
