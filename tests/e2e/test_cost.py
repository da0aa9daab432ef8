"""What a hostile request may cost the gateway: fragments measured in linear time, query
texts that do not stay in memory, repeated selections refused before validation while
/health answers, and the static cost of a request over HTTP, refused
past MAX_QUERY_COST before any SQL runs, reported when asked (X-Query-Cost), only
measured in measure mode, a batch weighed whole, and spent from the caller's per-minute
cost budget."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from jewgo.gateway.settings import Settings
from tests.support import USER_ID, Database, GraphQL, eventually, gateway_client

ASK = {"X-Query-Cost": "1"}
LIMIT = Settings().max_query_cost


def attack(first: int, aliases: int, inner: int) -> str:
    """Pages of reviews, each review's restaurant spreading a fragment of aliased pages."""
    fragment = " ".join(f"a{n}: reviews(first: {inner}) {{ totalCount }}" for n in range(aliases))
    return (
        f"{{ restaurants(first: {first}) {{ edges {{ node {{ id reviews(first: {first}) {{"
        " edges { node { id restaurant { ...A } } } } } } } }\n"
        f"fragment A on Restaurant {{ {fragment} }}"
    )


ATTACK = attack(100, 30, 100)  # 1,208 bytes once, 39,991 statements and 47 s
ATTACK_COST = 1 + 100 * (2 + 1 + 100 * (3 + 30 * 2))
SMALL = attack(3, 3, 2)
SMALL_COST = 1 + 3 * (2 + 1 + 3 * (3 + 3 * 2))
CHEAP = "{ statistics { totalUsers } }"  # 1
PAGE = "{ restaurants(first: 20) { edges { node { id } } } }"  # 1 + 20 * 2


