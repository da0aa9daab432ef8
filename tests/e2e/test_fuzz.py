"""Fuzzing the live gateway (a real server on PostgreSQL): property-based tests of every
input a client controls, with the hostile strategies of tests/fuzzing.py, and a
schema-driven GraphQL fuzzer (schemathesis).

Whatever comes in: no HTTP 500, no INTERNAL_SERVER_ERROR, only known codes, no internal
message in an answer, an answer within REQUEST_SECONDS, and a rejected write writes nothing.
Reads and writes run on both fi.versions (an admin forces one with X-Resolver-Version).
FUZZ_EXAMPLES bounds the cases per test (25 by default, so CI stays fast; raise it for a
longer hunt, see the README).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jewgo.gateway.request.auth import Tokens
from tests import fuzz_inputs as fi
from tests import fuzzing as fz
from tests.conftest import Templates, clone
from tests.support import ADMIN_ID, JWT_SECRET, USER_ID, base_env, free_port, serving

# A failing case of a megabyte is still reported (shortened), not turned into a warning.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Generating overly large repr")]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)  # fmt: skip
REQUEST_SECONDS = 5.0  # generous: every answer here takes milliseconds on a healthy gateway
ADMIN = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(ADMIN_ID)}"}
BASIC = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(42)}"}
USER = {"Authorization": f"Bearer {Tokens(JWT_SECRET, 3600).issue(USER_ID)}"}
LEAKS = re.compile(
    r"Traceback|sqlalchemy|asyncpg|sqlite|psycopg|\bSELECT\b|\bINSERT\b|\bUPDATE \w+ SET|"
    r"File \"|NoneType|KeyError|AttributeError|object has no attribute|RecursionError|"
    r"Exceeds the limit|OverflowError|out of range|surrogates not allowed",
    re.IGNORECASE,
)
KNOWN = {"BAD_USER_INPUT", "NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN", "CONFLICT",
         "QUERY_TOO_COMPLEX", "RATE_LIMITED", "FAILED_PRECONDITION"}  # fmt: skip


# The whole suite runs twice: with the response cache off, and on (its fast path reads
# every body before the normal path does, so it meets every hostile body first).
RESPONSE_CACHE = {
    "response cache off": {},
    "response cache on": {"RESPONSE_CACHE": "true", "API_V4_CACHE": "true"},
}


@pytest.fixture(scope="module", params=list(RESPONSE_CACHE), ids=list(RESPONSE_CACHE))
async def live(
    request: pytest.FixtureRequest, templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    workdir = tmp_path_factory.mktemp("fuzz")
    database = await clone("postgres", templates, workdir)
    jewgo = str(Path(sys.executable).parent / "jewgo")
    env = base_env(
        DATABASE_URL=database.url,
        RATE_LIMIT_PER_MINUTE="0",
        SHADOW_SAMPLE_RATE="0",
        **RESPONSE_CACHE[request.param],
    )
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
        assert not post(client, fi.STRICT_FOR_ADMINS_BUT_42, {}, **ADMIN).get("errors")
        yield client


def sane(response: httpx.Response) -> dict[str, Any]:
    """The answer of a healthy gateway to anything: coded, masked, prompt, never a 500."""
    assert response.status_code < 500, response.text[:2000]
    assert response.elapsed.total_seconds() < REQUEST_SECONDS, response.text[:2000]
    if response.status_code == 431:  # headers refused by the protocol layer, in plain text
        return {}
    body: dict[str, Any] = response.json()
    if isinstance(body, list):  # a batch
        body = {"errors": [e for item in body for e in item.get("errors", [])]}
    for error in body.get("errors") or []:
        code = error.get("extensions", {}).get("code")
        assert code in KNOWN, error
        assert not LEAKS.search(error.get("message", "")), error
    return body


def send(http: httpx.Client, content: bytes, **headers: str) -> dict[str, Any]:
    sent = {"content-type": "application/json", **headers}
    return sane(http.post("/graphql", content=content, headers=sent))


def post(http: httpx.Client, query: str, variables: dict[str, Any], **headers: str) -> Any:
    # Our own encoding, not httpx's: it escapes lone surrogates instead of failing on them.
    payload = fz.dumps({"query": query, "variables": variables})
    return send(http, payload.encode(), **headers)


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


def as_admin(version: str) -> dict[str, str]:
    """`v3`, `v4` (basic validation) or `v4 strict` (validation and error handling flags)."""
    return {**(ADMIN if version != "v4" else BASIC), "X-Resolver-Version": version[:2]}


@FUZZ
@given(where=fi.restaurant_filter, order=fi.orders, first=st.integers(-5, 120), version=fi.versions)
def test_any_filter_is_answered_and_kept(
    http: httpx.Client, where: dict[str, Any], order: str, first: int, version: str
) -> None:
    body = post(http, fi.LIST, {"f": where, "o": order, "n": first}, **as_admin(version))
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


OTHER_LISTS = """query($r: ReviewFilter, $u: UserFilter, $id: ID!, $uid: ID) {
  reviews(filter: $r, first: 3) { totalCount } users(filter: $u, first: 3) { totalCount }
  restaurant(id: $id) { id } review(id: $id) { id } user(id: $id) { id }
  migration { flags { decisionFor(userId: $uid) } } }"""


@FUZZ
@given(reviews=fi.review_filter, search=fz.text, id_=fz.id_text, user_id=fz.id_text | st.none(),
       version=fi.versions)  # fmt: skip
def test_any_id_or_search_is_answered(
    http: httpx.Client, reviews: Any, search: str, id_: str, user_id: str | None, version: str
) -> None:
    variables = {"r": reviews, "u": {"search": search}, "id": id_, "uid": user_id}
    post(http, OTHER_LISTS, variables, **as_admin(version))


def end_cursor(data: Any) -> str:
    while "pageInfo" not in data:
        data = next(iter(data.values()))
    return str(data["pageInfo"]["endCursor"])


@pytest.fixture(scope="module")
def real_lists(http: httpx.Client) -> dict[str, tuple[str, str]]:
    """Each list's kind and digest, from a real cursor of its first page."""
    return {
        name: fz.cursor_parts(end_cursor(post(http, query, variables, **ADMIN)["data"]))
        for name, (_, query, variables) in fi.PAGES.items()
    }


