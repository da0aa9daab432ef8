"""Who acts on what accounting publishes (STYLE point 20): verification subscribes here.

Accounting (gateway/execution/accounting.py) records each executed operation and
publishes an `Accounted` record; it knows nothing of verification. The confirmation of
v4's errors on v3 and the shadow comparison start from those records.
"""

from __future__ import annotations

from jewgo.gateway.execution.accounting import Accounted, Subscriber
from jewgo.gateway.verification.confirmation import ErrorConfirmation
from jewgo.gateway.verification.shadow import Shadow


def verification(shadow: Shadow, confirmation: ErrorConfirmation) -> list[Subscriber]:
    """The subscribers that verify v4 against v3: the confirmation of the v4 errors a
    record awaits a verdict for, then the shadow's sample of the reads."""

    def confirm_v4_errors(record: Accounted) -> None:
        query = record.operation.query
        if record.awaiting_verdict and query is not None:
            confirmation.confirm_reads(
                record.context, record.awaiting_verdict, query, record.operation.variables
            )

    def shadow_reads(record: Accounted) -> None:
        operation = record.operation
        shadow.consider(record.context, operation.query, operation.variables, operation.data)

    return [confirm_v4_errors, shadow_reads]