@pytest.fixture
async def gql(shared_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(shared_db, data_dir, {}) as client:
        yield client


@contextmanager
def statements(gql: GraphQL, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The SQL statements of each request, as the accounting sees them."""
    seen: list[int] = []
    accounting = gql.services.accounting
    original = accounting.request

    def spy(context: Any, **facts: Any) -> None:
        seen.append(facts["statements"])
        original(context, **facts)

    with monkeypatch.context() as patch:
        patch.setattr(accounting, "request", spy)
        yield seen


def over_limit(mode: str) -> float:
    found = REGISTRY.get_sample_value("jewgo_query_cost_over_limit_total", {"mode": mode})
    return found or 0.0


def frozen(*clients: GraphQL) -> None:
    """The cost budget's minute stands still: a window turning mid-test would refill it."""
    for client in clients:
        client.services.demand.budget._clock = lambda: 30.0


async def batch(gql: GraphQL, *queries: str, headers: dict[str, str] | None = None) -> Any:
    return await gql.http.post(
        "/graphql", json=[{"query": query} for query in queries], headers=headers or {}
    )


def fragment_chain(links: int, leaf: str) -> str:
    """The attack on the depth limit: fragments each spreading the next twice."""
    parts = ['query { review(id: "1") { ...F0 } }']
    for n in range(links):
        inner = f"...F{n + 1} ...F{n + 1}" if n + 1 < links else leaf
        parts.append(f"fragment F{n} on Review {{ id {inner} }}")
    return "\n".join(parts)


@pytest.mark.parametrize(("leaf", "codes"), [("id", []), ("x: id", ["QUERY_TOO_COMPLEX"])])
async def test_a_chain_of_fragments_is_measured_without_walking_every_path(
    gql: GraphQL, leaf: str, codes: list[str]
) -> None:
    query = fragment_chain(22, leaf)
    assert len(query) < 1000
    started = time.process_time()
    reply = await gql(query)
    # 2^22 paths once took 10 s of CPU; a measure per fragment takes milliseconds. (The
    # unit tests count the work; this bound only has to survive a noisy machine.)
    assert time.process_time() - started < 1.0
    assert reply.codes == codes
    if not codes:
        assert set(reply.ok()) == {"review"}
    else:
        assert "2097152 aliases" in reply.errors[0]["message"]


async def test_large_distinct_documents_do_not_stay_in_memory(gql: GraphQL) -> None:
    """Comments are nearly free of tokens: 300 distinct documents of 950 KB once kept a
    worker 540 MB larger, held by the parser, validation and token caches."""
    line = "# " + "x" * 97 + "\n"
    # Whatever is built once (for a request, for a large document), built.
    await gql("{ statistics { totalUsers } }")
    await gql("# warm-up\n" + line * 2000 + "{ statistics { totalUsers } }")
    gc.freeze()  # what lived before: out of the collections below (only the loop's)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(5):
            query = f"# {n}\n" + line * 2000 + "{ statistics { totalUsers } }"
            assert (await gql(query)).ok()["statistics"]["totalUsers"] > 0
        del query
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gc.unfreeze()
    # 5 texts of 200 KB: 1 MB as text alone, more parsed; what requests keep besides
    # (metrics buckets, counts, the registry's buffers; 150-320 KB seen on a loaded
    # machine, with a time bucket or a flush falling inside the loop or not) is less.
    assert kept < 500_000, kept


def test_the_default_limit_is_far_below_the_attack_and_above_a_full_page() -> None:
    assert 1 + 100 * (2 + 1 + 30 * 3) <= LIMIT < ATTACK_COST  # 30 reviews of 100 restaurants


async def test_the_cost_attack_is_refused_before_any_sql_runs(
    gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(ATTACK) < 1400
    with statements(gql, monkeypatch) as seen:
        reply = await gql(ATTACK, headers=ASK)
    assert reply.codes == ["QUERY_TOO_COMPLEX"] and reply.data is None
    message = reply.errors[0]["message"]
    assert f"estimated cost is {ATTACK_COST}" in message and f"at most {LIMIT}" in message
    assert seen == [0]
    assert reply.extensions["cost"] == {"estimated": ATTACK_COST, "limit": LIMIT, "mode": "enforce"}


async def test_the_estimate_is_reported_only_when_asked(gql: GraphQL) -> None:
    assert "cost" not in (await gql(PAGE)).extensions
    reply = await gql(PAGE, headers=ASK)
    assert reply.ok() and reply.extensions["cost"]["estimated"] == 41


@pytest.mark.parametrize(("mode", "runs"), [("measure", True), ("enforce", False)])
async def test_measure_mode_runs_what_enforce_refuses_and_reports_both(
    shared_db: Database,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    runs: bool,
) -> None:
    options: dict[str, Any] = {"query_cost_mode": mode, "max_query_cost": SMALL_COST - 1}
    counted = over_limit(mode)
    async with gateway_client(shared_db, data_dir, {}, **options) as gql:
        with statements(gql, monkeypatch) as seen:
            reply = await gql(SMALL, headers=ASK)
    report = {"estimated": SMALL_COST, "limit": SMALL_COST - 1, "mode": mode}
    assert reply.extensions["cost"] == report
    assert over_limit(mode) == counted + 1
    if runs:
        assert len(reply.ok()["restaurants"]["edges"]) == 3 and seen[0] > 0
    else:
        assert reply.codes == ["QUERY_TOO_COMPLEX"] and seen == [0]


async def test_a_batch_is_weighed_whole(shared_db: Database, data_dir: Path) -> None:
    async with gateway_client(shared_db, data_dir, {}, max_query_cost=100) as gql:
        fits = await batch(gql, CHEAP, PAGE, headers=ASK)
        assert fits.status_code == 200
        costs = [result["extensions"]["cost"] for result in fits.json()]
        assert costs == [
            {"estimated": 1, "request": 42, "limit": 100, "mode": "enforce"},
            {"estimated": 41, "request": 42, "limit": 100, "mode": "enforce"},
        ]
        # Each operation fits; the three of them do not.
        over = await batch(gql, PAGE, PAGE, PAGE)
    results = over.json()
    assert [r["errors"][0]["extensions"]["code"] for r in results] == ["QUERY_TOO_COMPLEX"] * 3
    assert "batch's (3 operations) estimated cost is 123" in results[0]["errors"][0]["message"]
    assert all(r["data"] is None for r in results)


async def test_a_batch_of_ten_spends_ten_operations_of_the_budget(
    shared_db: Database, data_dir: Path
) -> None:
    options: dict[str, Any] = {"rate_limit_cost_per_minute": 25, "max_query_cost": 25}
    async with gateway_client(shared_db, data_dir, {}, **options) as gql:
        frozen(gql)
        statuses = [(await batch(gql, *[CHEAP] * 10)).status_code for _ in range(2)]
        refused = await batch(gql, *[CHEAP] * 10)
        # A signed-in user has a budget of their own.
        other = await gql(CHEAP, as_user=USER_ID)
    assert statuses == [200, 200]
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert [r["errors"][0]["extensions"]["code"] for r in refused.json()] == ["RATE_LIMITED"] * 10
    assert other.ok()


async def test_a_request_spends_its_estimate_and_at_least_one(
    shared_db: Database, data_dir: Path
) -> None:
    options: dict[str, Any] = {"rate_limit_cost_per_minute": 100, "max_query_cost": 100}
    async with gateway_client(shared_db, data_dir, {}, **options) as gql:
        frozen(gql)
        pages = [(await gql(PAGE)).status for _ in range(3)]  # 41 each
        free = [(await gql("{ __typename }", as_user=USER_ID)).status for _ in range(101)]
    assert pages == [200, 200, 429]
    assert free == [200] * 100 + [429]  # cost 0, yet each spends 1


async def test_the_cost_budget_is_fleet_wide_with_redis(
    shared_db: Database, data_dir: Path, redis_url: str, namespace: str
) -> None:
    options: dict[str, Any] = {
        "rate_limit_cost_per_minute": 100,
        "max_query_cost": 100,
        "redis_url": redis_url,
        "redis_namespace": namespace,
    }
    async with (
        gateway_client(shared_db, data_dir, {}, **options) as one,
        gateway_client(shared_db, data_dir, {}, **options) as two,
    ):
        frozen(one, two)
        first = [(await one(PAGE)).status for _ in range(2)]
        second = await two(PAGE)
    assert first == [200, 200] and second.status == 429
    assert second.codes == ["RATE_LIMITED"]


async def test_ten_operations_of_300_repeated_fields_are_refused_at_once_while_health_answers(
    gql: GraphQL,
) -> None:
    """Issue 22: a batch of 10 operations of 300 copies of one field (96 KB; within the
    token, cost and batch limits) took 7 s of CPU in validation, and /health went
    unanswered for 6.8 s meanwhile."""
    operation = "{ " + "statistics { totalRestaurants } " * 300 + "}"
    batch = [{"query": f"# {n}\n{operation}"} for n in range(10)]
    late: list[float] = []  # how long after it was due each /health was answered
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            due = time.monotonic() + 0.01
            await asyncio.sleep(0.01)
            assert (await gql.http.get("/health")).status_code == 200
            late.append(time.monotonic() - due)

    async def probing() -> bool:
        return bool(late)

    # What lived before out of collections, as a served gateway's start-up (GC_FREEZE): a
    # full collection of this test process's heap alone holds the loop for 0.2 s.
    gc.collect()
    gc.freeze()
    prober = asyncio.create_task(probe())
    try:
        await eventually(probing)
        started = time.process_time()
        reply = await gql.http.post("/graphql", json=batch)
        cpu = time.process_time() - started
    finally:
        done.set()
        await prober
        gc.unfreeze()
    codes = [[e["extensions"]["code"] for e in item["errors"]] for item in reply.json()]
    assert codes == [["QUERY_TOO_COMPLEX"]] * 10
    assert "selects 'statistics' 300 times at one place" in reply.json()[0]["errors"][0]["message"]
    assert cpu < 1.0, cpu
    # No request holds the loop over 100 ms (SPEC 14; 6.8 s before); the margin is for a
    # loaded machine's scheduling (the other worker, other tests' servers), not the request.
    assert max(late) < 0.4, max(late)
    metrics = (await gql.http.get("/metrics")).text
    assert "jewgo_event_loop_lag_seconds_bucket" in metrics
    assert "jewgo_event_loop_lag_max_seconds" in metrics