@FUZZ
@given(case=fi.pages, version=fi.versions)
@fz.examples([{"case": case, "version": v} for case in fi.KNOWN_CURSORS for v in fi.VERSIONS])
def test_any_cursor_is_a_page_or_bad_input(
    http: httpx.Client, real_lists: dict[str, tuple[str, str]], case: Any, version: str
) -> None:
    page, cursor = case
    if isinstance(cursor, fz.Cursor):
        cursor = cursor.of(*real_lists[page])
    _, query, variables = fi.PAGES[page]
    body = post(http, query, {**variables, "a": cursor}, **as_admin(version))
    assert codes(body) <= {"BAD_USER_INPUT"}


COUNTS, CREATE, REVIEW = fi.COUNTS, fi.CREATE, fi.REVIEW


@FUZZ
@given(data=fi.restaurant_input, version=fi.versions)
@fz.examples([{"data": data, "version": v} for data in fi.KNOWN_RESTAURANTS for v in fi.VERSIONS])
def test_any_new_restaurant_is_created_or_refused_without_a_trace(
    http: httpx.Client, data: dict[str, Any], version: str
) -> None:
    before = post(http, COUNTS, {}, **ADMIN)["data"]["statistics"]
    body = post(http, CREATE, {"i": data}, **as_admin(version))
    after = post(http, COUNTS, {}, **ADMIN)["data"]["statistics"]
    created = not body.get("errors")
    assert after["totalRestaurants"] == before["totalRestaurants"] + int(created)
    if created and version == "v4 strict":  # what strict validation accepts, it normalised
        assert fi.normalised(body["data"]["createRestaurant"]), body


