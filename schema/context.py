"""The per-request context every resolver receives (built by the gateway in get_context).

A `Context` holds one request's inputs (who asks, what the flags decided, its versions),
what it carries out (`outcome`: error codes, the operation, the cache's status, the tags
of what v4 read) and, in `app`, the `Dependencies` the app built once and every request
shares (the flags, the admin, the metrics, ...)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeAlias

import strawberry
from graphql import DocumentNode
from strawberry.dataloader import DataLoader

from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import KnownUsers, Person
from jewgo.flags.alerts.decommission import Decommission
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.decide import Subject
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.telemetry.noise import DEFAULT_RULE, NoiseRule
from jewgo.flags.telemetry.reach import Reach
from jewgo.flags.telemetry.window import WindowMetrics
from jewgo.resolvers.domain import Domain, Version, Viewer
from jewgo.resolvers.router import Use, VersionRouter
from jewgo.resolvers.versions import Versions
from jewgo.schema.refusal import Refusal


class OperationRecord(Protocol):
    """One entry of the operation registry (gateway.operations.registry.RegisteredOperation)."""

    @property
    def hash(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def type(self) -> str: ...
    @property
    def document(self) -> str: ...
    @property
    def first_seen(self) -> datetime: ...
    @property
    def last_seen(self) -> datetime: ...
    @property
    def count(self) -> int: ...


class DomainCoverageRecord(Protocol):
    @property
    def known(self) -> int: ...

    @property
    def clean(self) -> int: ...

    @property
    def not_clean(self) -> Sequence[str]: ...


class OperationListing(Protocol):
    """The operation registry as the schema reads it."""

    async def listing(
        self, first: int, after: str | None = None, kind: str | None = None
    ) -> Sequence[OperationRecord]: ...

    async def coverage_of(self, domain: str) -> DomainCoverageRecord: ...


class ComponentStatus(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def detail(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RequestCost:
    """The request's static cost, as the gateway weighed it before anything ran."""

    estimated: int  # every operation of the request: a batch's summed
    limit: int  # MAX_QUERY_COST
    mode: str  # QUERY_COST_MODE: "enforce" or "measure"
    operations: int
    report: bool  # the caller asked for `extensions.cost`


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What the app builds once and every request's resolvers share."""

    flags: Flags
    metrics: WindowMetrics
    metrics_window_seconds: int
    health: Callable[[], Awaitable[Sequence[ComponentStatus]]]
    admin: FlagAdmin
    operations: OperationListing
    alerts: AlertStore
    reach: Reach
    decommission: Decommission
    known_users: KnownUsers
    max_page_size: int = 100
    # When a field's shadow mismatches stand out of its noise (flags/telemetry/noise.py).
    noise: NoiseRule = DEFAULT_RULE


@dataclass(slots=True)
class Outcome:
    """What one request carries out: filled as it runs, read by the request log, the
    response cache and accounting."""

    error_codes: list[str] = field(default_factory=list)
    operation_name: str | None = None
    operation_type: str | None = None
    # The document parsed and validated, and execution began.
    executed: bool = False
    # The response cache: HIT or MISS (None: not looked up); a HIT's versions; the tags of
    # every entity and list v4 read for this request (resolvers.v4.cache.tags).
    cache_status: str | None = None
    served_versions: dict[str, str] | None = None
    tags: set[str] = field(default_factory=set)


@dataclass
class Context:
    request_id: str
    viewer: Viewer | None
    # The flags' answers for this request, each taken once from one snapshot.
    decisions: RequestDecisions
    # The request's two versions (each built on first use: an admin mutation or a
    # `__typename` query builds neither), handed to the router.
    backends: Versions
    app: Dependencies
    # The users the audit names (`user:<id>`), by id, all of one request in one query.
    people: DataLoader[int, Person | None]
    # Why the whole request is refused before execution (bad token, a forced version
    # from a non-admin, too costly): a value the RequestGuard extension answers.
    refusal: Refusal | None = None
    # Who calls, as the rollout guard weighs callers: `user:<id>`, else `address:<ip>`.
    caller: str | None = None
    # Documents the gateway parsed (for the cost estimate), by text, which have passed the
    # token limit: none is parsed twice. Set with `cost` before execution.
    documents: dict[str, DocumentNode] = field(default_factory=dict)
    cost: RequestCost | None = None
    # What the request carries out, filled as it runs.
    outcome: Outcome = field(default_factory=Outcome)
    _router: VersionRouter | None = field(default=None, init=False, repr=False)

    @property
    def router(self) -> VersionRouter:
        """The request's router, made on first use."""
        if self._router is None:
            versions = self.backends
            self._router = VersionRouter(
                versions.choose,
                {Version.V3: versions.v3, Version.V4: versions.v4},
                intercept=versions.sources.intercept,
            )
        return self._router

    @property
    def versions(self) -> dict[str, str]:
        """The version that served each domain this request touched (`extensions.versions`)."""
        if self._router is not None:
            return self._router.versions
        served = self.outcome.served_versions
        return served if served is not None else {}

    @property
    def uses(self) -> Mapping[Domain, Use]:
        """How this request used each domain it touched."""
        return self._router.uses if self._router is not None else {}

    def served_by(self, error: BaseException) -> Version | None:
        """The version whose implementation raised `error` (None: raised by no domain's call)."""
        return self._router.served_by(error) if self._router is not None else None

    @property
    def snapshot(self) -> Snapshot:
        """The flags as they stood when the request began: one request, one set of decisions."""
        return self.decisions.snapshot

    @property
    def subject(self) -> Subject:
        return self.decisions.subject

    @property
    def detailed_errors(self) -> bool:
        """api_v4_error_handling: v4's input errors carry `extensions.fields`."""
        return self.decisions.error_handling


Info: TypeAlias = strawberry.Info[Context, None]
