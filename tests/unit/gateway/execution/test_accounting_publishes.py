"""Accounting records and publishes; whoever acts on an operation subscribes (STYLE
point 20). Every subscriber is handed every record, a failing one is logged and hurts
neither accounting nor the others, and a v4 read error left to await its verdict counts
in the window exactly as it did when accounting counted it itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from jewgo.flags.telemetry.window import Cell, Series, WindowMetrics
from jewgo.gateway.execution.accounting import Accounted, Accounting, Operation, Publisher
from jewgo.gateway.verification.confirmation import ErrorConfirmation
from jewgo.gateway.verification.shadow import Shadow
from jewgo.resolvers.domain import Domain, Version
from jewgo.resolvers.router import Use
from jewgo.schema.context import Context, Outcome

READ = Operation("{ restaurants { totalCount } }", {"n": 1}, None)


@dataclass
class FakeContext:
    """What accounting reads of a request's context, and nothing else."""

    request_id: str = "r-1"
    uses: dict[Domain, Use] = field(default_factory=dict)
    outcome: Outcome = field(default_factory=lambda: Outcome(operation_type="query"))
    caller: str | None = "user:7"
    viewer: None = None
    cost: None = None

    @property
    def versions(self) -> dict[str, str]:
        return {domain.value: use.version.value for domain, use in self.uses.items()}


def context(
    error_codes: list[str] | None = None, cache_status: str | None = None, **fields: Any
) -> Context:
    outcome = Outcome(
        error_codes=list(error_codes or []), operation_type="query", cache_status=cache_status
    )
    return cast(Context, FakeContext(outcome=outcome, **fields))


def failing_v4_read(request_id: str = "r-1") -> Context:
    use = Use(Version.V4, started=1.0, finished=1.01, calls=1, internal_error=True)
    return context(request_id=request_id, uses={Domain.RESTAURANTS: use}, error_codes=["INTERNAL"])


def record(request_id: str = "r-1") -> Accounted:
    return Accounted(context(request_id=request_id), READ, 200)