@FUZZ
@given(data=fi.review_input)
def test_any_new_review_is_created_or_refused_without_a_trace(
    http: httpx.Client, data: dict[str, Any]
) -> None:
    before = post(http, COUNTS, {}, **USER)["data"]["statistics"]
    body = post(http, REVIEW, {"i": data}, **USER)
    after = post(http, COUNTS, {}, **USER)["data"]["statistics"]
    created = not body.get("errors")
    assert after["totalReviews"] == before["totalReviews"] + int(created)


@FUZZ
@given(name=st.sampled_from(sorted(fi.UPDATES)), version=fi.versions, data=st.data())
def test_any_update_is_applied_or_refused(
    http: httpx.Client, name: str, version: str, data: st.DataObject
) -> None:
    mutation, inputs = fi.UPDATES[name]
    id_ = data.draw(fi.update_ids, label="id")
    post(http, mutation, {"id": id_, "i": data.draw(inputs, label="input")}, **as_admin(version))


@FUZZ
@given(body=fi.bodies)
@fz.examples([{"body": body} for body in fi.KNOWN_BODIES])
def test_any_body_is_answered_without_a_500(http: httpx.Client, body: bytes) -> None:
    send(http, body)


@FUZZ
@given(query=fz.text | st.just(fi.LIST), variables=fz.json_text, name=fz.text, bad=st.booleans())
def test_any_get_is_answered_without_a_500(
    http: httpx.Client, query: str, variables: str, name: str, bad: bool
) -> None:
    def part(value: str) -> str:
        raw = value.encode("utf-8", "surrogatepass") + (b"\xff" if bad else b"")
        return quote_from_bytes(raw, safe="")

    url = f"/graphql?query={part(query)}&variables={part(variables)}&operationName={part(name)}"
    assume(len(url) < 32_000)  # past the gateway's header limit, the protocol layer says 431
    sane(http.get(url, headers={"accept": "application/json"}))


@FUZZ
@given(document=fi.documents, version=fi.versions)
@fz.examples([{"document": d, "version": v} for d in fi.KNOWN_DOCUMENTS for v in fi.VERSIONS])
def test_any_document_is_answered_in_proportion(
    http: httpx.Client, document: str, version: str
) -> None:
    post(http, document, {}, **as_admin(version))


@FUZZ
@given(token=fz.odd_tokens(JWT_SECRET), client=fz.header_values)
@fz.examples([{"token": (fz.sign(sub, JWT_SECRET), sub), "client": b"c"}
           for sub in (str(2**31), "01", "\u0661")])  # fmt: skip
def test_a_token_names_a_canonical_user_id_or_is_refused(
    http: httpx.Client, token: tuple[str, object], client: bytes
) -> None:
    signed, sub = token
    headers = {b"authorization": b"Bearer " + signed.encode(), b"x-client-id": client,
               b"x-request-id": client}  # fmt: skip
    body = sane(http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers))
    if not body:
        return  # 431: the headers were too large to read
    expected = fz.canonical_subject(sub)
    if expected is None:
        assert codes(body) == {"UNAUTHENTICATED"}, (sub, body)
    elif not body.get("errors"):
        assert body["data"]["me"]["id"] == str(expected)


@pytest.fixture(scope="module")
def graphql_schema(live: str) -> Any:
    return schemathesis.graphql.from_url(f"{live}/graphql")


def test_the_schema_driven_fuzzer_finds_no_internal_error(graphql_schema: Any) -> None:
    """Every query and mutation of the schema, with arguments generated from their types
    (schemathesis' strategies), sent as an admin so that the deepest paths are reached."""
    operations = [result.ok() for result in graphql_schema.get_all_operations()]
    assert len(operations) >= 20
    cases = st.one_of([operation.as_strategy() for operation in operations])

    @settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def check(case: Any) -> None:
        response = case.call(headers=ADMIN)
        answer = httpx.Response(response.status_code, content=response.content)
        answer.elapsed = timedelta(seconds=response.elapsed)
        sane(answer)

    check()
