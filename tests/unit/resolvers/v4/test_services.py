"""The v4 service layer on in-memory repositories: business rules without I/O."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

from jewgo.resolvers.domain import (
    KosherCategory,
    NewRestaurant,
    NewReview,
    PageArgs,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    ReviewPatch,
    ReviewStatus,
    Role,
    Viewer,
)
from jewgo.resolvers.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.backend import V4Backend
from jewgo.resolvers.v4.loaders import Loaders
from tests import seeded
from tests.fakes.memory import MemoryReads, MemoryUnitOfWork
from tests.fakes.memory_restaurants import MemoryRestaurantReads
from tests.fakes.memory_reviews import MemoryReviewReads, MemoryReviewWrites
from tests.fakes.memory_store import Store

ADMIN = Viewer(1, Role.ADMIN)
MODERATOR = Viewer(2, Role.MODERATOR)
USER = Viewer(3, Role.USER)
OTHER = Viewer(4, Role.USER)


@dataclass
class Recorded:
    """A change sink that remembers what it was told."""

    calls: list[Change]

    async def changed(self, change: Change) -> None:
        self.calls.append(change)


@dataclass
class World:
    store: Store
    backend: V4Backend
    changes: Recorded


@pytest.fixture
def world() -> World:
    data = seeded.dataset()
    store = Store.of(data.users, data.restaurants, data.reviews)
    reads = MemoryReads(store)
    changes = Recorded([])
    backend = V4Backend(reads, lambda: MemoryUnitOfWork(store), changes, Loaders(reads, DataLoader))
    return World(store, backend, changes)


def unreviewed(store: Store, author: Viewer) -> int:
    reviewed = {v["restaurant_id"] for v in store.reviews.values() if v["author_id"] == author.id}
    return next(i for i in store.restaurants if i not in reviewed)


async def test_a_review_is_created_pending_and_announced(world: World) -> None:
    target = unreviewed(world.store, USER)
    review = await world.backend.reviews.create_review(USER, NewReview(target, 5, "Great"))
    assert review.status is ReviewStatus.PENDING
    assert review.author_id == USER.id
    assert world.changes.calls == [Change.of_review(review.id, target, USER.id)]


async def test_a_second_review_of_the_same_restaurant_conflicts(world: World) -> None:
    target = unreviewed(world.store, USER)
    await world.backend.reviews.create_review(USER, NewReview(target, 5, "Great"))
    before = dict(world.store.reviews)
    with pytest.raises(Conflict):
        await world.backend.reviews.create_review(USER, NewReview(target, 1, "Changed my mind"))
    assert world.store.reviews == before


@pytest.mark.parametrize(
    ("viewer", "data", "error"),
    [
        (None, NewReview(1, 5, "x"), Unauthenticated),
        (USER, NewReview(1, 9, "x"), InvalidInput),
        (USER, NewReview(10**9, 5, "x"), InvalidInput),
    ],
)
async def test_rejected_reviews_write_nothing(
    world: World, viewer: Viewer | None, data: NewReview, error: type[Exception]
) -> None:
    before = dict(world.store.reviews)
    with pytest.raises(error):
        await world.backend.reviews.create_review(viewer, data)
    assert world.store.reviews == before
    assert world.changes.calls == []


async def test_a_unit_of_work_rolls_back_what_it_did_not_commit(world: World) -> None:
    before = dict(world.store.restaurants)
    async with MemoryUnitOfWork(world.store) as uow:
        await uow.restaurants.remove(1)
    assert world.store.restaurants == before
    async with MemoryUnitOfWork(world.store) as uow:
        await uow.restaurants.remove(1)
        await uow.commit()
    assert 1 not in world.store.restaurants


async def test_moderation_changes_the_restaurants_rating(world: World) -> None:
    target = unreviewed(world.store, USER)
    before = await world.backend.restaurants.restaurant(target)
    review = await world.backend.reviews.create_review(USER, NewReview(target, 1, "Cold"))
    with pytest.raises(Forbidden):
        await world.backend.reviews.moderate_review(OTHER, review.id, ReviewStatus.APPROVED)
    await world.backend.reviews.moderate_review(MODERATOR, review.id, ReviewStatus.APPROVED)
    rows = await MemoryReads(world.store).restaurants.by_ids([target])
    assert before is not None
    assert rows[target].review_count == before.review_count + 1


async def test_an_authors_edit_returns_the_review_to_moderation(world: World) -> None:
    mine = next(
        v
        for v in world.store.reviews.values()
        if v["author_id"] == USER.id and v["status"] == "APPROVED"
    )
    with pytest.raises(Forbidden):
        await world.backend.reviews.update_review(OTHER, mine["id"], ReviewPatch({"rating": 1}))
    edited = await world.backend.reviews.update_review(USER, mine["id"], ReviewPatch({"rating": 1}))
    assert (edited.rating, edited.status) == (1, ReviewStatus.PENDING)
    by_admin = await world.backend.reviews.update_review(
        ADMIN, mine["id"], ReviewPatch({"rating": 2})
    )
    assert by_admin.status is ReviewStatus.PENDING  # an admin's edit keeps the status it finds


async def test_restaurants_start_pending_unless_an_admin_adds_them(world: World) -> None:
    data = NewRestaurant(name="Sababa", kosher_category=KosherCategory.MEAT)
    assert (await world.backend.restaurants.create_restaurant(USER, data)).status.value == "PENDING"
    assert (await world.backend.restaurants.create_restaurant(ADMIN, data)).status.value == "ACTIVE"


async def test_only_admins_update_and_missing_ones_are_not_found(world: World) -> None:
    patch = RestaurantPatch({"city": "Lakewood"})
    with pytest.raises(Forbidden):
        await world.backend.restaurants.update_restaurant(MODERATOR, 1, patch)
    with pytest.raises(NotFound):
        await world.backend.restaurants.update_restaurant(ADMIN, 10**9, patch)
    updated = await world.backend.restaurants.update_restaurant(ADMIN, 1, patch)
    assert updated.city == "Lakewood"


async def test_deleting_a_user_removes_their_reviews_and_reports_the_restaurants(
    world: World,
) -> None:
    written = {
        v["restaurant_id"] for v in world.store.reviews.values() if v["author_id"] == OTHER.id
    }
    assert await world.backend.users.delete_user(ADMIN, OTHER.id) is True
    assert all(v["author_id"] != OTHER.id for v in world.store.reviews.values())
    change = world.changes.calls[-1]
    assert change.rated == written
    assert change.users == change.authors == {OTHER.id}
    with pytest.raises(InvalidInput):
        await world.backend.users.delete_user(ADMIN, ADMIN.id)


async def test_nested_reviews_of_a_page_load_in_one_batch(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[int]] = []
    reviews = MemoryReviewReads.approved_heads

    async def spy(self: MemoryReviewReads, ids: Any, limit: int) -> Any:
        calls.append(list(ids))
        return await reviews(self, ids, limit)

    monkeypatch.setattr(MemoryReviewReads, "approved_heads", spy)

    page = await world.backend.restaurants.restaurant_list(
        RestaurantFilter(), RestaurantOrder.NAME, PageArgs(first=20)
    )
    await asyncio.gather(
        *(world.backend.reviews.restaurant_reviews(r.id, PageArgs(first=3)) for r in page.items)
    )
    assert calls == [[r.id for r in page.items]]


async def test_a_duplicate_only_the_adapter_sees_conflicts_like_one_seen_before(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent request wrote the same review between the check and the insert."""
    target = unreviewed(world.store, USER)
    await world.backend.reviews.create_review(USER, NewReview(target, 5, "Great"))

    async def not_yet(self: MemoryReviewWrites, author_id: int, restaurant_id: int) -> None:
        return None

    monkeypatch.setattr(MemoryReviewWrites, "by_author_and_restaurant", not_yet)
    before, told = dict(world.store.reviews), list(world.changes.calls)
    with pytest.raises(Conflict) as raised:
        await world.backend.reviews.create_review(USER, NewReview(target, 1, "Again"))
    assert raised.value.message == "You have already reviewed this restaurant"
    assert (world.store.reviews, world.changes.calls) == (before, told)


async def test_a_restaurant_deleted_while_it_is_reviewed_is_bad_input(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restaurant existed when checked and was gone by the insert."""

    async def still_there(self: object, restaurant_id: int) -> bool:
        return True

    monkeypatch.setattr(MemoryRestaurantReads, "exists", still_there)
    before = dict(world.store.reviews)
    with pytest.raises(InvalidInput) as raised:
        await world.backend.reviews.create_review(USER, NewReview(10**6, 5, "Gone"))
    assert raised.value.message == "The restaurant no longer exists"
    assert raised.value.fields == {"restaurantId": "no such restaurant"}
    assert (world.store.reviews, world.changes.calls) == (before, [])
