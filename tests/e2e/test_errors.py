"""Error codes, identity and masking: bad input gets a clear coded error, never a 500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from sqlalchemy import text

from tests import seeded
from tests.support import (
    ADMIN_ID,
    JWT_SECRET,
    MODERATOR_ID,
    USER_ID,
    Database,
    GraphQL,
    gateway_client,
)


@pytest.mark.parametrize(
    ("query", "variables", "touches"),
    [
        ("{ restaurants(first: 101) { totalCount } }", {}, ()),
        ("{ restaurants(first: -1) { totalCount } }", {}, ()),
        ('{ restaurants(after: "bm9wZQ") { totalCount } }', {}, ("restaurants",)),
        ("{ restaurants(orderBy: DISTANCE) { totalCount } }", {}, ("restaurants",)),
        (
            "query($near: NearInput) { restaurants(filter: {near: $near}) { totalCount } }",
            {"near": {"latitude": 40, "longitude": -74, "radiusKm": 0}},
            ("restaurants",),
        ),
        (
            "query($near: NearInput) { restaurants(filter: {near: $near}) { totalCount } }",
            {"near": {"latitude": 91, "longitude": -74, "radiusKm": 5}},
            ("restaurants",),
        ),
        ("{ restaurants(filter: {minRating: 7}) { totalCount } }", {}, ("restaurants",)),
        ("{ reviews(filter: {minRating: 0}) { totalCount } }", {}, ("reviews",)),
        ('{ reviews(filter: {authorId: "me"}) { totalCount } }', {}, ()),
        ('{ restaurant(id: "12abc") { id } }', {}, ("restaurants",)),
        ('{ restaurant(id: "99999999999999999999999") { id } }', {}, ("restaurants",)),
        ("{ restaurants { edges { node { nope } } } }", {}, ()),
        ("{ restaurants(", {}, ()),
        ("query($n: Int!) { restaurants(first: $n) { totalCount } }", {"n": "ten"}, ()),
        ("query($n: Int!) { restaurants(first: $n) { totalCount } }", {}, ()),
    ],
)
async def test_bad_input_is_a_bad_user_input_error(
    gql: GraphQL, query: str, variables: dict[str, object], touches: tuple[str, ...]
) -> None:
    reply = await gql(query, variables, touches=touches)
    assert reply.status in (200, 400)
    assert reply.codes and set(reply.codes) == {"BAD_USER_INPUT"}
    assert reply.extensions["requestId"]


async def test_a_cursor_of_another_ordering_is_refused(gql: GraphQL) -> None:
    page = (await gql("{ restaurants(first: 1) { pageInfo { endCursor } } }")).ok()
    cursor = page["restaurants"]["pageInfo"]["endCursor"]
    reply = await gql(
        "query($after: String) { restaurants(orderBy: NEWEST, after: $after) { totalCount } }",
        {"after": cursor},
    )
    assert reply.codes == ["BAD_USER_INPUT"]
    forged = base64.urlsafe_b64encode(json.dumps(["NAME", 5, "x"]).encode()).decode()
    reply = await gql(
        "query($after: String) { restaurants(after: $after) { totalCount } }", {"after": forged}
    )
    assert reply.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("query", "as_user", "code"),
    [
        ("{ users { totalCount } }", None, "UNAUTHENTICATED"),
        ("{ users { totalCount } }", USER_ID, "FORBIDDEN"),
        ("{ users { totalCount } }", MODERATOR_ID, "FORBIDDEN"),
        ('{ user(id: "3") { email } }', USER_ID, "FORBIDDEN"),
        ('{ user(id: "3") { email } }', None, "UNAUTHENTICATED"),
    ],
)
async def test_admin_only_queries(gql: GraphQL, query: str, as_user: int | None, code: str) -> None:
    reply = await gql(query, as_user=as_user)
    assert reply.codes == [code]


async def test_admins_read_any_user_with_email(gql: GraphQL) -> None:
    reply = await gql('{ user(id: "3") { id email role } }', as_user=ADMIN_ID)
    assert reply.ok()["user"]["email"].endswith("@example.com")


def forged(claims: dict[str, object], secret: str = JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Bearer " + forged({"sub": "1", "exp": int(time.time()) + 60}, secret="y" * 40),
        "Bearer " + forged({"sub": "1", "exp": int(time.time()) - 60}),
        "Bearer " + forged({"sub": "1"}),
        "Bearer " + forged({"sub": "admin", "exp": int(time.time()) + 60}),
        "Bearer " + forged({"sub": "999999", "exp": int(time.time()) + 60}),
        "Bearer " + forged({"sub": "2147483648", "exp": int(time.time()) + 60}),
        "Bearer " + forged({"sub": "\u0661", "exp": int(time.time()) + 60}),
        "Bearer " + forged({"sub": "01", "exp": int(time.time()) + 60}),
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
    ],
)
async def test_a_bad_token_is_unauthenticated_even_for_public_data(
    gql: GraphQL, authorization: str
) -> None:
    reply = await gql(
        "{ restaurants(first: 1) { totalCount } }",
        headers={"Authorization": authorization},
        touches=(),  # refused before anything runs
    )
    assert reply.status == 200
    assert reply.codes == ["UNAUTHENTICATED"]
    assert reply.data is None


async def test_every_response_carries_a_request_id(gql: GraphQL) -> None:
    reply = await gql("{ statistics { totalUsers } }")
    assert reply.headers["x-request-id"] == reply.extensions["requestId"]
    given = await gql("{ statistics { totalUsers } }", headers={"X-Request-Id": "trace-42.a"})
    assert given.headers["x-request-id"] == "trace-42.a" == given.extensions["requestId"]
    odd = await gql("{ statistics { totalUsers } }", headers={"X-Request-Id": "a b\tc"})
    assert odd.headers["x-request-id"] != "a b\tc"


async def test_versions_name_only_the_domains_touched(gql: GraphQL) -> None:
    reply = await gql("{ statistics { totalUsers } }")
    assert list(reply.extensions["versions"]) == ["statistics"]
    reply = await gql("{ reviews(first: 1) { edges { node { author { name } } } } }")
    assert set(reply.extensions["versions"]) == {"reviews", "users"}


async def test_malformed_http_is_a_coded_400(gql: GraphQL) -> None:
    response = await gql.http.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    response = await gql.http.post(
        "/graphql", content=b"query", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400


@pytest.fixture
async def unversioned(shared_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(shared_db, data_dir, {}) as client:
        yield client


async def test_an_admin_forces_a_version_per_request(unversioned: GraphQL) -> None:
    query = "{ restaurants(first: 1) { edges { node { reviews(first: 1) { totalCount } } } } }"
    assert set((await unversioned(query)).extensions["versions"].values()) == {"v3"}
    forced = await unversioned(query, as_user=ADMIN_ID, headers={"X-Resolver-Version": "v4"})
    assert forced.extensions["versions"] == {"restaurants": "v4", "reviews": "v4"}
    assert forced.data == (await unversioned(query)).data


@pytest.mark.parametrize(("as_user", "code"), [(None, "FORBIDDEN"), (MODERATOR_ID, "FORBIDDEN")])
async def test_only_an_admin_may_force_a_version(
    unversioned: GraphQL, as_user: int | None, code: str
) -> None:
    reply = await unversioned(
        "{ statistics { totalUsers } }", as_user=as_user, headers={"X-Resolver-Version": "v4"}
    )
    assert reply.codes == [code]
    assert reply.data is None


async def test_a_forced_version_must_exist(unversioned: GraphQL) -> None:
    reply = await unversioned(
        "{ statistics { totalUsers } }", as_user=ADMIN_ID, headers={"X-Resolver-Version": "v5"}
    )
    assert reply.codes == ["BAD_USER_INPUT"]


async def test_internal_errors_are_masked(fresh_db: Database, version: str, data_dir: Path) -> None:
    from tests.conftest import environ_for

    async with gateway_client(fresh_db, data_dir, environ_for(version), version) as gql:
        async with gql.services.engine.begin() as conn:
            await conn.execute(text("DROP TABLE reviews"))
        reply = await gql("{ reviews(first: 1) { totalCount } }")
    assert reply.status == 200
    assert reply.codes == ["INTERNAL_SERVER_ERROR"]
    error = reply.errors[0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["requestId"] == reply.extensions["requestId"]
    assert "reviews" not in json.dumps(error["extensions"]) and "SELECT" not in error["message"]


async def test_queries_work_over_get_too(gql: GraphQL) -> None:
    response = await gql.http.get(
        "/graphql", params={"query": "{ restaurants(first: 2) { totalCount } }"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["restaurants"]["totalCount"] > 0
    mutation = await gql.http.get(
        "/graphql", params={"query": "mutation { deleteRestaurant(id: 1) }"}
    )
    assert mutation.status_code in (400, 405)


@pytest.mark.parametrize("body", [b'"x"', b"42", b"null", b"true", b"[1]", b'{"query": 5}'])
async def test_odd_json_bodies_are_coded_400s(gql: GraphQL, body: bytes) -> None:
    response = await gql.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ restaurants(filter: {search: "a\\u0000b"}) { totalCount } }', {}),
        ("query($s: String) { restaurants(filter: {city: $s}) { totalCount } }", {"s": "x\x00"}),
        ("query($s: String) { users(filter: {search: $s}) { totalCount } }", {"s": "\ud800"}),
        ('{ restaurant(id: "2147483648") { id } }', {}),
        ('{ reviews(filter: {restaurantId: ""}) { totalCount } }', {}),
        ('{ review(id: "9999999999") { id } }', {}),
    ],
)
async def test_text_and_ids_no_database_can_hold_are_bad_input(
    gql: GraphQL, query: str, variables: dict[str, object]
) -> None:
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = await gql.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes == ["BAD_USER_INPUT"]


async def test_a_cursor_works_only_for_the_list_it_came_from(gql: GraphQL) -> None:
    query = """query($filter: RestaurantFilter, $after: String) {
        restaurants(filter: $filter, first: 2, after: $after) { pageInfo { endCursor } } }"""
    page = (await gql(query, {"filter": {"state": "NJ"}})).ok()
    cursor = page["restaurants"]["pageInfo"]["endCursor"]
    assert (await gql(query, {"filter": {"state": "NJ"}, "after": cursor})).ok()
    other = await gql(query, {"filter": {"state": "NY"}, "after": cursor})
    assert other.codes == ["BAD_USER_INPUT"]
    nested = """query($id: ID!, $after: String) { restaurant(id: $id) {
        reviews(first: 1, after: $after) { pageInfo { endCursor } } } }"""
    busiest = str(seeded.busiest_restaurant())
    mine = (await gql(nested, {"id": busiest})).ok()["restaurant"]["reviews"]["pageInfo"]
    elsewhere = await gql(nested, {"id": "1", "after": mine["endCursor"]})
    assert elsewhere.codes == ["BAD_USER_INPUT"]


async def test_introspection_can_be_switched_off(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, {}, introspection=False) as closed:
        reply = await closed("{ __schema { types { name } } }")
        assert set(reply.codes) == {"BAD_USER_INPUT"}
        assert reply.data is None
        assert (await closed("{ statistics { totalUsers } }")).ok()
    async with gateway_client(shared_db, data_dir, {}) as open_:
        assert (await open_("{ __schema { queryType { name } } }")).ok()
