"""An alert's life: it fires once its condition has held for its `for`, resolves once
clear for its `keep_firing_for` (seconds, on the clock given), so an episode that flaps
fires and resolves once; never flaps on a value at its threshold; and its webhook body is
Alertmanager's, signed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags.alerts.lifecycle import AlertState, Key, Lifecycle, fingerprint, labels
from jewgo.flags.alerts.payload import ZERO_TIME, body, dedup_key, signature, verify
from jewgo.flags.alerts.rules import TIMINGS, Rule, Signal, Thresholds, Timing

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FLAG = "api_v4_restaurants"
KEY: Key = (Rule.V4_ERROR_RATE_CRITICAL.value, FLAG)
BAND = Thresholds()  # 20 % hysteresis
# Resolved after two clear evaluations a second apart; fired at the first breach.
AT_ONCE = Timing(pending_seconds=0, keep_firing_seconds=1)


def rate(value: float, threshold: float = 5.0) -> Signal:
    return Signal(
        Rule.V4_ERROR_RATE_CRITICAL, FLAG, breached=value > threshold,
        cleared=BAND.clears(value, threshold), value=value, threshold=threshold,
        summary=f"{value}%",
    )  # fmt: skip


def run(
    values: Sequence[float], timing: Timing = AT_ONCE, every: float = 1.0
) -> list[tuple[float, AlertState]]:
    """Feed one value per evaluation, `every` seconds apart; when the alert changed (s)."""
    life = Lifecycle({**TIMINGS, Rule.V4_ERROR_RATE_CRITICAL: timing})
    firing: dict[Key, datetime] = {}
    changes: list[tuple[float, AlertState]] = []
    for i, value in enumerate(values):
        now = T0 + timedelta(seconds=i * every)
        for t in life.step(firing, [rate(value)], now):
            changes.append((i * every, t.state))
            if t.state is AlertState.FIRING:
                assert t.starts_at == now
                firing[t.key] = t.starts_at
            else:
                assert t.starts_at == firing.pop(t.key)
    return changes


@pytest.mark.parametrize(
    ("values", "changes"),
    [
        ([1, 2, 3], []),
        ([6, 7, 8, 9], [(0, AlertState.FIRING)]),  # once, however long it lasts
        ([6, 1, 1], [(0, AlertState.FIRING), (2, AlertState.RESOLVED)]),
        # One clear evaluation between two bad ones does not resolve it.
        ([6, 1, 6, 1, 1], [(0, AlertState.FIRING), (4, AlertState.RESOLVED)]),
        # Hovering at the threshold (4.5 .. 5.5): inside the band, it never resolves.
        ([5.5, 4.5, 5.5, 4.5, 4.5, 4.5, 5.5], [(0, AlertState.FIRING)]),
        # Below the band (<= 4 %) for its keep_firing_for: resolved, and may fire again after.
        ([6, 4, 4, 6], [(0, AlertState.FIRING), (2, AlertState.RESOLVED), (3, AlertState.FIRING)]),
    ],
)
def test_an_alert_fires_once_and_resolves_without_flapping(
    values: list[float], changes: list[tuple[float, AlertState]]
) -> None:
    assert run(values) == changes


# Breached for 3 s, clear for 2 s, over and over for 20 s (an evaluation every second);
# then clear.
FLAPPING = ([9, 9, 9, 1, 1] * 4) + [1] * 12


def test_a_condition_flapping_for_twenty_seconds_fires_once_and_resolves_once() -> None:
    timing = Timing(pending_seconds=2, keep_firing_seconds=10)
    # Fired when breached for 2 s; each 2 s gap is shorter than 10 s; the last breach is
    # at 17 s, so clear from 18 s, resolved at 28 s.
    assert run(FLAPPING, timing) == [(2, AlertState.FIRING), (28, AlertState.RESOLVED)]
    # Without either duration, the same figures fire and resolve at every swing.
    assert len(run(FLAPPING, Timing())) == 8


@pytest.mark.parametrize(
    ("values", "changes"),
    [
        # Breached for 4 s of a `for` of 5 s, twice: never fires.
        ([9, 9, 9, 9, 9, 1, 9, 9, 9, 9, 9, 1, 1], []),
        # Inside the band is not breached: the pending starts over.
        ([9, 9, 9, 9, 9, 4.5, 9, 9, 9, 9, 9, 1], []),
        # Breached at every evaluation for 5 s: fires then, and only then.
        ([1, 9, 9, 9, 9, 9, 9, 9], [(6, AlertState.FIRING)]),
    ],
)
def test_a_condition_shorter_than_its_pending_duration_never_fires(
    values: list[float], changes: list[tuple[float, AlertState]]
) -> None:
    assert run(values, Timing(pending_seconds=5, keep_firing_seconds=0)) == changes


def test_a_pending_alert_is_not_firing_and_starts_over_after_a_clear_evaluation() -> None:
    life = Lifecycle({**TIMINGS, Rule.V4_ERROR_RATE_CRITICAL: Timing(pending_seconds=5)})
    assert life.step({}, [rate(9)], T0) == []
    assert life.pending == {KEY: T0}
    assert life.step({}, [rate(9)], T0 + timedelta(seconds=4)) == []
    assert life.pending == {KEY: T0}
    assert life.step({}, [rate(1)], T0 + timedelta(seconds=5)) == []
    assert life.pending == {}
    later = T0 + timedelta(seconds=6)
    assert life.step({}, [rate(9)], later) == [] and life.pending == {KEY: later}
    # Its rule turned off: nothing is pending any more.
    assert life.step({}, [rate(9)], later, enabled=frozenset({Rule.CACHE_FALLBACK})) == []
    assert life.pending == {}


@pytest.mark.parametrize(
    ("values", "changes"),
    [
        # Clear for 9 s, breached again, clear for 9 s: a gap shorter than 10 s each time.
        ([9] + [1] * 9 + [9] + [1] * 9, [(0, AlertState.FIRING)]),
        # Inside the band is not clear: the keep-firing starts over.
        ([9] + [1] * 9 + [4.5] + [1] * 9, [(0, AlertState.FIRING)]),
        # Clear at every evaluation for 10 s: resolved then.
        ([9] + [1] * 11, [(0, AlertState.FIRING), (11, AlertState.RESOLVED)]),
    ],
)
def test_a_gap_shorter_than_keep_firing_does_not_resolve(
    values: list[float], changes: list[tuple[float, AlertState]]
) -> None:
    assert run(values, Timing(pending_seconds=0, keep_firing_seconds=10)) == changes


def test_durations_are_seconds_on_the_clock_not_evaluations() -> None:
    timing = Timing(pending_seconds=30, keep_firing_seconds=60)
    # Every 5 s, the controller's default tick: fires at the 7th breached evaluation.
    assert run([9] * 8 + [1] * 13, timing, every=5) == [
        (30, AlertState.FIRING), (100, AlertState.RESOLVED),
    ]  # fmt: skip
    # Every 60 s: the second breached evaluation is 60 s on, past the 30 s `for`.
    assert run([9, 9, 1, 1], timing, every=60) == [
        (60, AlertState.FIRING), (180, AlertState.RESOLVED),
    ]  # fmt: skip


def test_resolve_at_the_first_clear_evaluation_and_turned_off_rules() -> None:
    assert run([6, 1], Timing()) == [(0, AlertState.FIRING), (1, AlertState.RESOLVED)]
    life = Lifecycle()
    firing = {KEY: T0}
    # Its rule no longer enabled: the firing alert resolves at once, whatever its timing.
    done = life.step(firing, [rate(9)], T0, enabled=frozenset({Rule.CACHE_FALLBACK}))
    assert [(t.state, t.key) for t in done] == [(AlertState.RESOLVED, KEY)]
    with pytest.raises(ValueError, match="never negative"):
        Timing(pending_seconds=-1)
    with pytest.raises(ValueError, match="no timing for V4LatencyRatio"):
        Lifecycle({rule: Timing() for rule in Rule if rule is not Rule.V4_LATENCY_RATIO})


def test_an_alert_of_a_rule_this_version_does_not_know_is_left_alone() -> None:
    # A newer instance of a rolling deploy fired it: it is that version's to resolve.
    firing = {("V5SomethingNew", FLAG): T0, KEY: T0}
    done = Lifecycle().step(firing, [], T0)
    assert [(t.state, t.key) for t in done] == [(AlertState.RESOLVED, KEY)]


def test_the_fingerprint_is_stable_per_rule_and_flag() -> None:
    assert fingerprint("V4ErrorRateCritical", FLAG) == fingerprint("V4ErrorRateCritical", FLAG)
    assert fingerprint("V4ErrorRateCritical", FLAG) != fingerprint("V4ErrorRateWarning", FLAG)
    assert fingerprint("CacheFallback", "") != fingerprint("CacheFallback", FLAG)
    assert len(fingerprint("CacheFallback", "")) == 16
    assert labels("CacheFallback", "") == {
        "alertname": "CacheFallback", "service": "jewgo", "severity": "warning",
    }  # fmt: skip


def test_the_webhook_body_is_alertmanagers_format() -> None:
    print_ = fingerprint("V4ErrorRateCritical", FLAG)
    common = {
        "rule": "V4ErrorRateCritical", "flag": FLAG, "fingerprint": print_, "starts_at": T0,
        "summary": "too many errors", "figures": {"v4Calls": 100},
    }  # fmt: skip
    firing = json.loads(body(state=AlertState.FIRING, at=T0, **common))  # type: ignore[arg-type]
    resolved = json.loads(
        body(state=AlertState.RESOLVED, at=T0 + timedelta(minutes=1), **common)  # type: ignore[arg-type]
    )
    assert (firing["version"], firing["status"], resolved["status"]) == ("4", "firing", "resolved")
    alert = firing["alerts"][0]
    assert set(alert) >= {"status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"}
    assert alert["labels"] == {
        "alertname": "V4ErrorRateCritical", "flag": FLAG, "service": "jewgo",
        "severity": "critical",
    }  # fmt: skip
    assert (alert["startsAt"], alert["endsAt"]) == ("2026-12-01T12:00:00.000Z", ZERO_TIME)
    assert resolved["alerts"][0]["endsAt"] == "2026-12-01T12:01:00.000Z"
    assert alert["fingerprint"] == resolved["alerts"][0]["fingerprint"] == print_
    assert json.loads(alert["annotations"]["description"]) == {"v4Calls": 100}
    assert dedup_key(print_, AlertState.FIRING, T0) != dedup_key(print_, AlertState.RESOLVED, T0)


def test_the_signature_is_hmac_sha256_of_the_body() -> None:
    payload = b'{"version": "4"}'
    header = signature("s" * 32, payload)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify("s" * 32, payload, header)
    assert not verify("t" * 32, payload, header)
    assert not verify("s" * 32, payload + b" ", header)
