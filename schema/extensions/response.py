"""The ResponseExtensions extension adds `requestId` and `versions` to every response,
and notes the operation's name and type for the request log, and whether the document
was valid and executed (the operation registry records only those)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension


class ResponseExtensions(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        self.execution_context.context.outcome.executed = True
        yield

    def get_results(self) -> dict[str, Any]:
        execution = self.execution_context
        context = execution.context
        try:
            context.outcome.operation_name = execution.operation_name
            context.outcome.operation_type = execution.operation_type.value
        except Exception:  # no document (a syntax error): nothing to note
            pass
        return {"requestId": context.request_id, "versions": dict(context.versions)}
