"""The per-request context every resolver receives (built by the gateway in get_context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry

from flags.decide import Subject
from flags.snapshot import Snapshot
from flags.sync import Flags
from resolvers.domain import Viewer
from resolvers.errors import DomainError
from resolvers.router import VersionRouter


@dataclass
class Context:
    request_id: str
    viewer: Viewer | None
    router: VersionRouter
    flags: Flags
    # The flags as they stood when the request began: one request, one set of decisions.
    snapshot: Snapshot
    subject: Subject
    max_page_size: int = 100
    # An error that refuses the whole request before execution (bad token, a forced
    # version from a non-admin); raised by the RequestGuard extension.
    refusal: DomainError | None = None
    # Filled by extensions and read by the request log.
    error_codes: list[str] = field(default_factory=list)
    operation_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Info: TypeAlias = strawberry.Info[Context, None]
