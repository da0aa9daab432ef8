"""Reviews, users and statistics over HTTP, on both databases and both versions."""

from __future__ import annotations

from tests import seeded
from tests.support import ADMIN_ID, MODERATOR_ID, USER_ID, GraphQL

REVIEWS = """query($filter: ReviewFilter, $first: Int! = 20, $after: String) {
  reviews(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id rating status createdAt author { id } restaurant { id } } } } }"""


async def test_reviews_list_approved_newest_first(gql: GraphQL) -> None:
    page = (await gql(REVIEWS, {"first": 50})).ok()["reviews"]
    nodes = [e["node"] for e in page["edges"]]
    assert {n["status"] for n in nodes} == {"APPROVED"}
    keys = [(n["createdAt"], int(n["id"])) for n in nodes]
    assert keys == sorted(keys, reverse=True)
    assert page["totalCount"] == seeded.reviews_with("APPROVED")


async def test_review_filters(gql: GraphQL) -> None:
    busiest = str(seeded.busiest_restaurant())
    every = (await gql(REVIEWS, {"filter": {"restaurantId": busiest}, "first": 100})).ok()
    good = (
        await gql(REVIEWS, {"filter": {"restaurantId": busiest, "minRating": 4}, "first": 100})
    ).ok()
    ratings = [e["node"]["rating"] for e in every["reviews"]["edges"]]
    assert {e["node"]["restaurant"]["id"] for e in every["reviews"]["edges"]} == {busiest}
    assert [e["node"]["rating"] for e in good["reviews"]["edges"]] == [r for r in ratings if r >= 4]
    assert 0 < good["reviews"]["totalCount"] < every["reviews"]["totalCount"]


async def test_pending_reviews_are_for_staff_and_their_authors(gql: GraphQL) -> None:
    pending = {"filter": {"status": "PENDING"}, "first": 100}
    anonymous = (await gql(REVIEWS, pending)).ok()["reviews"]
    assert anonymous["totalCount"] == 0 and anonymous["edges"] == []

    moderator = (await gql(REVIEWS, pending, as_user=MODERATOR_ID)).ok()["reviews"]
    assert moderator["totalCount"] == seeded.reviews_with("PENDING")
    authors = {e["node"]["author"]["id"] for e in moderator["edges"]}
    assert len(authors) > 1

    mine = (await gql(REVIEWS, pending, as_user=USER_ID)).ok()["reviews"]
    assert {e["node"]["author"]["id"] for e in mine["edges"]} <= {str(USER_ID)}
    assert 0 < mine["totalCount"] < moderator["totalCount"]


async def test_a_pending_review_by_id_is_hidden_from_others(gql: GraphQL) -> None:
    pending = (await gql(REVIEWS, {"filter": {"status": "PENDING"}}, as_user=MODERATOR_ID)).ok()
    node = pending["reviews"]["edges"][0]["node"]
    query = "query($id: ID!) { review(id: $id) { id status } }"
    assert (await gql(query, {"id": node["id"]})).ok() == {"review": None}
    seen = (await gql(query, {"id": node["id"]}, as_user=int(node["author"]["id"]))).ok()
    assert seen["review"] == {"id": node["id"], "status": "PENDING"}


async def test_me_is_the_caller_or_null(gql: GraphQL) -> None:
    query = "{ me { id email role reviewCount } }"
    assert (await gql(query)).ok() == {"me": None}
    me = (await gql(query, as_user=USER_ID)).ok()["me"]
    assert me["id"] == str(USER_ID)
    assert me["role"] == "USER"
    assert me["email"].endswith("@example.com")
    assert me["reviewCount"] > 0


async def test_admins_list_and_search_users(gql: GraphQL) -> None:
    query = """query($filter: UserFilter) { users(filter: $filter, first: 100) {
        totalCount edges { node { id name email role } } } }"""
    everyone = (await gql(query, as_user=ADMIN_ID)).ok()["users"]
    assert everyone["totalCount"] == len(seeded.dataset().users)
    names = [(e["node"]["name"], int(e["node"]["id"])) for e in everyone["edges"]]
    assert names == sorted(names)
    staff = (await gql(query, {"filter": {"role": "MODERATOR"}}, as_user=ADMIN_ID)).ok()
    assert [e["node"]["email"] for e in staff["users"]["edges"]] == ["moderator@example.com"]
    found = (await gql(query, {"filter": {"search": "ADMIN@"}}, as_user=ADMIN_ID)).ok()
    assert [e["node"]["id"] for e in found["users"]["edges"]] == [str(ADMIN_ID)]


async def test_statistics_summarise_the_directory(gql: GraphQL) -> None:
    query = """{ statistics { totalRestaurants activeRestaurants totalReviews approvedReviews
        totalUsers averageRating restaurantsByCategory { category count }
        restaurantsByState { state count } restaurantsByAgency { agency count } } }"""
    stats = (await gql(query)).ok()["statistics"]
    data = seeded.dataset()
    active = seeded.restaurants_with("ACTIVE")
    approved = [v["rating"] for v in data.reviews if v["status"] == "APPROVED"]
    assert stats["totalRestaurants"] == len(data.restaurants)
    assert stats["activeRestaurants"] == active
    assert stats["approvedReviews"] == len(approved)
    assert stats["averageRating"] == sum(approved) / len(approved)
    assert stats["totalReviews"] == len(data.reviews)
    assert stats["totalUsers"] == len(data.users)
    assert sum(c["count"] for c in stats["restaurantsByCategory"]) == active
    counts = [c["count"] for c in stats["restaurantsByState"]]
    assert counts == sorted(counts, reverse=True)
    assert stats["restaurantsByState"][0] == {
        "state": "NY",
        "count": seeded.active_by_state()["NY"],
    }
    assert {a["agency"] for a in stats["restaurantsByAgency"]} >= {"OU", "OK", "Star-K", "cRc"}
