"""A flag's figures over time (`metrics { series }`): per step, each version's requests,
errors and latency, for charts; its bounds are checked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import V4_EVERYWHERE
from tests.support import ADMIN_ID, Database, gateway_client

SERIES = """query($m: Int!, $s: Int!) { flag(name: "api_v4_reviews") { metrics {
  series(minutes: $m, stepSeconds: $s) { at shadowComparisons
    versions { version requests errors p95Ms } } } } }"""


async def test_the_latest_step_holds_the_requests_just_served(
    shared_db: Database, data_dir: Path
) -> None:
    async with gateway_client(shared_db, data_dir, V4_EVERYWHERE) as gql:
        for _ in range(4):
            (await gql("{ reviews(first: 2) { totalCount } }")).ok()
        reply = await gql(SERIES, {"m": 10, "s": 60}, as_user=ADMIN_ID)
    points = reply.ok()["flag"]["metrics"]["series"]
    assert 10 <= len(points) <= 11
    starts = [datetime.fromisoformat(p["at"]) for p in points]
    assert starts == sorted(starts) and all(s.second == 0 for s in starts)
    steps = [{v["version"]: v for v in p["versions"]} for p in points]
    served = [n for n, step in enumerate(steps) if step["V4"]["requests"]]
    # Within the last two steps (a minute may have begun while the test ran).
    assert served and served[0] >= len(steps) - 2
    assert sum(step["V4"]["requests"] for step in steps) == 4
    assert all(step["V3"]["requests"] == 0 for step in steps)
    assert steps[served[-1]]["V4"]["p95Ms"] is not None


@pytest.mark.parametrize(
    ("minutes", "step", "field"),
    [(0, 60, "minutes"), (181, 60, "minutes"), (60, 1, "stepSeconds"),
     (180, 5, "stepSeconds"), (60, 3601, "stepSeconds")],
)  # fmt: skip
async def test_a_series_out_of_its_bounds_is_bad_input(
    shared_db: Database, data_dir: Path, minutes: int, step: int, field: str
) -> None:
    async with gateway_client(shared_db, data_dir, {}) as gql:
        reply = await gql(SERIES, {"m": minutes, "s": step}, as_user=ADMIN_ID)
    assert reply.codes == ["BAD_USER_INPUT"]
    assert f"`{field}`" in reply.errors[0]["message"]
