"""Replay before exposure (issue 15, part 5): the queries the gateway recorded, with their
variables and the caller's role, run again through v3 and v4; exactly the injected v4
difference is reported, with its example, and nothing else."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jewgo.gateway.operations.samples import PER_OPERATION, samples_table
from jewgo.gateway.verification.replay import Replayer, summary
from jewgo.gateway.wiring.services import Services
from jewgo.resolvers.v4.services.restaurants import RestaurantService
from tests.support import ADMIN_ID, USER_ID, Database, GraphQL, gateway_client

ONE = "query One($id: ID!) { restaurant(id: $id) { id name city averageRating } }"
LIST = "query List { restaurants(first: 5) { edges { node { id name } } } }"
STATS = "query Stats { statistics { totalReviews } }"
MINE = "query Mine { me { id name } }"
COVERAGE = "{ migration { coverage { flag knownOperations cleanOperations notClean } } }"
WRITE = (
    'mutation Write { createRestaurant(input: {name: "Replayed?", kosherCategory: MEAT}) { id } }'
)


def literal(n: int) -> str:
    return f'query R{n} {{ restaurant(id: "{n}") {{ id name city }} }}'


async def record(gql: GraphQL) -> Services:
    for restaurant_id in ("1", "3", "4", "5", "6"):  # 5 runs: 3 samples kept
        (await gql(ONE, {"id": restaurant_id})).ok()
    for n in range(1, 47):  # 46 operations more, one of them about restaurant 2
        (await gql(literal(n))).ok()
    (await gql(LIST)).ok()
    (await gql(STATS)).ok()
    (await gql(MINE, as_user=USER_ID)).ok()
    (await gql(WRITE, as_user=ADMIN_ID)).ok()
    services: Services = gql.app.state.services
    await services.registry.flush()
    return services


async def test_a_replay_reports_exactly_the_injected_difference(
    fresh_db: Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with gateway_client(fresh_db, data_dir, {"API_V4_ENABLED": "true"}) as gql:
        services = await record(gql)
        async with services.engine.connect() as conn:
            kept = await conn.scalar(select(func.count()).select_from(samples_table))
        assert kept == PER_OPERATION + 49  # One's first three; each other query's {}

        honest = RestaurantService.restaurant

        async def renamed_second(self: RestaurantService, restaurant_id: int) -> Any:
            found = await honest(self, restaurant_id)
            if found is not None and restaurant_id == 2:
                return dataclasses.replace(found, city="Elsewhere")
            return found

        monkeypatch.setattr(RestaurantService, "restaurant", renamed_second)
        replayer = Replayer(services.schema, services.contexts, services.registry, services.engine)
        report = await replayer.replay("api_v4_restaurants", services.flags.snapshot, 100)
        status = (await gql(COVERAGE, as_user=ADMIN_ID)).ok()
    # 50 recorded operations (One with three samples); Write, a mutation, is never replayed.
    assert len({op.hash for op in report.operations}) == 50
    outcomes = {(op.name, op.outcome) for op in report.operations}
    assert {("Mine", "skipped"), ("Stats", "skipped"), ("List", "matched"),
            ("One", "matched"), ("R2", "differing")} <= outcomes  # fmt: skip
    (differing,) = [op for op in report.operations if op.outcome == "differing"]
    assert [(d.field, d.path, d.v4) for d in differing.differences] == [
        ("Restaurant.city", "restaurant.city", "Elsewhere")
    ]
    assert report.count("matched") == len(report.operations) - 3
    assert differing.role is None and not report.passed
    assert any("Restaurant.city at restaurant.city" in line for line in summary(report))
    coverage = {c["flag"]: c for c in status["migration"]["coverage"]}
    # One, List and R1 to R46 reach restaurants; all but R2 replayed clean.
    assert coverage["api_v4_restaurants"] == {
        "flag": "api_v4_restaurants", "knownOperations": 48, "cleanOperations": 47,
        "notClean": ["R2"],
    }  # fmt: skip
    assert coverage["api_v4_statistics"]["knownOperations"] == 1  # Stats, never compared
    assert coverage["api_v4_statistics"]["cleanOperations"] == 0


async def test_a_recorded_role_is_replayed_and_mutations_never_are(
    fresh_db: Database, data_dir: Path
) -> None:
    async with gateway_client(fresh_db, data_dir, {"API_V4_ENABLED": "true"}) as gql:
        services = await record(gql)
        replayer = Replayer(services.schema, services.contexts, services.registry, services.engine)
        report = await replayer.replay("api_v4_users", services.flags.snapshot, 50)
        count = (await gql('{ restaurants(filter: {search: "Replayed?", status: ACTIVE}) '
                           "{ totalCount } }", as_user=ADMIN_ID)).ok()  # fmt: skip
    mine = next(op for op in report.operations if op.name == "Mine")
    assert (mine.role, mine.outcome) == ("USER", "matched")
    assert "Write" not in {op.name for op in report.operations}
    assert count["restaurants"]["totalCount"] == 1  # the one write, by the test itself
    assert report.passed
