"""The shadow's noise baseline in one process (issue 15, part 1): a field that differs
between two runs of v3 is learned as noise and not reported as v4's, while a real v4
difference in another field of the same responses is."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import pytest

from jewgo.gateway.verification.shadow import Shadow
from jewgo.resolvers.v3.manager import LegacyDataManager
from tests.e2e.skews import one_star_more, skew_v4_restaurants
from tests.support import ADMIN_ID, Database, gateway_client

RUNS = 30  # noise counts from NoiseRule.min_runs runs of v3 against v3 on
QUERY = "{ restaurants(first: 3) { edges { node { name website averageRating } } } }"
SHADOW = """{ flag(name: "api_v4_restaurants") { metrics { shadow { comparisons mismatches
  noiseComparisons mismatchesBeyondNoise
  byField { field count noise rawRatePercent noiseRatePercent beyondNoise } } } } }"""


async def test_a_noisy_v3_field_is_learned_as_noise_and_a_real_v4_difference_is_not(
    fresh_db: Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = itertools.count()
    legacy = LegacyDataManager.restaurant_list

    async def noisy(self: LegacyDataManager, *args: Any) -> Any:
        # Each run of v3 gives a website of its own: what a timestamp or a random order
        # in legacy code does to a comparison.
        page = await legacy(self, *args)
        run = next(calls)
        noisy_items = tuple(
            dataclasses.replace(r, website=f"https://run-{run}.example") for r in page.items
        )
        return dataclasses.replace(page, items=noisy_items)

    monkeypatch.setattr(LegacyDataManager, "restaurant_list", noisy)
    skew_v4_restaurants(monkeypatch, one_star_more)
    environ = {"API_V4_ENABLED": "true"}
    async with gateway_client(
        fresh_db, data_dir, environ, shadow_sample_rate=1.0, shadow_noise_rate=1.0
    ) as gql:
        (await gql(
            'mutation { setFlagStage(name: "api_v4_restaurants", stage: TESTING) { stage } }',
            as_user=ADMIN_ID,
        )).ok()  # fmt: skip
        shadow: Shadow = gql.app.state.shadow
        for n in range(RUNS):
            (await gql(QUERY, headers={"X-Client-Id": f"reader-{n}"})).ok()
            await shadow.drain()
        found = (await gql(SHADOW, as_user=ADMIN_ID)).ok()["flag"]["metrics"]["shadow"]
    assert (found["comparisons"], found["mismatches"], found["noiseComparisons"]) == (RUNS,) * 3
    by_field = {f["field"]: f for f in found["byField"]}
    assert set(by_field) == {"Restaurant.website", "Restaurant.averageRating"}
    website, rating = by_field["Restaurant.website"], by_field["Restaurant.averageRating"]
    assert (website["count"], website["noise"], website["beyondNoise"]) == (RUNS, RUNS, False)
    assert website["noiseRatePercent"] == website["rawRatePercent"] == 100.0
    assert (rating["count"], rating["noise"], rating["beyondNoise"]) == (RUNS, 0, True)
    assert found["mismatchesBeyondNoise"] == RUNS
