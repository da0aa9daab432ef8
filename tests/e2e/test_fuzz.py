"""Fuzzing the live gateway (a real server on PostgreSQL): property-based tests of filters,
cursors and inputs, and a schema-driven GraphQL fuzzer (schemathesis).

Whatever comes in: no HTTP 500, no INTERNAL_SERVER_ERROR, no internal message in an
answer, and a rejected write writes nothing. FUZZ_EXAMPLES bounds the cases per test
(small by default, so CI stays fast; raise it locally for a longer hunt).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jewgo.gateway.auth import Tokens
from tests.conftest import Templates, clone
from tests.support import ADMIN_ID, JWT_SECRET, USER_ID, base_env, free_port, serving

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ADMIN = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)}"}
USER = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(USER_ID)}"}
LEAKS = re.compile(
    r"Traceback|sqlalchemy|asyncpg|sqlite|psycopg|\bSELECT\b|\bINSERT\b|\bUPDATE \w+ SET|"
    r"File \"|NoneType|KeyError|AttributeError|object has no attribute",
    re.IGNORECASE,
)
KNOWN = {"BAD_USER_INPUT", "NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN", "CONFLICT",
         "QUERY_TOO_COMPLEX", "RATE_LIMITED", "FAILED_PRECONDITION"}  # fmt: skip


@pytest.fixture(scope="module")
async def live(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    workdir = tmp_path_factory.mktemp("fuzz")
    database = await clone("postgres", templates, workdir)
    jewgo = str(Path(sys.executable).parent / "jewgo")
    env = base_env(DATABASE_URL=database.url, RATE_LIMIT_PER_MINUTE="0", SHADOW_SAMPLE_RATE="0")
    port = free_port()
    with ExitStack() as stack:
        server = stack.enter_context(
            serving([jewgo, "serve", "--port", str(port)], env, workdir, port)
        )
        yield server.url
    await database.close()


@pytest.fixture(scope="module")
def http(live: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live, timeout=30) as client:
        yield client


def sane(response: httpx.Response) -> dict[str, Any]:
    """The answer of a healthy gateway to anything: coded, masked, never a 500."""
    assert response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    if isinstance(body, list):  # a batch
        body = {"errors": [e for item in body for e in item.get("errors", [])]}
    for error in body.get("errors") or []:
        code = error.get("extensions", {}).get("code")
        assert code in KNOWN, error
        assert not LEAKS.search(error.get("message", "")), error
    return body


def post(
    http: httpx.Client, query: str, variables: dict[str, Any], **headers: str
) -> dict[str, Any]:
    return sane(
        http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    )


text = st.text(max_size=60)
maybe = st.none() | st.just(st.nothing())
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
restaurant_filter = st.fixed_dictionaries(
    {},
    optional={
        "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE"]),
        "certifyingAgency": text,
        "city": text,
        "state": text,
        "status": st.sampled_from(["ACTIVE", "PENDING", "CLOSED"]),
        "isCholovYisroel": st.booleans(),
        "isPasYisroel": st.booleans(),
        "minRating": floats,
        "search": text,
        "near": st.fixed_dictionaries(
            {"latitude": floats, "longitude": floats, "radiusKm": floats}
        ),
    },
)
LIST = """query($f: RestaurantFilter, $o: RestaurantOrder!, $n: Int!, $a: String) {
  restaurants(filter: $f, orderBy: $o, first: $n, after: $a) { totalCount
    pageInfo { endCursor } edges { node { kosherCategory status averageRating distanceKm
    isCholovYisroel } } } }"""


@FUZZ
@given(
    where=restaurant_filter,
    order=st.sampled_from(["NAME", "RATING", "NEWEST", "DISTANCE"]),
    first=st.integers(-5, 120),
)
def test_any_filter_is_answered_and_kept(
    http: httpx.Client, where: dict[str, Any], order: str, first: int
) -> None:
    body = post(http, LIST, {"f": where, "o": order, "n": first})
    if body.get("errors"):
        return
    for edge in body["data"]["restaurants"]["edges"]:
        node = edge["node"]
        if "kosherCategory" in where:
            assert node["kosherCategory"] == where["kosherCategory"]
        assert node["status"] == where.get("status", "ACTIVE")
        if "minRating" in where:
            assert node["averageRating"] is not None and node["averageRating"] >= where["minRating"]
        if "isCholovYisroel" in where:
            assert node["isCholovYisroel"] == where["isCholovYisroel"]
        if "near" in where:
            assert node["distanceKm"] <= where["near"]["radiusKm"]


@FUZZ
@given(cursor=st.text(max_size=80) | st.binary(max_size=60).map(lambda b: b.hex()))
def test_any_cursor_is_a_page_or_bad_input(http: httpx.Client, cursor: str) -> None:
    body = post(http, LIST, {"o": "NAME", "n": 3, "a": cursor})
    assert not body.get("errors") or [e["extensions"]["code"] for e in body["errors"]] == [
        "BAD_USER_INPUT"
    ]


COUNTS = "{ statistics { totalRestaurants totalReviews } }"
CREATE = "mutation($i: CreateRestaurantInput!) { createRestaurant(input: $i) { id name } }"
REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { id rating } }"
restaurant_input = st.fixed_dictionaries(
    {"name": text, "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE", "FISH"])},
    optional={
        "address": text, "city": text, "state": text, "zipCode": text, "phone": text,
        "website": text, "certifyingAgency": text, "priceRange": text,
        "isCholovYisroel": st.booleans() | st.none(), "latitude": floats, "longitude": floats,
    },
)  # fmt: skip
review_input = st.fixed_dictionaries(
    {
        "restaurantId": st.integers(-3, 3000).map(str) | text,
        "rating": st.integers(-10, 10),
        "content": text,
    },
    optional={"title": text | st.none()},
)


@FUZZ
@given(data=restaurant_input)
def test_any_new_restaurant_is_created_or_refused_without_a_trace(
    http: httpx.Client, data: dict[str, Any]
) -> None:
    before = post(http, COUNTS, {}, **ADMIN)["data"]["statistics"]
    body = post(http, CREATE, {"i": data}, **ADMIN)
    after = post(http, COUNTS, {}, **ADMIN)["data"]["statistics"]
    created = not body.get("errors")
    assert after["totalRestaurants"] == before["totalRestaurants"] + int(created)


@FUZZ
@given(data=review_input)
def test_any_new_review_is_created_or_refused_without_a_trace(
    http: httpx.Client, data: dict[str, Any]
) -> None:
    before = post(http, COUNTS, {}, **USER)["data"]["statistics"]
    body = post(http, REVIEW, {"i": data}, **USER)
    after = post(http, COUNTS, {}, **USER)["data"]["statistics"]
    created = not body.get("errors")
    assert after["totalReviews"] == before["totalReviews"] + int(created)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(body=json_values)
def test_any_json_body_is_answered_without_a_500(http: httpx.Client, body: Any) -> None:
    sane(http.post("/graphql", json=body, headers={"content-type": "application/json"}))


@pytest.fixture(scope="module")
def graphql_schema(live: str) -> Any:
    return schemathesis.graphql.from_url(f"{live}/graphql")


def test_the_schema_driven_fuzzer_finds_no_internal_error(graphql_schema: Any) -> None:
    """Every query and mutation of the schema, with arguments generated from their types
    (schemathesis' strategies), sent as an admin so that the deepest paths are reached."""
    operations = [result.ok() for result in graphql_schema.get_all_operations()]
    assert len(operations) >= 20
    cases = st.one_of([operation.as_strategy() for operation in operations])

    @settings(
        max_examples=EXAMPLES * 8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: Any) -> None:
        response = case.call(headers=ADMIN)
        sane(httpx.Response(response.status_code, content=response.content))

    check()
