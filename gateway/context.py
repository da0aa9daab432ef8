"""Building a request's context: who asks, what the flags say, which versions serve it.

The view builds one per HTTP request; the shadow builds more for the same caller with
other versions.
"""

from __future__ import annotations

from collections.abc import Callable

from jewgo.db.session import RequestDatabase
from jewgo.flags.decide import Subject, decide
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import CACHE, ERROR_HANDLING, VALIDATION, Variant
from jewgo.gateway import health
from jewgo.gateway.wiring import Services
from jewgo.resolvers.domain import Version, Viewer
from jewgo.resolvers.errors import DomainError
from jewgo.resolvers.router import Chooser, VersionRouter
from jewgo.resolvers.v3.manager import LegacyDataManager
from jewgo.resolvers.v4.cache import CachedRepositories
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.repositories import Repositories
from jewgo.resolvers.v4.services import V4Backend
from jewgo.resolvers.v4.sql import SqlRepositories
from jewgo.resolvers.v4.unit_of_work import SqlUnitOfWork
from jewgo.resolvers.v4.validation import BasicChecks, StrictChecks
from jewgo.schema.context import Context


def build_context(
    services: Services,
    db: RequestDatabase,
    *,
    request_id: str,
    viewer: Viewer | None,
    subject: Subject,
    snapshot: Snapshot,
    chooser: Chooser,
    cached: Callable[[], bool] | None = None,
    refusal: DomainError | None = None,
) -> Context:
    """A context whose v4 reads go through the cache when `cached()` (by default: when
    the api_v4_cache flag decides V4 for the subject)."""

    def on(flag: str) -> bool:
        return decide(snapshot, flag, subject).variant is Variant.V4

    reads: Repositories = SqlRepositories(db.reads)
    use_cache = cached() if cached is not None else on(CACHE)
    checks = StrictChecks() if on(VALIDATION) else BasicChecks()
    if use_cache:
        reads = CachedRepositories(reads, services.cache, services.ttl)
    loaders = Loaders(reads)
    router = VersionRouter(
        chooser,
        {
            Version.V3: lambda: LegacyDataManager(db, services.changes),
            Version.V4: lambda: V4Backend(
                reads, lambda: SqlUnitOfWork(services.engine), services.changes, loaders, checks
            ),
        },
        intercept=services.faults or None,
    )
    return Context(
        request_id=request_id,
        viewer=viewer,
        router=router,
        flags=services.flags,
        snapshot=snapshot,
        subject=subject,
        metrics=services.metrics,
        metrics_window_seconds=services.settings.metrics_window_seconds,
        health=lambda: health.components(services),
        admin=services.admin,
        max_page_size=services.settings.max_page_size,
        detailed_errors=on(ERROR_HANDLING),
        refusal=refusal,
    )
