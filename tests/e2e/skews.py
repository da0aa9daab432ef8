"""A test double of one v4 difference: v4's restaurant list, each restaurant changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from jewgo.resolvers.domain import Restaurant
from jewgo.resolvers.v4.services.restaurants import RestaurantService


def skew_v4_restaurants(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[Restaurant], Restaurant]
) -> None:
    """From now on (for the test), v4's restaurant pages hold `change(restaurant)`."""
    honest = RestaurantService.restaurant_list

    async def skewed(self: RestaurantService, *args: Any) -> Any:
        page = await honest(self, *args)
        return dataclasses.replace(page, items=tuple(change(r) for r in page.items))

    monkeypatch.setattr(RestaurantService, "restaurant_list", skewed)


def one_star_more(restaurant: Restaurant) -> Restaurant:
    return dataclasses.replace(restaurant, average_rating=(restaurant.average_rating or 0) + 1)
