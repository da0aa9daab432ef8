"""An alert's life (pure, no I/O), per (rule, flag), as Prometheus' `for` and
`keep_firing_for` on the engine's clock, with each rule's `Timing` (flags.alerts.rules):

  inactive --breached--> pending --breached for pending_seconds--> FIRING (notified)
  pending  --not breached at one evaluation--> inactive (nothing was ever notified)
  FIRING   --cleared--> FIRING, clearing --cleared for keep_firing_seconds--> RESOLVED
  clearing --not cleared at one evaluation--> FIRING (the same episode: no notification)

"For" a duration means at every evaluation in it: one that is not breached starts the
pending over, one that is not cleared the keep-firing. So an episode, however much its
figure flaps, fires once and resolves once. Cleared is below the rule's hysteresis band
(flags.alerts.rules): a value inside the band neither fires a pending alert nor counts
towards resolving a firing one. A pending alert is not FIRING: it is neither stored nor
shown (the schema's AlertState has no place for it) nor delivered.

The alerts that fire are the database's (flags.alerts.store): any leader picks them up
where the last one left them. What is pending, and since when a firing alert has been
clear, live in the leader's memory: a new leader starts both clocks again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jewgo.flags.alerts.rules import TIMINGS, Rule, Signal, Timing, severity

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
    def __init__(self, timings: Mapping[Rule, Timing] = TIMINGS) -> None:
        missing = [rule.value for rule in Rule if rule not in timings]
        if missing:
            raise ValueError(f"no timing for {', '.join(missing)}")
        self._timings = timings
        self._pending: dict[Key, datetime] = {}  # breached since, not firing yet
        self._clear: dict[Key, datetime] = {}  # firing, cleared since

    @property
    def pending(self) -> Mapping[Key, datetime]:
        """The alerts breached but not for long enough yet, and since when."""
        return dict(self._pending)

    def step(
        self,
        firing: Mapping[Key, datetime],
        signals: Iterable[Signal],
        now: datetime,
        enabled: frozenset[Rule] | None = None,
    ) -> list[Transition]:
        """What fires and what resolves now. `firing`: each firing alert's start.
        A firing alert whose rule gives no signal any more (turned off) resolves at once."""
        seen: dict[Key, Signal] = {}
        for signal in signals:
            if enabled is None or signal.rule in enabled:
                seen[(signal.rule.value, signal.flag)] = signal
        done: list[Transition] = []
        pending: dict[Key, datetime] = {}
        clear: dict[Key, datetime] = {}
        for key, signal in seen.items():
            timing = self._timings[signal.rule]
            if key not in firing:
                if signal.breached:
                    since = self._pending.get(key, now)
                    if (now - since).total_seconds() >= timing.pending_seconds:
                        done.append(Transition(AlertState.FIRING, signal, now))
                    else:
                        pending[key] = since
            elif signal.cleared:
                since = self._clear.get(key, now)
                if (now - since).total_seconds() >= timing.keep_firing_seconds:
                    done.append(Transition(AlertState.RESOLVED, signal, firing[key]))
                else:
                    clear[key] = since
        # Whatever was not carried over (not breached, not cleared, not seen) starts again.
        self._pending, self._clear = pending, clear
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
