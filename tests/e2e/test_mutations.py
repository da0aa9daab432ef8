"""Mutations over HTTP: rules, permissions, and nothing written by a rejected one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests import seeded
from tests.support import ADMIN_ID, MODERATOR_ID, OTHER_USER_ID, USER_ID, GraphQL

CREATE_RESTAURANT = """mutation($input: CreateRestaurantInput!) {
  createRestaurant(input: $input) { id name status city kosherCategory isCholovYisroel
                                    isPasYisroel averageRating reviewCount } }"""
UPDATE_RESTAURANT = """mutation($id: ID!, $input: UpdateRestaurantInput!) {
  updateRestaurant(id: $id, input: $input) { id name city phone status kosherCategory } }"""
CREATE_REVIEW = """mutation($input: CreateReviewInput!) {
  createReview(input: $input) {
    id rating title content status author { id } restaurant { id } } }"""
MODERATE = """mutation($id: ID!, $status: ReviewStatus!) {
  moderateReview(id: $id, status: $status) { id status } }"""
RESTAURANT = """query($id: ID!) { restaurant(id: $id) { id name city phone averageRating
  reviewCount status } }"""
COUNTS = "{ statistics { totalRestaurants totalReviews totalUsers } }"


def unreviewed_restaurant(author_id: int) -> int:
    """An ACTIVE restaurant the author has not reviewed in the seed."""
    reviewed = {v["restaurant_id"] for v in seeded.dataset().reviews if v["author_id"] == author_id}
    return next(
        int(r["id"])
        for r in seeded.dataset().restaurants
        if r["status"] == "ACTIVE" and r["id"] not in reviewed
    )


async def counts(gql: GraphQL) -> dict[str, int]:
    stats: dict[str, int] = (await gql(COUNTS)).ok()["statistics"]
    return stats


async def test_a_user_creates_a_pending_restaurant_and_an_admin_an_active_one(
    gql_rw: GraphQL,
) -> None:
    data = {"name": "Lox & Lattes", "kosherCategory": "DAIRY", "city": "Teaneck"}
    by_user = (await gql_rw(CREATE_RESTAURANT, {"input": data}, as_user=USER_ID)).ok()
    created = by_user["createRestaurant"]
    assert created["status"] == "PENDING"
    assert created["isCholovYisroel"] is False and created["isPasYisroel"] is False
    assert created["averageRating"] is None and created["reviewCount"] == 0
    by_admin = (await gql_rw(CREATE_RESTAURANT, {"input": data}, as_user=ADMIN_ID)).ok()
    assert by_admin["createRestaurant"]["status"] == "ACTIVE"
    again = (await gql_rw(RESTAURANT, {"id": created["id"]})).ok()["restaurant"]
    assert again["name"] == "Lox & Lattes"


@pytest.mark.parametrize(
    ("as_user", "data", "code", "touches"),
    [
        (None, {"name": "Anon", "kosherCategory": "MEAT"}, "UNAUTHENTICATED", ("restaurants",)),
        (USER_ID, {"name": "   ", "kosherCategory": "MEAT"}, "BAD_USER_INPUT", ("restaurants",)),
        # Refused when the variables are coerced, before any resolver runs.
        (USER_ID, {"name": "No category"}, "BAD_USER_INPUT", ()),
        (USER_ID, {"name": "Bad category", "kosherCategory": "FISH"}, "BAD_USER_INPUT", ()),
    ],
)
async def test_a_rejected_create_writes_nothing(
    gql_rw: GraphQL, as_user: int | None, data: dict[str, Any], code: str, touches: tuple[str, ...]
) -> None:
    before = await counts(gql_rw)
    reply = await gql_rw(CREATE_RESTAURANT, {"input": data}, as_user=as_user, touches=touches)
    assert reply.codes == [code]
    assert reply.status == 200
    assert await counts(gql_rw) == before


async def test_update_changes_only_the_fields_given(gql_rw: GraphQL) -> None:
    before = (await gql_rw(RESTAURANT, {"id": "5"})).ok()["restaurant"]
    reply = await gql_rw(
        UPDATE_RESTAURANT,
        {"id": "5", "input": {"city": "Passaic", "phone": None}},
        as_user=ADMIN_ID,
    )
    updated = reply.ok()["updateRestaurant"]
    assert updated["city"] == "Passaic"
    assert updated["phone"] is None
    assert updated["name"] == before["name"]
    after = (await gql_rw(RESTAURANT, {"id": "5"})).ok()["restaurant"]
    assert after | {"city": before["city"], "phone": before["phone"]} == before


@pytest.mark.parametrize(
    ("as_user", "restaurant_id", "data", "code"),
    [
        (USER_ID, "5", {"city": "Nowhere"}, "FORBIDDEN"),
        (None, "5", {"city": "Nowhere"}, "UNAUTHENTICATED"),
        (ADMIN_ID, "999999", {"city": "Nowhere"}, "NOT_FOUND"),
        (ADMIN_ID, "five", {"city": "Nowhere"}, "BAD_USER_INPUT"),
        (ADMIN_ID, "5", {"name": None}, "BAD_USER_INPUT"),
        (ADMIN_ID, "5", {"name": ""}, "BAD_USER_INPUT"),
        (ADMIN_ID, "5", {"kosherCategory": None, "city": "Nowhere"}, "BAD_USER_INPUT"),
    ],
)
async def test_a_rejected_update_changes_nothing(
    gql_rw: GraphQL, as_user: int | None, restaurant_id: str, data: dict[str, Any], code: str
) -> None:
    before = (await gql_rw(RESTAURANT, {"id": "5"})).ok()
    reply = await gql_rw(UPDATE_RESTAURANT, {"id": restaurant_id, "input": data}, as_user=as_user)
    assert reply.codes == [code]
    assert (await gql_rw(RESTAURANT, {"id": "5"})).ok() == before


async def test_deleting_a_restaurant_deletes_its_reviews(gql_rw: GraphQL) -> None:
    busiest = str(seeded.busiest_restaurant())
    delete = "mutation($id: ID!) { deleteRestaurant(id: $id) }"
    assert (await gql_rw(delete, {"id": busiest}, as_user=USER_ID)).codes == ["FORBIDDEN"]
    before = await counts(gql_rw)
    assert (await gql_rw(delete, {"id": busiest}, as_user=ADMIN_ID)).ok() == {
        "deleteRestaurant": True
    }
    assert (await gql_rw(RESTAURANT, {"id": busiest})).ok() == {"restaurant": None}
    after = await counts(gql_rw)
    written = sum(1 for v in seeded.dataset().reviews if v["restaurant_id"] == int(busiest))
    assert after["totalReviews"] == before["totalReviews"] - written
    assert (await gql_rw(delete, {"id": busiest}, as_user=ADMIN_ID)).codes == ["NOT_FOUND"]


async def test_a_review_starts_pending_and_counts_once_approved(gql_rw: GraphQL) -> None:
    target = str(unreviewed_restaurant(USER_ID))
    before = (await gql_rw(RESTAURANT, {"id": target})).ok()["restaurant"]
    review = (
        await gql_rw(
            CREATE_REVIEW,
            {"input": {"restaurantId": target, "rating": 5, "content": "Superb kugel."}},
            as_user=USER_ID,
        )
    ).ok()["createReview"]
    assert review["status"] == "PENDING"
    assert review["author"] == {"id": str(USER_ID)}
    assert review["restaurant"] == {"id": target}
    pending = (await gql_rw(RESTAURANT, {"id": target})).ok()["restaurant"]
    assert pending["reviewCount"] == before["reviewCount"]

    approved = await gql_rw(
        MODERATE, {"id": review["id"], "status": "APPROVED"}, as_user=MODERATOR_ID
    )
    assert approved.ok()["moderateReview"]["status"] == "APPROVED"
    after = (await gql_rw(RESTAURANT, {"id": target})).ok()["restaurant"]
    assert after["reviewCount"] == before["reviewCount"] + 1
    old_sum = (before["averageRating"] or 0) * before["reviewCount"]
    assert after["averageRating"] == pytest.approx((old_sum + 5) / after["reviewCount"])


@pytest.mark.parametrize(
    ("as_user", "data", "code"),
    [
        (None, {"rating": 4, "content": "Nice"}, "UNAUTHENTICATED"),
        (USER_ID, {"rating": 6, "content": "Too good"}, "BAD_USER_INPUT"),
        (USER_ID, {"rating": 0, "content": "Too bad"}, "BAD_USER_INPUT"),
        (USER_ID, {"rating": 4, "content": "  "}, "BAD_USER_INPUT"),
        (USER_ID, {"rating": 4, "content": "Nice", "restaurantId": "999999"}, "BAD_USER_INPUT"),
        (USER_ID, {"rating": 4, "content": "Nice", "restaurantId": "x1"}, "BAD_USER_INPUT"),
    ],
)
async def test_a_rejected_review_writes_nothing(
    gql_rw: GraphQL, as_user: int | None, data: dict[str, Any], code: str
) -> None:
    before = await counts(gql_rw)
    data = {"restaurantId": str(unreviewed_restaurant(USER_ID))} | data
    assert (await gql_rw(CREATE_REVIEW, {"input": data}, as_user=as_user)).codes == [code]
    assert await counts(gql_rw) == before


async def test_one_review_per_user_per_restaurant(gql_rw: GraphQL) -> None:
    data = {"restaurantId": str(unreviewed_restaurant(USER_ID)), "rating": 4, "content": "Good"}
    (await gql_rw(CREATE_REVIEW, {"input": data}, as_user=USER_ID)).ok()
    before = await counts(gql_rw)
    assert (await gql_rw(CREATE_REVIEW, {"input": data}, as_user=USER_ID)).codes == ["CONFLICT"]
    assert await counts(gql_rw) == before


async def test_concurrent_duplicate_reviews_one_wins_one_conflicts(gql_rw: GraphQL) -> None:
    data = {"restaurantId": str(unreviewed_restaurant(USER_ID)), "rating": 3, "content": "Fine"}
    before = await counts(gql_rw)
    replies = await asyncio.gather(
        *(gql_rw(CREATE_REVIEW, {"input": data}, as_user=USER_ID) for _ in range(4))
    )
    assert sorted(code for r in replies for code in r.codes) == ["CONFLICT"] * 3
    assert (await counts(gql_rw))["totalReviews"] == before["totalReviews"] + 1


async def test_authors_and_admins_edit_reviews_others_may_not(gql_rw: GraphQL) -> None:
    mine = next(
        v
        for v in seeded.dataset().reviews
        if v["author_id"] == USER_ID and v["status"] == "APPROVED"
    )
    update = """mutation($id: ID!, $input: UpdateReviewInput!) {
        updateReview(id: $id, input: $input) { id rating content title status } }"""
    edit = {"id": str(mine["id"]), "input": {"rating": 2, "title": None}}
    assert (await gql_rw(update, edit, as_user=OTHER_USER_ID)).codes == ["FORBIDDEN"]
    assert (await gql_rw(update, edit)).codes == ["UNAUTHENTICATED"]
    nulled = {"id": str(mine["id"]), "input": {"content": None}}
    assert (await gql_rw(update, nulled, as_user=USER_ID)).codes == ["BAD_USER_INPUT"]

    by_author = (await gql_rw(update, edit, as_user=USER_ID)).ok()["updateReview"]
    assert by_author == {
        "id": str(mine["id"]),
        "rating": 2,
        "content": mine["content"],
        "title": None,
        "status": "PENDING",  # an author's edit goes back to moderation
    }
    approve = {"id": str(mine["id"]), "status": "APPROVED"}
    (await gql_rw(MODERATE, approve, as_user=MODERATOR_ID)).ok()
    by_admin = await gql_rw(
        update, {"id": str(mine["id"]), "input": {"rating": 3}}, as_user=ADMIN_ID
    )
    assert by_admin.ok()["updateReview"]["status"] == "APPROVED"

    delete = "mutation($id: ID!) { deleteReview(id: $id) }"
    assert (await gql_rw(delete, {"id": str(mine["id"])}, as_user=OTHER_USER_ID)).codes == [
        "FORBIDDEN"
    ]
    assert (await gql_rw(delete, {"id": str(mine["id"])}, as_user=USER_ID)).ok() == {
        "deleteReview": True
    }
    assert (await gql_rw(delete, {"id": str(mine["id"])}, as_user=USER_ID)).codes == ["NOT_FOUND"]


async def test_only_staff_moderate(gql_rw: GraphQL) -> None:
    review = seeded.dataset().reviews[0]
    variables = {"id": str(review["id"]), "status": "REJECTED"}
    assert (await gql_rw(MODERATE, variables, as_user=USER_ID)).codes == ["FORBIDDEN"]
    assert (await gql_rw(MODERATE, variables, as_user=ADMIN_ID)).ok()["moderateReview"][
        "status"
    ] == "REJECTED"
    missing = {"id": "999999", "status": "APPROVED"}
    assert (await gql_rw(MODERATE, missing, as_user=MODERATOR_ID)).codes == ["NOT_FOUND"]


async def test_roles_come_from_the_database_not_the_token(gql_rw: GraphQL) -> None:
    promote = (
        "mutation($id: ID!, $role: UserRole!) { updateUserRole(id: $id, role: $role) { role } }"
    )
    users = "{ users(first: 1) { totalCount } }"
    assert (await gql_rw(users, as_user=USER_ID)).codes == ["FORBIDDEN"]
    assert (
        await gql_rw(promote, {"id": str(USER_ID), "role": "ADMIN"}, as_user=USER_ID)
    ).codes == ["FORBIDDEN"]
    promoted = await gql_rw(promote, {"id": str(USER_ID), "role": "ADMIN"}, as_user=ADMIN_ID)
    assert promoted.ok() == {"updateUserRole": {"role": "ADMIN"}}
    # The same token, issued before the promotion, now carries admin rights.
    assert (await gql_rw(users, as_user=USER_ID)).ok()["users"]["totalCount"] > 0
    myself = await gql_rw(promote, {"id": str(ADMIN_ID), "role": "USER"}, as_user=ADMIN_ID)
    assert myself.codes == ["BAD_USER_INPUT"]


async def test_a_deleted_users_token_is_refused(gql_rw: GraphQL) -> None:
    delete = "mutation($id: ID!) { deleteUser(id: $id) }"
    written = sum(1 for v in seeded.dataset().reviews if v["author_id"] == OTHER_USER_ID)
    before = await counts(gql_rw)
    assert (await gql_rw(delete, {"id": str(ADMIN_ID)}, as_user=ADMIN_ID)).codes == [
        "BAD_USER_INPUT"
    ]
    assert (await gql_rw(delete, {"id": str(OTHER_USER_ID)}, as_user=ADMIN_ID)).ok() == {
        "deleteUser": True
    }
    after = await counts(gql_rw)
    assert after["totalUsers"] == before["totalUsers"] - 1
    assert after["totalReviews"] == before["totalReviews"] - written
    refused = await gql_rw("{ me { id } }", as_user=OTHER_USER_ID, touches=())
    assert refused.codes == ["UNAUTHENTICATED"]
    assert refused.data is None
