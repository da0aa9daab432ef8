"""Building a request's context from who asks and what the flags decided.

The view builds one per HTTP request; the shadow builds more for the same caller with
pinned versions. The directory behind a context (repositories, cache, loaders, the two
versions and the router) is built on first use only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from jewgo.db.session import RequestDatabase
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import KnownUsers, People, Person
from jewgo.flags.alerts.decommission import Decommission
from jewgo.flags.alerts.store import AlertStore
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.faults import Faults
from jewgo.flags.stages import Variant
from jewgo.flags.telemetry.noise import DEFAULT_RULE, NoiseRule
from jewgo.flags.telemetry.reach import Reach
from jewgo.flags.telemetry.window import WindowMetrics
from jewgo.resolvers.domain import Domain, Version, Viewer
from jewgo.resolvers.errors import DomainError
from jewgo.resolvers.ports import ChangeSink
from jewgo.resolvers.router import VersionRouter
from jewgo.resolvers.v3.manager import LegacyDataManager
from jewgo.resolvers.v4.backend import V4Backend
from jewgo.resolvers.v4.cache.entries import CacheStore, Ttl
from jewgo.resolvers.v4.cache.reads import CachedReads
from jewgo.resolvers.v4.cache.tags import TaggedReads
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.reads import Reads
from jewgo.resolvers.v4.sql.adapters import SqlReads, SqlUnitOfWork
from jewgo.resolvers.v4.validation import BasicChecks, StrictChecks
from jewgo.schema.context import ComponentStatus, Context, OperationListing

_VERSION = {Variant.V3: Version.V3, Variant.V4: Version.V4}


@dataclass(frozen=True)
class ContextFactory:
    """What a request's context and its directory are made of (built by the wiring)."""

    engine: AsyncEngine
    cache: CacheStore
    ttl: Ttl
    changes: ChangeSink
    faults: Faults
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
    people: People
    max_page_size: int
    noise: NoiseRule = DEFAULT_RULE
    # Whether v4's reads tag what they read (only the response cache needs it).
    tagging: bool = False

    def build(
        self,
        db: RequestDatabase,
        *,
        request_id: str,
        viewer: Viewer | None,
        decisions: RequestDecisions,
        refusal: DomainError | None = None,
        caller: str | None = None,
    ) -> Context:
        tags: set[str] = set()
        return Context(
            request_id=request_id,
            viewer=viewer,
            decisions=decisions,
            directory=lambda: self.directory(db, decisions, tags if self.tagging else None),
            flags=self.flags,
            metrics=self.metrics,
            metrics_window_seconds=self.metrics_window_seconds,
            health=self.health,
            admin=self.admin,
            operations=self.operations,
            alerts=self.alerts,
            reach=self.reach,
            decommission=self.decommission,
            known_users=self.known_users,
            people=DataLoader(self._people),
            max_page_size=self.max_page_size,
            noise=self.noise,
            refusal=refusal,
            caller=caller,
            tags=tags,
        )

    async def _people(self, user_ids: list[int]) -> list[Person | None]:
        found = await self.people(user_ids)
        return [found.get(user_id) for user_id in user_ids]

    def directory(
        self, db: RequestDatabase, decisions: RequestDecisions, tags: set[str] | None = None
    ) -> VersionRouter:
        """The router and both versions for one request (each version built on first use);
        `tags` collects what v4 reads (for the response cache)."""
        reads: Reads = SqlReads(db.reads)
        if decisions.cache:
            reads = CachedReads(reads, self.cache, self.ttl)
        if tags is not None:
            reads = TaggedReads(reads, tags)
        checks = StrictChecks() if decisions.validation else BasicChecks()
        engine, changes = self.engine, self.changes

        def v4() -> V4Backend:
            # Strawberry's DataLoader, created here: resolvers/ imports no Strawberry.
            loaders = Loaders(reads, DataLoader)
            return V4Backend(reads, lambda: SqlUnitOfWork(engine), changes, loaders, checks)

        def choose(domain: Domain) -> Version:
            return _VERSION[decisions.version(domain.value)]

        return VersionRouter(
            choose,
            {Version.V3: lambda: LegacyDataManager(db, changes), Version.V4: v4},
            intercept=self.faults or None,
        )