class Logged:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def exception(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> Logged:
    logged = Logged()
    monkeypatch.setattr("jewgo.gateway.execution.accounting._published", logged)
    return logged


def window(metrics: WindowMetrics) -> dict[Series, Cell]:
    return metrics.local_window(60)


def test_every_subscriber_is_handed_every_record_in_the_order_they_subscribed() -> None:
    seen: list[tuple[str, str]] = []
    publisher = Publisher([lambda r: seen.append(("first", r.context.request_id))])
    publisher.subscribe(lambda r: seen.append(("second", r.context.request_id)))
    publisher.publish(record("r-1"))
    publisher.publish(record("r-2"))
    assert seen == [("first", "r-1"), ("second", "r-1"), ("first", "r-2"), ("second", "r-2")]


def test_a_failing_subscriber_is_logged_and_the_others_still_get_the_record(
    logged: Logged,
) -> None:
    seen: list[str] = []

    def broken(_: Accounted) -> None:
        raise RuntimeError("boom")

    publisher = Publisher([broken, lambda r: seen.append(r.context.request_id)])
    publisher.publish(record("r-1"))
    assert seen == ["r-1"]
    (line,) = logged.lines
    assert line["event"] == "an accounting subscriber failed"
    assert line["request_id"] == "r-1"
    assert "broken" in line["subscriber"]


def test_accounting_records_an_operation_even_when_a_subscriber_fails(
    logged: Logged,
) -> None:
    seen: list[Accounted] = []

    def broken(_: Accounted) -> None:
        raise RuntimeError("boom")

    metrics = WindowMetrics(None, namespace="t")
    accounting = Accounting(metrics, answered=Publisher([broken, seen.append]))
    use = Use(Version.V3, started=1.0, finished=1.02, calls=1)
    request = context(uses={Domain.RESTAURANTS: use})
    accounting.request(request, status=200, seconds=0.02, statements=1, operation=READ)
    assert window(metrics)[("restaurants", "v3")].calls == 1
    assert seen == [Accounted(request, READ, 200)]
    assert len(logged.lines) == 1


def test_an_operation_that_never_ran_and_a_hit_are_not_published() -> None:
    seen: list[Accounted] = []
    accounting = Accounting(WindowMetrics(None, namespace="t"), answered=Publisher([seen.append]))
    accounting.request(context(), status=400, seconds=0.01, statements=0, operation=None)
    hit = context(cache_status="HIT")
    accounting.request(hit, status=200, seconds=0.01, statements=0, operation=READ)
    assert seen == []


@pytest.mark.parametrize(
    ("confirmed", "kind", "errors", "awaiting"),
    [
        (False, "query", 1, []),  # nobody confirms: the error counts at once
        (True, "query", 0, [(Domain.RESTAURANTS,)]),  # its verdict will count it
        (True, "mutation", 1, []),  # a mutation never runs twice
    ],
)
def test_a_v4_read_error_awaits_its_verdict_only_when_someone_subscribes_to_it(
    confirmed: bool, kind: str, errors: int, awaiting: list[tuple[Domain, ...]]
) -> None:
    answered: list[Accounted] = []
    verdicts: list[Accounted] = []
    metrics = WindowMetrics(None, namespace="t")
    accounting = Accounting(
        metrics,
        answered=Publisher([answered.append]),
        v4_errors=Publisher([verdicts.append]) if confirmed else None,
    )
    request = failing_v4_read()
    cast(FakeContext, request).outcome.operation_type = kind
    accounting.request(request, status=200, seconds=0.01, statements=1, operation=READ)
    cell = window(metrics)[("restaurants", "v4")]
    assert (cell.calls, cell.errors) == (1, errors)
    assert [record.awaiting_verdict for record in verdicts] == awaiting
    assert len(answered) == 1


def test_an_error_no_confirmation_can_take_counts_as_it_did_inside_accounting() -> None:
    """Wired as the gateway wires it, with no room to confirm: the window ends up as an
    accounting that counts the error itself leaves it, caller's slot included."""
    alone = WindowMetrics(None, namespace="t")
    Accounting(alone).request(
        failing_v4_read(), status=200, seconds=0.01, statements=1, operation=READ
    )
    wired = WindowMetrics(None, namespace="t")
    none = cast(Any, None)  # neither runs anything here: no schema, no contexts needed
    shadow = Shadow(none, none, wired, sample_rate=0.0, concurrency=1)
    confirmation = ErrorConfirmation(none, none, wired, concurrency=0)
    accounting = Accounting(
        wired,
        answered=Publisher([shadow.answered]),
        v4_errors=Publisher([confirmation.awaiting]),
    )
    accounting.request(failing_v4_read(), status=200, seconds=0.01, statements=1, operation=READ)
    assert window(wired) == window(alone)
    assert window(wired)[("restaurants", "v4")].errors == 1


def test_a_v4_read_error_counts_when_its_verdict_subscriber_fails(logged: Logged) -> None:
    """Accounting leaves a v4 read error out of its window for a verdict only a subscriber
    gives: when that subscriber fails, no verdict comes, so the error counts now."""

    def broken(_: Accounted) -> None:
        raise RuntimeError("confirmation could not start")

    metrics = WindowMetrics(None, namespace="t")
    accounting = Accounting(metrics, v4_errors=Publisher([broken]))
    accounting.request(failing_v4_read(), status=200, seconds=0.01, statements=1, operation=READ)
    cell = window(metrics)[("restaurants", "v4")]
    assert (cell.calls, cell.errors) == (1, 1)
    assert [line["event"] for line in logged.lines] == ["an accounting subscriber failed"]


def test_a_v4_read_error_counts_when_nobody_subscribes_to_verdicts() -> None:
    metrics = WindowMetrics(None, namespace="t")
    accounting = Accounting(metrics, v4_errors=Publisher())
    accounting.request(failing_v4_read(), status=200, seconds=0.01, statements=1, operation=READ)
    cell = window(metrics)[("restaurants", "v4")]
    assert (cell.calls, cell.errors) == (1, 1)
