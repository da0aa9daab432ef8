"""v4 in memory, the fakes beside `sql.py`: the read ports over a store, and a unit of
work that writes to a draft of it."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Self

from tests.fakes.memory_restaurants import MemoryRestaurantReads, MemoryRestaurantWrites
from tests.fakes.memory_reviews import MemoryReviewReads, MemoryReviewWrites
from tests.fakes.memory_statistics import MemoryStatisticsReads
from tests.fakes.memory_store import Store
from tests.fakes.memory_users import MemoryUserReads, MemoryUserWrites


class MemoryReads:
    """Every read port over one store."""

    def __init__(self, store: Store) -> None:
        self.restaurants = MemoryRestaurantReads(store)
        self.reviews = MemoryReviewReads(store)
        self.users = MemoryUserReads(store)
        self.statistics = MemoryStatisticsReads(store)


class MemoryUnitOfWork:
    """Works on a copy of the store; `commit` publishes it, anything else discards it."""

    restaurants: MemoryRestaurantWrites
    reviews: MemoryReviewWrites
    users: MemoryUserWrites

    def __init__(self, store: Store) -> None:
        self._store = store
        self.committed = False

    async def __aenter__(self) -> Self:
        self._draft = copy.deepcopy(self._store)
        self.restaurants = MemoryRestaurantWrites(self._draft)
        self.reviews = MemoryReviewWrites(self._draft)
        self.users = MemoryUserWrites(self._draft)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self._draft

    async def commit(self) -> None:
        self._store.users = self._draft.users
        self._store.restaurants = self._draft.restaurants
        self._store.reviews = self._draft.reviews
        self.committed = True
