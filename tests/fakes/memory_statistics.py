"""The directory's statistics, counted over the fake's store."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jewgo.resolvers.domain import KosherCategory, RestaurantStatus, ReviewStatus, Statistics
from tests.fakes.memory_store import Store


class MemoryStatisticsReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def summary(self) -> Statistics:
        restaurants = list(self._store.restaurants.values())
        active = [r for r in restaurants if r["status"] == RestaurantStatus.ACTIVE.value]
        approved = [
            v["rating"]
            for v in self._store.reviews.values()
            if v["status"] == ReviewStatus.APPROVED.value
        ]

        def grouped(column: str) -> tuple[tuple[Any, int], ...]:
            counts = Counter(r[column] for r in active if r[column] is not None)
            return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        return Statistics(
            total_restaurants=len(restaurants),
            active_restaurants=len(active),
            total_reviews=len(self._store.reviews),
            approved_reviews=len(approved),
            total_users=len(self._store.users),
            average_rating=sum(approved) / len(approved) if approved else None,
            by_category=tuple((KosherCategory(k), n) for k, n in grouped("kosher_category")),
            by_state=grouped("state"),
            by_agency=grouped("certifying_agency"),
        )
