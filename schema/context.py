"""The per-request context every resolver receives (built by the gateway in get_context)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

import strawberry

from jewgo.flags.admin import FlagAdmin
from jewgo.flags.decide import Subject
from jewgo.flags.metrics import WindowMetrics
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.sync import Flags
from jewgo.resolvers.domain import Viewer
from jewgo.resolvers.errors import DomainError
from jewgo.resolvers.router import VersionRouter


class ComponentStatus(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def detail(self) -> str | None: ...


@dataclass
class Context:
    request_id: str
    viewer: Viewer | None
    router: VersionRouter
    flags: Flags
    # The flags as they stood when the request began: one request, one set of decisions.
    snapshot: Snapshot
    subject: Subject
    metrics: WindowMetrics
    metrics_window_seconds: int
    health: Callable[[], Awaitable[Sequence[ComponentStatus]]]
    admin: FlagAdmin
    max_page_size: int = 100
    # api_v4_error_handling: v4's input errors carry `extensions.fields`.
    detailed_errors: bool = False
    # An error that refuses the whole request before execution (bad token, a forced
    # version from a non-admin); raised by the RequestGuard extension.
    refusal: DomainError | None = None
    # Filled during execution and read by the request log.
    error_codes: list[str] = field(default_factory=list)
    operation_name: str | None = None
    operation_type: str | None = None


Info: TypeAlias = strawberry.Info[Context, None]
