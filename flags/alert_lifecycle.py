"""An alert's life (pure, no I/O): it fires once per (rule, flag) when its signal is
breached, and resolves when the signal has been cleared for `resolve_after` evaluations
in a row. With the hysteresis band of each rule (flags.alert_rules), a value hovering at
the threshold neither flaps nor fires twice.

The alerts that fire are the database's (flags.alert_store): any leader picks them up
where the last one left them; only the count of clear evaluations lives in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jewgo.flags.alert_rules import Rule, Signal, severity

Key = tuple[str, str]  # (rule, flag); flag "" for the fleet


class AlertState(StrEnum):
    FIRING = "FIRING"
    RESOLVED = "RESOLVED"


def labels(rule: str, flag: str) -> dict[str, str]:
    """Alertmanager labels of an alert: what identifies it (and its fingerprint)."""
    found = {"alertname": rule, "service": "jewgo", "severity": severity(Rule(rule))}
    return found | ({"flag": flag} if flag else {})


def fingerprint(rule: str, flag: str) -> str:
    """Stable per (rule, flag), as Alertmanager's: a hash of the sorted labels, 16 hex."""
    text = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels(rule, flag).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Transition:
    state: AlertState
    signal: Signal
    starts_at: datetime  # when the alert fired (a resolution keeps its firing's)

    @property
    def key(self) -> Key:
        return (self.signal.rule.value, self.signal.flag)


KNOWN = frozenset(rule.value for rule in Rule)


class Lifecycle:
    def __init__(self, resolve_after: int = 2) -> None:
        if resolve_after < 1:
            raise ValueError("resolve_after must be at least 1")
        self._resolve_after = resolve_after
        self._clear: dict[Key, int] = {}

    def step(
        self,
        firing: Mapping[Key, datetime],
        signals: Iterable[Signal],
        now: datetime,
        enabled: frozenset[Rule] | None = None,
    ) -> list[Transition]:
        """What fires and what resolves now. `firing`: each firing alert's start.
        A firing alert whose rule gives no signal any more (turned off) counts as cleared."""
        seen: dict[Key, Signal] = {}
        for signal in signals:
            if enabled is None or signal.rule in enabled:
                seen[(signal.rule.value, signal.flag)] = signal
        done: list[Transition] = []
        for key, signal in seen.items():
            if key not in firing:
                self._clear.pop(key, None)
                if signal.breached:
                    done.append(Transition(AlertState.FIRING, signal, now))
            elif signal.cleared:
                self._clear[key] = self._clear.get(key, 0) + 1
                if self._clear[key] >= self._resolve_after:
                    del self._clear[key]
                    done.append(Transition(AlertState.RESOLVED, signal, firing[key]))
            else:
                self._clear.pop(key, None)
        for key, started in firing.items():
            if key not in seen:  # its rule is off now, or its flag gone: let it go
                if key[0] not in KNOWN:  # a newer version's rule (a rolling deploy): its own
                    continue
                rule = Rule(key[0])
                gone = Signal(
                    rule, key[1], False, True, 0.0, 0.0, f"{rule.value}: no longer evaluated"
                )
                done.append(Transition(AlertState.RESOLVED, gone, started))
        return done
