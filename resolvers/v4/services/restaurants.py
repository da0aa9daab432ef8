"""Restaurants in v4: the list's rules, and the writes (a deletion reports its cascade)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from jewgo.resolvers import pagination, policy, validation
from jewgo.resolvers.domain import (
    NewRestaurant,
    Page,
    PageArgs,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    Viewer,
    now,
)
from jewgo.resolvers.errors import NotFound
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.services.layer import Service, decoded


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class RestaurantService(Service):
    async def restaurant(self, restaurant_id: int) -> Restaurant | None:
        return await self._loaders.restaurant.load(restaurant_id)

    async def restaurant_list(
        self, where: RestaurantFilter, order: RestaurantOrder, page: PageArgs
    ) -> Page[Restaurant]:
        where = validation.restaurant_list(where, order)
        scope = pagination.list_of(where)
        after = decoded(page.after, order.value, scope)
        rows = await self._reads.restaurants.page(where, order, after, page.first + 1)
        for restaurant in rows:
            # The rest of the request finds these without another statement.
            self._loaders.restaurant.prime(restaurant.id, restaurant)

        async def total() -> int:
            return await self._reads.restaurants.count(where)

        return pagination.build_page(
            rows,
            page.first,
            order.value,
            lambda r: pagination.restaurant_key(r, order),
            total,
            scope,
        )

    async def create_restaurant(self, viewer: Viewer | None, data: NewRestaurant) -> Restaurant:
        viewer = policy.signed_in(viewer)
        data = self._checks.new_restaurant(data)
        stamp = now()
        values = {
            "name": data.name,
            "address": data.address,
            "city": data.city,
            "state": data.state,
            "zip_code": data.zip_code,
            "phone": data.phone,
            "website": data.website,
            "kosher_category": data.kosher_category.value,
            "certifying_agency": data.certifying_agency,
            "is_cholov_yisroel": data.is_cholov_yisroel,
            "is_pas_yisroel": data.is_pas_yisroel,
            "price_range": data.price_range,
            "latitude": data.latitude,
            "longitude": data.longitude,
            "status": policy.initial_restaurant_status(viewer),
            "created_by": viewer.id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        async with self._uow() as uow:
            new_id = await uow.restaurants.add(values)
            await uow.commit()
        await self._written(Change(restaurants=frozenset({new_id})))
        return await self._fresh(new_id)

    async def update_restaurant(
        self, viewer: Viewer | None, restaurant_id: int, patch: RestaurantPatch
    ) -> Restaurant:
        policy.admin(viewer)
        patch = self._checks.restaurant_patch(patch)
        values = {name: _plain(value) for name, value in patch.fields.items()}
        async with self._uow() as uow:
            if not await uow.restaurants.update(restaurant_id, values | {"updated_at": now()}):
                raise NotFound(f"No restaurant with id {restaurant_id}")
            await uow.commit()
        await self._written(Change(restaurants=frozenset({restaurant_id})))
        return await self._fresh(restaurant_id)

    async def delete_restaurant(self, viewer: Viewer | None, restaurant_id: int) -> bool:
        policy.admin(viewer)
        async with self._uow() as uow:
            cascaded = await uow.reviews.of_restaurant(restaurant_id)
            if not await uow.restaurants.remove(restaurant_id):
                raise NotFound(f"No restaurant with id {restaurant_id}")
            await uow.commit()
        await self._written(Change.of_deleted_restaurant(restaurant_id, cascaded))
        return True

    async def _fresh(self, restaurant_id: int) -> Restaurant:
        """The restaurant as just written, replacing what this request had loaded."""
        restaurant = (await self._reads.restaurants.by_ids([restaurant_id])).get(restaurant_id)
        if restaurant is None:
            raise NotFound(f"No restaurant with id {restaurant_id}")
        self._loaders.restaurant.prime(restaurant_id, restaurant, force=True)
        return restaurant
