"""The request's demand, weighed at the door before anything runs, as Apollo's router does.

Every operation of the request is estimated (`schema.extensions.cost`), a batch's summed. In enforce
mode (QUERY_COST_MODE) a request over MAX_QUERY_COST is refused (QUERY_TOO_COMPLEX), and
one within it spends its cost, at least 1 an operation, from its client's budget
(RATE_LIMIT_COST_PER_MINUTE; past it HTTP 429, Retry-After, RATE_LIMITED). In measure
mode the cost is estimated, reported and accounted (the request log's `cost`, the
metrics `jewgo_query_cost_estimated` and `jewgo_query_cost_over_limit_total{mode}`), and
nothing is refused or spent.

A refusal becomes the context's `refusal` (a value), which the RequestGuard answers for
every operation before it is parsed again: a refused request runs no SQL. What is parsed here
is handed on in the context's `documents`, so nothing is parsed twice. A batch's
documents are parsed one at a time, the event loop free between them (issue 22: ten
documents of 10 KB held it for half a second).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from graphql import DocumentNode, GraphQLError
from strawberry.http import GraphQLRequestData

from jewgo.gateway.request.ratelimit import RateLimiter
from jewgo.resolvers.errors import QueryTooCostly, RateLimited
from jewgo.schema.context import RequestCost
from jewgo.schema.extensions.cost import CEILING, CostModel
from jewgo.schema.extensions.documents import Documents
from jewgo.schema.refusal import Refusal

COST_HEADER = "x-query-cost"
Mode = Literal["enforce", "measure"]


class Door(Protocol):
    """What of a request's context the demand reads and sets (`schema.context.Context`)."""

    refusal: Refusal | None
    documents: dict[str, DocumentNode]
    cost: RequestCost | None


def asks_for_cost(headers: Mapping[str, str]) -> bool:
    """Whether the caller asks for `extensions.cost` (`X-Query-Cost: 1`)."""
    return headers.get(COST_HEADER, "").strip().lower() in ("1", "true", "yes")


class Demand:
    def __init__(
        self,
        documents: Documents,
        model: CostModel,
        budget: RateLimiter,
        *,
        max_tokens: int,
        max_cost: int,
        mode: Mode,
    ) -> None:
        self._documents = documents
        self._model = model
        self.budget = budget
        self._max_tokens = max_tokens
        self.max_cost = max_cost
        self.mode = mode

    def estimate(self, operation: GraphQLRequestData, parsed: dict[str, DocumentNode]) -> int:
        """One operation's cost; 0 for one that is refused before it could run anything
        (no query, too many tokens, a syntax error), as it will be."""
        query = operation.query
        if not isinstance(query, str) or not query:
            return 0
        document = parsed.get(query)
        if document is None:
            if self._documents.tokens(query, self._max_tokens) > self._max_tokens:
                return 0  # never parsed: QueryLimits refuses it
            try:
                document = self._documents.parse(query)
            except GraphQLError:
                return 0
            parsed[query] = document
        return self._model.estimate(document, operation.operation_name, operation.variables).cost

    async def admit(
        self,
        context: Door,
        operations: Sequence[GraphQLRequestData],
        *,
        client: str | None,
        report: bool,
    ) -> int | None:
        """Weighs the request into `context.cost`, and refuses it through
        `context.refusal`; seconds for Retry-After when its client's budget is spent."""
        if context.refusal is not None:
            return None  # refused already (a bad token, too many requests): nothing runs
        estimates = []
        for n, operation in enumerate(operations):
            if n:  # the loop serves others between a batch's documents (parsed here)
                await asyncio.sleep(0)
            estimates.append(self.estimate(operation, context.documents))
        total = min(sum(estimates), CEILING)
        context.cost = RequestCost(total, self.max_cost, self.mode, len(operations), report)
        if self.mode == "measure":
            return None  # the accounting logs and counts it, over the limit or not
        if total > self.max_cost:
            what = "query's" if len(operations) == 1 else f"batch's ({len(operations)} operations)"
            context.refusal = Refusal(
                QueryTooCostly,
                f"The {what} estimated cost is {total}; at most {self.max_cost} is allowed",
            )
            return None
        if not self.budget.enabled or client is None:
            return None
        spent = min(sum(max(1, estimate) for estimate in estimates), CEILING)
        allowed, retry_after = await self.budget.spend(client, spent)
        if allowed:
            return None
        context.refusal = Refusal(
            RateLimited, f"Too much estimated cost this minute; try again in {retry_after} s"
        )
        return retry_after
