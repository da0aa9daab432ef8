"""Per request, only what the request's domains use is built: a page of restaurants makes
the restaurants' service, loaders and read ports (SQL, cached, tagged), and nothing of the
reviews', users' or statistics' (issue 23: a request used to build all four)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine
from strawberry.dataloader import DataLoader

from jewgo.db.session import RequestDatabase
from jewgo.gateway.data_cache.tiers import TieredCache
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.backend import V4Backend
from jewgo.resolvers.v4.cache.entries import Ttl
from jewgo.resolvers.v4.cache.reads import CachedReads
from jewgo.resolvers.v4.cache.tags import TaggedReads
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.sql.adapters import SqlReads
from tests.fakes.memory import MemoryReads, MemoryUnitOfWork
from tests.fakes.memory_store import Store

DOMAINS = {"restaurants", "reviews", "users", "statistics"}


class Nothing:
    async def changed(self, change: Change) -> None:
        """No one listens."""


def built(holder: object, names: set[str]) -> set[str]:
    """Which of `names` `holder` has made so far (kept on first use)."""
    made: dict[str, Any] = vars(holder)
    return {name for name in names if name in made}


def test_a_backend_builds_a_domains_service_on_first_use() -> None:
    store = Store.of([], [], [])
    reads = MemoryReads(store)
    loaders = Loaders(reads, DataLoader)
    backend = V4Backend(reads, lambda: MemoryUnitOfWork(store), Nothing(), loaders)
    assert built(backend, DOMAINS) == set()
    assert backend.restaurants is backend.restaurants  # made once, then kept
    assert built(backend, DOMAINS) == {"restaurants"}


def test_loaders_are_made_on_first_use() -> None:
    loaders = Loaders(MemoryReads(Store.of([], [], [])), DataLoader)
    names = {"restaurant", "author", "review_head"}
    assert built(loaders, names) == set()
    assert loaders.author is loaders.author
    assert built(loaders, names) == {"author"}
    loaders.clear()  # clears what was made, makes nothing
    assert built(loaders, names) == {"author"}


def test_each_layer_of_read_ports_builds_a_domains_port_on_first_use() -> None:
    db = RequestDatabase(create_async_engine("sqlite+aiosqlite://"))
    sql = SqlReads(db.reads)
    cached = CachedReads(sql, TieredCache(None), Ttl())
    tagged = TaggedReads(cached, set())
    for layer in (sql, cached, tagged):
        assert built(layer, DOMAINS) == set()
    assert tagged.statistics is tagged.statistics
    for layer in (sql, cached, tagged):
        assert built(layer, DOMAINS) == {"statistics"}
