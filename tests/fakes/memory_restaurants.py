"""Restaurants in memory: the fakes of the read and the write port."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jewgo.db.geo import distance_km
from jewgo.resolvers.domain import (
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantStatus,
    ReviewStatus,
)
from tests.fakes.memory_store import Row, Store, contains, fold


def _after_key(order: RestaurantOrder, after: tuple[Any, ...]) -> tuple[Any, ...]:
    value, last_id = after
    if order is RestaurantOrder.RATING:
        return (-value, last_id)
    if order is RestaurantOrder.NEWEST:
        return (-value.timestamp(), -last_id)
    return (value, last_id)


class MemoryRestaurantReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _with_stats(self, row: Row, distance: float | None = None) -> Restaurant:
        approved = [
            v["rating"]
            for v in self._store.reviews.values()
            if v["restaurant_id"] == row["id"] and v["status"] == ReviewStatus.APPROVED.value
        ]
        stats = {"review_count": len(approved), "rating_sum": sum(approved) if approved else None}
        return Restaurant.from_row(row | stats | {"distance_km": distance})

    def _matches(self, r: Restaurant, where: RestaurantFilter) -> bool:
        checks = [
            r.status is (where.status or RestaurantStatus.ACTIVE),
            where.kosher_category is None or r.kosher_category is where.kosher_category,
            where.certifying_agency is None
            or fold(r.certifying_agency) == fold(where.certifying_agency),
            where.city is None or fold(r.city) == fold(where.city),
            where.state is None or fold(r.state) == fold(where.state),
            where.is_cholov_yisroel is None or r.is_cholov_yisroel == where.is_cholov_yisroel,
            where.is_pas_yisroel is None or r.is_pas_yisroel == where.is_pas_yisroel,
            where.min_rating is None
            or (r.average_rating is not None and r.average_rating >= where.min_rating),
            where.near is None
            or (r.distance_km is not None and r.distance_km <= where.near.radius_km),
        ]
        search = (where.search or "").strip()
        if search:
            checks.append(any(contains(t, search) for t in (r.name, r.city, r.certifying_agency)))
        return all(checks)

    def _all(self, where: RestaurantFilter) -> list[Restaurant]:
        near = where.near
        found = []
        for row in self._store.restaurants.values():
            distance = (
                distance_km(near.latitude, near.longitude, row["latitude"], row["longitude"])
                if near is not None
                else None
            )
            restaurant = self._with_stats(row, distance)
            if self._matches(restaurant, where):
                found.append(restaurant)
        return found

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Restaurant]:
        rows = self._store.restaurants
        return {i: self._with_stats(rows[i]) for i in ids if i in rows}

    async def page(
        self,
        where: RestaurantFilter,
        order: RestaurantOrder,
        after: tuple[Any, ...] | None,
        limit: int,
    ) -> list[Restaurant]:
        key: Callable[[Restaurant], tuple[Any, ...]]
        if order is RestaurantOrder.NAME:
            key = lambda r: (r.name, r.id)  # noqa: E731
        elif order is RestaurantOrder.RATING:
            key = lambda r: (-(r.average_rating or -1.0), r.id)  # noqa: E731
        elif order is RestaurantOrder.NEWEST:
            key = lambda r: (-r.created_at.timestamp(), -r.id)  # noqa: E731
        else:
            key = lambda r: (r.distance_km, r.id)  # noqa: E731
        ordered = sorted(self._all(where), key=key)
        if after is not None:
            sentinel = _after_key(order, after)
            ordered = [r for r in ordered if key(r) > sentinel]
        return ordered[:limit]

    async def count(self, where: RestaurantFilter) -> int:
        return len(self._all(where))

    async def exists(self, restaurant_id: int) -> bool:
        return restaurant_id in self._store.restaurants


class MemoryRestaurantWrites:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, values: Mapping[str, Any]) -> int:
        new_id = self._store.next_id(self._store.restaurants)
        self._store.restaurants[new_id] = {"id": new_id, **values}
        return new_id

    async def update(self, restaurant_id: int, values: Mapping[str, Any]) -> bool:
        row = self._store.restaurants.get(restaurant_id)
        if row is None:
            return False
        row.update(values)
        return True

    async def remove(self, restaurant_id: int) -> bool:
        if self._store.restaurants.pop(restaurant_id, None) is None:
            return False
        for review_id in [
            i for i, v in self._store.reviews.items() if v["restaurant_id"] == restaurant_id
        ]:
            del self._store.reviews[review_id]
        return True
