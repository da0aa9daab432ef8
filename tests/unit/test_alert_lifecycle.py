"""An alert's life: fires once, resolves after clear evaluations in a row, never flaps on a
value at its threshold; and its webhook body is Alertmanager's, signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from jewgo.flags.alert_lifecycle import AlertState, Key, Lifecycle, fingerprint, labels
from jewgo.flags.alert_payload import ZERO_TIME, body, dedup_key, signature, verify
from jewgo.flags.alert_rules import Rule, Signal, Thresholds

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FLAG = "api_v4_restaurants"
KEY: Key = (Rule.V4_ERROR_RATE_CRITICAL.value, FLAG)
BAND = Thresholds()  # 20 % hysteresis


def rate(value: float, threshold: float = 5.0) -> Signal:
    return Signal(
        Rule.V4_ERROR_RATE_CRITICAL, FLAG, breached=value > threshold,
        cleared=BAND.clears(value, threshold), value=value, threshold=threshold,
        summary=f"{value}%",
    )  # fmt: skip


def run(values: list[float], resolve_after: int = 2) -> list[tuple[int, AlertState]]:
    """Feed one value per evaluation; the evaluations at which the alert changed."""
    life = Lifecycle(resolve_after)
    firing: dict[Key, datetime] = {}
    changes: list[tuple[int, AlertState]] = []
    for i, value in enumerate(values):
        now = T0 + timedelta(seconds=i)
        for t in life.step(firing, [rate(value)], now):
            changes.append((i, t.state))
            if t.state is AlertState.FIRING:
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
        # Below the band (<= 4 %) twice in a row: resolved, and may fire again after.
        ([6, 4, 4, 6], [(0, AlertState.FIRING), (2, AlertState.RESOLVED), (3, AlertState.FIRING)]),
    ],
)
def test_an_alert_fires_once_and_resolves_without_flapping(
    values: list[float], changes: list[tuple[int, AlertState]]
) -> None:
    assert run(values) == changes


def test_resolve_after_one_evaluation_and_turned_off_rules() -> None:
    assert run([6, 1], resolve_after=1) == [(0, AlertState.FIRING), (1, AlertState.RESOLVED)]
    life = Lifecycle()
    firing = {KEY: T0}
    # Its rule no longer enabled: the firing alert resolves at once.
    done = life.step(firing, [rate(9)], T0, enabled=frozenset({Rule.CACHE_FALLBACK}))
    assert [(t.state, t.key) for t in done] == [(AlertState.RESOLVED, KEY)]
    with pytest.raises(ValueError):
        Lifecycle(0)


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
