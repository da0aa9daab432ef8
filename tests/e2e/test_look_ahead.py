"""A page of restaurants resolves its reviews and their authors ahead, for the whole page
at once; whatever the query's shape, the answer is the one the field-by-field resolvers
give, errors included, on either version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import environ_for
from tests.support import Database, GraphQL, gateway_client

REVIEWS = "edges { node { id rating author { id name } } }"


def page(first: int, reviews: int) -> str:
    return (
        f"{{ restaurants(first: {first}) {{ edges {{ node {{ id"
        f" reviews(first: {reviews}) {{ {REVIEWS} }} }} }} }} }}"
    )


AHEAD = page(15, 3)


def reviews_of(data: dict[str, Any], field: str = "reviews") -> list[Any]:
    return [edge["node"][field] for edge in data["restaurants"]["edges"]]


async def one_by_one(gql: GraphQL, first: int) -> list[Any]:
    """Each restaurant's reviews asked on their own, the way no look-ahead applies."""
    ids = [e["node"]["id"] for e in (await gql(AHEAD)).ok()["restaurants"]["edges"]]
    found = []
    for restaurant_id in ids:
        query = (
            f'{{ restaurant(id: "{restaurant_id}") {{ reviews(first: {first}) {{ {REVIEWS} }} }} }}'
        )
        found.append((await gql(query)).ok()["restaurant"]["reviews"])
    return found


async def test_a_page_gets_the_reviews_each_restaurant_has_on_its_own(
    gql: GraphQL, version: str
) -> None:
    page = reviews_of((await gql(AHEAD)).ok())
    assert any(len(r["edges"]) == 3 for r in page)
    assert page == await one_by_one(gql, 3)


async def test_fragments_and_variables_reach_the_same_answer(gql: GraphQL, version: str) -> None:
    query = f"""query($n: Int!) {{ restaurants(first: 15) {{ ...Page }} }}
      fragment Page on RestaurantConnection {{ edges {{ node {{ id
        ... on Restaurant {{ reviews(first: $n) {{ {REVIEWS} }} }} }} }} }}"""
    assert (await gql(query, {"n": 3})).ok() == (await gql(AHEAD)).ok()


async def test_two_page_shapes_under_aliases_each_get_their_own(gql: GraphQL, version: str) -> None:
    query = f"""{{ restaurants(first: 15) {{ edges {{ node {{ id
      three: reviews(first: 3) {{ {REVIEWS} }} one: reviews(first: 1) {{ {REVIEWS} }} }} }} }} }}"""
    data = (await gql(query)).ok()
    assert reviews_of(data, "three") == reviews_of((await gql(AHEAD)).ok())
    assert reviews_of(data, "one") == await one_by_one(gql, 1)


async def test_a_skipped_field_is_not_loaded(gql: GraphQL, version: str) -> None:
    query = f"""query($with: Boolean!) {{ restaurants(first: 5) {{ edges {{ node {{ id
      reviews(first: 3) @include(if: $with) {{ {REVIEWS} }} }} }} }} }}"""
    without = await gql(query, {"with": False})
    assert all("reviews" not in edge["node"] for edge in without.ok()["restaurants"]["edges"])
    assert set(without.extensions["versions"]) == {"restaurants"}
    assert set((await gql(query, {"with": True})).extensions["versions"]) == {
        "restaurants", "reviews", "users",
    }  # fmt: skip


async def test_an_out_of_range_page_fails_where_it_is_asked(gql: GraphQL, version: str) -> None:
    reply = await gql(page(2, 101))
    paths = {tuple(e["path"]) for e in reply.errors}
    assert paths and paths <= {("restaurants", "edges", i, "node", "reviews") for i in range(2)}
    assert {e["extensions"]["code"] for e in reply.errors} == {"BAD_USER_INPUT"}
    assert reply.data is None  # the contract's chain of non-null fields up to the root


async def test_a_failing_domain_fails_at_each_field_not_the_page(
    shared_db: Database, data_dir: Path, version: str
) -> None:
    """Authors served by a broken users domain: the error is reported at an `author`
    path, masked, exactly as the field-by-field resolvers would report it."""
    environ = {**environ_for(version), "FAULTS": f"users.{version}:error=1"}
    async with gateway_client(shared_db, data_dir, environ, faults=environ["FAULTS"]) as gql:
        reply = await gql(AHEAD)
    assert reply.status == 200
    paths = {tuple(e["path"]) for e in reply.errors}
    assert paths and all(p[:2] == ("restaurants", "edges") and p[-1] == "author" for p in paths)
    assert {e["extensions"]["code"] for e in reply.errors} == {"INTERNAL_SERVER_ERROR"}
    assert reply.data is None  # `author: PublicUser!` and non-null all the way up


async def test_a_raised_page_size_limit_holds_for_the_page_too(
    shared_db: Database, data_dir: Path, version: str
) -> None:
    async with gateway_client(
        shared_db, data_dir, environ_for(version), version, max_page_size=200
    ) as gql:
        data = (await gql(page(2, 150))).ok()
    assert len(data["restaurants"]["edges"]) == 2
