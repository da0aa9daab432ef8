"""The CostReport extension: each result's `extensions.cost` when the caller asks for it
(the `X-Query-Cost: 1` header), shaped as Apollo's demand control reports it:
`{"estimated": N, "limit": L, "mode": "enforce"}`. In a batch, `estimated` is that
operation's and `request` the batch's, which is what the limit bounds.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from jewgo.schema.context import RequestCost
from jewgo.schema.extensions.cost import CostModel


class CostReport(SchemaExtension):
    def __init__(self, model: CostModel) -> None:
        self.model = model

    def get_results(self) -> dict[str, Any]:
        execution = self.execution_context
        cost: RequestCost | None = getattr(execution.context, "cost", None)
        if cost is None or not cost.report:
            return {}
        report: dict[str, Any] = {"estimated": cost.estimated, "limit": cost.limit}
        if cost.operations > 1:
            # Estimated again rather than matched to its place in the batch: it is linear.
            query = execution.query or ""
            document = execution.graphql_document or execution.context.documents.get(query)
            report["estimated"] = 0
            if document is not None:
                report["estimated"] = self.model.estimate(
                    document, execution.operation_name, execution.variables
                ).cost
            report["request"] = cost.estimated
        return {"cost": report | {"mode": cost.mode}}
