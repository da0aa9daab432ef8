"""Weighing a request at the door: every operation estimated and summed, refused past the
limit, spent from the client's budget (at least 1 an operation), or, in measure mode,
only estimated; documents parsed once and handed on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import DocumentNode
from pydantic import ValidationError
from strawberry.http import GraphQLRequestData

from jewgo.gateway.request.demand import Demand, Mode, asks_for_cost
from jewgo.gateway.request.ratelimit import RateLimiter
from jewgo.gateway.settings import Settings
from jewgo.resolvers.errors import QueryTooCostly, RateLimited, Unauthenticated
from jewgo.schema import schema
from jewgo.schema.context import RequestCost
from jewgo.schema.extensions.cost import CostModel
from jewgo.schema.extensions.documents import Documents
from jewgo.schema.refusal import Refusal

CHEAP = "{ statistics { totalUsers } }"  # 1
FREE = "{ __typename }"  # 0
PAGE = "query($n: Int) { restaurants(first: $n) { edges { node { id } } } }"  # 1 + 2n


@dataclass
class Door:
    refusal: Refusal | None = None
    documents: dict[str, DocumentNode] = field(default_factory=dict)
    cost: RequestCost | None = None


class Budget(RateLimiter):
    def __init__(self, limit: int) -> None:
        super().__init__(limit, clock=lambda: 30.0)
        self.spent: list[tuple[str, int]] = []

    async def spend(self, client: str, units: int) -> tuple[bool, int]:
        self.spent.append((client, units))
        return await super().spend(client, units)


def demand(*, limit: int = 100, budget: int = 1000, mode: Mode = "enforce") -> Demand:
    model = CostModel(schema._schema, max_page_size=100)
    return Demand(Documents(), model, Budget(budget), max_tokens=50, max_cost=limit, mode=mode)


def op(query: str | None, **variables: Any) -> GraphQLRequestData:
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=None, extensions=None
    )


async def admit(door: Demand, *operations: GraphQLRequestData) -> tuple[Door, int | None]:
    context = Door()
    retry_after = await door.admit(context, operations, client="user:3", report=False)
    return context, retry_after


def spent(door: Demand) -> list[tuple[str, int]]:
    assert isinstance(door.budget, Budget)
    return door.budget.spent


@pytest.mark.parametrize(
    ("operations", "estimated", "spends"),
    [
        ([op(CHEAP)], 1, 1),
        ([op(FREE)], 0, 1),  # every operation spends at least 1
        ([op(PAGE, n=10)], 21, 21),
        ([op(CHEAP)] * 10, 10, 10),
        ([op(PAGE, n=3), op(FREE), op(CHEAP)], 7 + 0 + 1, 7 + 1 + 1),
        # Refused before they could run: no query, too many tokens, a syntax error.
        ([op(None), op("{ " + "statistics { totalUsers } " * 20 + "}"), op("{ nope")], 0, 3),
    ],
)
async def test_a_request_is_weighed_whole_and_spends_at_least_one_an_operation(
    operations: list[GraphQLRequestData], estimated: int, spends: int
) -> None:
    door = demand()
    context, retry_after = await admit(door, *operations)
    assert context.cost == RequestCost(estimated, 100, "enforce", len(operations), False)
    assert context.refusal is None and retry_after is None
    assert spent(door) == [("user:3", spends)]


async def test_past_the_limit_the_request_is_refused_and_spends_nothing() -> None:
    door = demand(limit=40)
    context, retry_after = await admit(door, op(PAGE, n=10), op(PAGE, n=10))
    assert context.refusal == Refusal(
        QueryTooCostly, "The batch's (2 operations) estimated cost is 42; at most 40 is allowed"
    )
    assert retry_after is None and spent(door) == []


async def test_past_the_budget_the_request_is_rate_limited_with_retry_after() -> None:
    door = demand(budget=30)
    first, _ = await admit(door, op(PAGE, n=10))
    second, retry_after = await admit(door, op(PAGE, n=10))
    assert first.refusal is None
    assert second.refusal == Refusal(
        RateLimited, "Too much estimated cost this minute; try again in 30 s"
    )
    assert retry_after == 30


async def test_measure_mode_estimates_and_refuses_nothing() -> None:
    door = demand(limit=10, budget=10, mode="measure")
    for _ in range(3):
        context, retry_after = await admit(door, op(PAGE, n=10))
        assert context.refusal is None and retry_after is None
        assert context.cost is not None and context.cost.estimated == 21
    assert spent(door) == []


async def test_a_request_refused_already_is_not_weighed() -> None:
    door = demand()
    context = Door(refusal=Refusal(Unauthenticated, "bad token"))
    assert await door.admit(context, [op(CHEAP)], client="address:x", report=True) is None
    assert context.cost is None and spent(door) == []


async def test_each_text_is_parsed_once_and_handed_on() -> None:
    door = demand()
    context, _ = await admit(door, op(PAGE, n=1), op(PAGE, n=2))
    assert list(context.documents) == [PAGE]


@pytest.mark.parametrize(
    ("value", "asked"), [("1", True), ("true", True), (" Yes ", True), ("0", False), ("", False)]
)
def test_the_cost_is_reported_when_the_header_asks(value: str, asked: bool) -> None:
    assert asks_for_cost({"x-query-cost": value}) is asked
    assert asks_for_cost({}) is False


@pytest.mark.parametrize(
    ("values", "budget"),
    [
        ({}, 100_000),
        ({"rate_limit_cost_per_minute": 0}, 0),
        ({"rate_limit_per_minute": 0}, 0),  # off altogether, as before the cost budget
        ({"rate_limit_cost_per_minute": 500, "max_query_cost": 500}, 500),
        ({"rate_limit_cost_per_minute": 499, "max_query_cost": 500}, None),
        ({"rate_limit_cost_per_minute": 10, "rate_limit_per_minute": 0}, 0),
    ],
)
def test_the_cost_budget_can_always_afford_a_request_within_the_limit(
    values: dict[str, Any], budget: int | None
) -> None:
    if budget is None:
        with pytest.raises(ValidationError, match="at least MAX_QUERY_COST"):
            Settings(**values)
    else:
        assert Settings(**values).cost_budget_per_minute == budget
