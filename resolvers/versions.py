"""One request's two versions: which one serves each domain, and each built on first use.

The router (`resolvers.router`) is handed this object's methods: it asks `choose` once per
domain and calls `v3` or `v4` the first time a domain needs that version. They are
defined here, in a module the router does not know and that does not know the router,
so a request's calls only go down: the gateway builds a `Versions` from what the wiring
made once (`Sources`) and what the request decided, and nothing below calls back up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from jewgo.db.session import RequestDatabase
from jewgo.resolvers.domain import Domain, Version
from jewgo.resolvers.ports import ChangeSink, Interceptor
from jewgo.resolvers.v3.manager import LegacyDataManager
from jewgo.resolvers.v4.backend import V4Backend
from jewgo.resolvers.v4.cache.entries import CacheStore, Ttl
from jewgo.resolvers.v4.cache.reads import CachedReads
from jewgo.resolvers.v4.cache.tags import TaggedReads
from jewgo.resolvers.v4.loaders import LoaderFactory, Loaders
from jewgo.resolvers.v4.reads import Reads
from jewgo.resolvers.v4.services.layer import UnitOfWorkFactory
from jewgo.resolvers.v4.sql.adapters import SqlReads
from jewgo.resolvers.v4.validation import BasicChecks, StrictChecks


class Decided(Protocol):
    """What a request's flags decided (`flags.decisions.RequestDecisions`), as read here."""

    def version(self, domain: str) -> str: ...

    @property
    def cache(self) -> bool: ...

    @property
    def validation(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Sources:
    """What every request's versions are made of (built once by the wiring)."""

    unit_of_work: UnitOfWorkFactory
    cache: CacheStore
    ttl: Ttl
    changes: ChangeSink
    # Makes a batching loader (Strawberry's DataLoader, handed down: nothing here imports
    # the GraphQL library).
    batched: LoaderFactory
    # Injected faults (`FAULTS`), run before each domain call; None: none.
    intercept: Interceptor | None = None
    # Whether v4's reads note what they read (only the response cache needs it).
    tagging: bool = False


class Versions:
    def __init__(
        self,
        sources: Sources,
        db: RequestDatabase,
        decisions: Decided,
        tags: set[str] | None = None,
    ) -> None:
        """`tags` collects what v4 reads (for the response cache), when `sources.tagging`."""
        self.sources = sources
        self._db = db
        self._decisions = decisions
        self._tags = tags if sources.tagging else None

    def choose(self, domain: Domain) -> Version:
        return Version(self._decisions.version(domain.value))

    def v3(self) -> LegacyDataManager:
        return LegacyDataManager(self._db, self.sources.changes)

    def v4(self) -> V4Backend:
        sources, decisions = self.sources, self._decisions
        reads: Reads = SqlReads(self._db.reads)
        if decisions.cache:
            reads = CachedReads(reads, sources.cache, sources.ttl)
        if self._tags is not None:
            reads = TaggedReads(reads, self._tags)
        checks = StrictChecks() if decisions.validation else BasicChecks()
        loaders = Loaders(reads, sources.batched)
        return V4Backend(reads, sources.unit_of_work, sources.changes, loaders, checks)
