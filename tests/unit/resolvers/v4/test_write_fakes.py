"""The in-memory write ports refuse what the database's constraints refuse, with the
domain's exceptions (the integration tests hold the SQL adapter to the same table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests import seeded
from tests.fakes.memory import MemoryUnitOfWork
from tests.fakes.memory_store import Store
from tests.refusals import SITUATIONS, refusal, review


@pytest.fixture
def store() -> Store:
    data = seeded.dataset()
    return Store.of(data.users, data.restaurants, data.reviews)


@pytest.mark.parametrize(("values", "expected"), SITUATIONS)
async def test_the_fake_refuses_a_review_as_the_database_does(
    store: Store, values: Callable[[], dict[str, Any]], expected: type[Exception]
) -> None:
    before = dict(store.reviews)
    assert type(await refusal(lambda: MemoryUnitOfWork(store), values())) is expected
    assert store.reviews == before


async def test_an_acceptable_review_is_kept_once_committed(store: Store) -> None:
    restaurant = next(
        r["id"]
        for r in seeded.dataset().restaurants
        if all(v["restaurant_id"] != r["id"] for v in seeded.dataset().reviews)
    )
    author = seeded.dataset().users[0]["id"]
    async with MemoryUnitOfWork(store) as uow:
        new_id = await uow.reviews.add(review(restaurant, author))
        await uow.commit()
    assert store.reviews[new_id]["restaurant_id"] == restaurant
