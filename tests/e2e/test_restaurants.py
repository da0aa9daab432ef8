"""Restaurants over HTTP, on both databases and both versions."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.db.geo import distance_km
from tests import seeded
from tests.support import GraphQL

LIST = """
query($filter: RestaurantFilter, $orderBy: RestaurantOrder! = NAME, $first: Int! = 20,
      $after: String) {
  restaurants(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name city state status kosherCategory certifyingAgency
                          isCholovYisroel averageRating reviewCount distanceKm
                          latitude longitude createdAt } }
  }
}"""


async def walk(gql: GraphQL, variables: dict[str, Any], first: int = 50) -> list[dict[str, Any]]:
    """Every node of a list, page by page through the cursors."""
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        page = (await gql(LIST, {**variables, "first": first, "after": after})).ok()["restaurants"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


async def test_lists_active_restaurants_by_name_by_default(gql: GraphQL) -> None:
    page = (await gql(LIST, {"first": 20})).ok()["restaurants"]
    names = [(e["node"]["name"], int(e["node"]["id"])) for e in page["edges"]]
    assert len(names) == 20
    assert names == sorted(names)
    assert {e["node"]["status"] for e in page["edges"]} == {"ACTIVE"}
    assert page["totalCount"] == seeded.restaurants_with("ACTIVE")
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": page["edges"][-1]["cursor"]}


async def test_cursor_pages_cover_every_row_once_in_order(gql: GraphQL) -> None:
    nodes = await walk(gql, {"filter": {"state": "NY"}}, first=37)
    keys = [(n["name"], int(n["id"])) for n in nodes]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ("NEWEST", lambda n: (n["createdAt"], int(n["id"]))),
        ("RATING", lambda n: (n["averageRating"] or -1.0, -int(n["id"]))),
    ],
)
async def test_descending_orders_are_total_and_stable(gql: GraphQL, order: str, key: Any) -> None:
    nodes = await walk(gql, {"orderBy": order, "filter": {"city": "brooklyn"}}, first=13)
    assert [key(n) for n in nodes] == sorted((key(n) for n in nodes), reverse=True)
    rated = [n for n in nodes if n["averageRating"] is not None]
    assert nodes[: len(rated)] == rated  # unrated ones come last


async def test_filters_combine(gql: GraphQL) -> None:
    nodes = await walk(
        gql,
        {
            "filter": {
                "kosherCategory": "DAIRY",
                "state": "ny",
                "isCholovYisroel": True,
                "minRating": 3.5,
            }
        },
    )
    assert nodes
    for node in nodes:
        assert node["kosherCategory"] == "DAIRY"
        assert node["state"] == "NY"
        assert node["isCholovYisroel"] is True
        assert node["averageRating"] >= 3.5


async def test_search_matches_name_city_and_agency_case_insensitively(gql: GraphQL) -> None:
    by_agency = await walk(gql, {"filter": {"search": "kehilla"}})
    assert by_agency and {n["certifyingAgency"] for n in by_agency} == {"Kehilla Kosher"}
    by_city = await walk(gql, {"filter": {"search": "MIAMI"}})
    assert by_city and all(
        "miami" in (n["city"] + n["name"] + (n["certifyingAgency"] or "")).lower() for n in by_city
    )
    assert await walk(gql, {"filter": {"search": "100%_no_such"}}) == []


async def test_near_filters_by_radius_and_orders_by_distance(gql: GraphQL) -> None:
    teaneck = {"latitude": 40.8976, "longitude": -74.0160, "radiusKm": 8}
    nodes = await walk(gql, {"filter": {"near": teaneck}, "orderBy": "DISTANCE"}, first=7)
    assert nodes
    distances = [n["distanceKm"] for n in nodes]
    assert distances == sorted(distances)
    for node in nodes:
        expected = distance_km(40.8976, -74.0160, node["latitude"], node["longitude"])
        assert expected is not None
        assert node["distanceKm"] == pytest.approx(expected, rel=1e-9)
        assert node["distanceKm"] <= 8


async def test_distance_is_null_without_near(gql: GraphQL) -> None:
    page = (await gql(LIST, {"first": 3})).ok()["restaurants"]
    assert [e["node"]["distanceKm"] for e in page["edges"]] == [None, None, None]


async def test_other_statuses_are_listed_when_asked_for(gql: GraphQL) -> None:
    pending = await walk(gql, {"filter": {"status": "PENDING"}})
    assert len(pending) == seeded.restaurants_with("PENDING")
    assert {n["status"] for n in pending} == {"PENDING"}


async def test_rating_and_count_come_from_approved_reviews_only(gql: GraphQL) -> None:
    query = """query($id: ID!) { restaurant(id: $id) { averageRating reviewCount
        reviews(first: 100) { totalCount edges { node { rating status } } } } }"""
    for restaurant_id in ("1", "2", "3", "4", "5"):
        restaurant = (await gql(query, {"id": restaurant_id})).ok()["restaurant"]
        ratings = [e["node"]["rating"] for e in restaurant["reviews"]["edges"]]
        assert {e["node"]["status"] for e in restaurant["reviews"]["edges"]} <= {"APPROVED"}
        assert restaurant["reviewCount"] == len(ratings) == restaurant["reviews"]["totalCount"]
        expected = sum(ratings) / len(ratings) if ratings else None
        assert restaurant["averageRating"] == expected


async def test_a_restaurant_by_id_or_null(gql: GraphQL) -> None:
    found = (await gql('{ restaurant(id: "7") { id name } }')).ok()
    assert found["restaurant"]["id"] == "7"
    assert (await gql('{ restaurant(id: "999999") { id } }')).ok() == {"restaurant": None}


async def test_nested_reviews_are_approved_newest_first_with_authors(gql: GraphQL) -> None:
    query = """{ restaurants(first: 10, orderBy: RATING) { edges { node { id
        reviews(first: 3) { pageInfo { hasNextPage } edges { node {
          createdAt status author { id name } restaurant { id } } } } } } } }"""
    for edge in (await gql(query)).ok()["restaurants"]["edges"]:
        reviews = [e["node"] for e in edge["node"]["reviews"]["edges"]]
        assert len(reviews) <= 3
        assert [r["createdAt"] for r in reviews] == sorted(
            (r["createdAt"] for r in reviews), reverse=True
        )
        for review in reviews:
            assert review["status"] == "APPROVED"
            assert review["restaurant"]["id"] == edge["node"]["id"]
            assert review["author"]["name"]


async def test_nested_review_pages_continue_from_their_cursor(gql: GraphQL) -> None:
    query = """query($after: String) { restaurant(id: "1") {
        reviews(first: 2, after: $after) { totalCount
          pageInfo { hasNextPage endCursor } edges { node { id } } } } }"""
    seen: list[str] = []
    after = None
    for _ in range(50):
        reviews = (await gql(query, {"after": after})).ok()["restaurant"]["reviews"]
        seen += [e["node"]["id"] for e in reviews["edges"]]
        if not reviews["pageInfo"]["hasNextPage"]:
            break
        after = reviews["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == reviews["totalCount"]


async def test_first_zero_gives_only_the_count(gql: GraphQL) -> None:
    page = (await gql(LIST, {"first": 0})).ok()["restaurants"]
    assert page["edges"] == []
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": None}
    assert page["totalCount"] == seeded.restaurants_with("ACTIVE")


async def test_page_info_has_relays_four_fields(gql: GraphQL) -> None:
    query = """query($after: String) { restaurants(first: 3, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }"""
    first = (await gql(query)).ok()["restaurants"]
    info, cursors = first["pageInfo"], [e["cursor"] for e in first["edges"]]
    assert info == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": cursors[0],
        "endCursor": cursors[-1],
    }
    second = (await gql(query, {"after": info["endCursor"]})).ok()["restaurants"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]
    nowhere = """{ restaurants(filter: {city: "Nowhere"}) {
      pageInfo { startCursor endCursor hasPreviousPage } } }"""
    empty = (await gql(nowhere)).ok()
    assert empty["restaurants"]["pageInfo"] == {
        "startCursor": None,
        "endCursor": None,
        "hasPreviousPage": False,
    }
