"""Review writes that the write ports refuse, each with the domain exception it raises:
one table for the fake's unit tests and the SQL adapter's integration tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from jewgo.resolvers.v4.exceptions import DuplicateReview, RestaurantGone
from jewgo.resolvers.v4.unit_of_work import UnitOfWork
from tests import seeded

STAMP = datetime(2024, 5, 1, 12, tzinfo=UTC)


def review(restaurant_id: int, author_id: int) -> dict[str, Any]:
    return {
        "restaurant_id": restaurant_id,
        "author_id": author_id,
        "rating": 4,
        "title": None,
        "content": "Fine",
        "status": "PENDING",
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def already_reviewed() -> dict[str, Any]:
    first = seeded.dataset().reviews[0]
    return review(first["restaurant_id"], first["author_id"])


def of_a_deleted_restaurant() -> dict[str, Any]:
    return review(10**6, seeded.dataset().users[0]["id"])


def by_a_deleted_author() -> dict[str, Any]:
    return review(seeded.dataset().restaurants[0]["id"], 10**6)


SITUATIONS = [
    pytest.param(already_reviewed, DuplicateReview, id="a second review by the same author"),
    pytest.param(of_a_deleted_restaurant, RestaurantGone, id="a review of a deleted restaurant"),
    pytest.param(by_a_deleted_author, RestaurantGone, id="a review by a deleted author"),
]


async def refusal(uow: Callable[[], UnitOfWork], values: dict[str, Any]) -> Exception:
    """What a unit of work raises when asked to add the review `values` and commit."""

    async def attempt() -> None:
        async with uow() as work:
            await work.reviews.add(values)
            await work.commit()

    with pytest.raises(Exception) as raised:
        await attempt()
    return raised.value
