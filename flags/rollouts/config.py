"""A rollout's configuration: its steps, its window and its guards' thresholds, each
checked (`problems`) before a rollout starts; stored as JSON with the rollout."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, slots=True)
class RolloutConfig:
    initial_percentage: float = 5.0
    increment_percentage: float = 10.0
    max_percentage: float = 100.0
    increment_interval_seconds: int = 86400
    monitoring_period_seconds: int = 7200
    auto_rollback_threshold_percent: float = 5.0
    min_requests: int = 100
    enable_auto_rollback: bool = True
    enable_auto_increment: bool = True
    max_latency_ratio: float = 1.5
    max_shadow_mismatch_percent: float = 0.1
    # No caller (a user, or an address) weighs more than this share of the error rate.
    max_caller_share_percent: float = 1.0
    # A rollback needs v4 errors from at least this many distinct callers.
    min_error_callers: int = 5
    # Percentages at which the rollout pauses for a person (Argo's manual judgement).
    pause_at: tuple[float, ...] = ()
    # Windows in a row the guards may stay inconclusive (thin traffic, no v3 baseline)
    # before the rollout pauses instead of holding forever; 0 (the default, as rollouts
    # always behaved): hold forever.
    max_inconclusive_windows: int = 0
    # No v3 call in the window to compare v4 with is inconclusive too (else v4's latency
    # goes unguarded, as it always did).
    require_v3_baseline: bool = False
    require_replay: bool = False  # start only after a passing `jewgo replay` of the flag

    def problems(self) -> dict[str, str]:
        """Each invalid field (named as in the contract) with what is wrong with it."""
        found: dict[str, str] = {}

        def percent(name: str, value: float, low: float = 0.0) -> None:
            if not (math.isfinite(value) and low <= value <= 100):
                found[name] = f"must be from {low:g} to 100"

        percent("initialPercentage", self.initial_percentage)
        percent("maxPercentage", self.max_percentage)
        percent("autoRollbackThresholdPercent", self.auto_rollback_threshold_percent)
        percent("maxShadowMismatchPercent", self.max_shadow_mismatch_percent)
        if not (math.isfinite(self.increment_percentage) and 0 < self.increment_percentage <= 100):
            found["incrementPercentage"] = "must be greater than 0 and at most 100"
        if self.initial_percentage > self.max_percentage:
            found["initialPercentage"] = "must not exceed maxPercentage"
        for name, seconds in (
            ("incrementIntervalSeconds", self.increment_interval_seconds),
            ("monitoringPeriodSeconds", self.monitoring_period_seconds),
        ):
            if not 1 <= seconds <= 365 * 86400:
                found[name] = "must be from 1 second to a year"
        if self.min_requests < 0:
            found["minRequests"] = "must not be negative"
        if not (math.isfinite(self.max_latency_ratio) and self.max_latency_ratio >= 1):
            found["maxLatencyRatio"] = "must be at least 1"
        if not (math.isfinite(self.max_caller_share_percent) and
                0 < self.max_caller_share_percent <= 100):  # fmt: skip
            found["maxCallerSharePercent"] = "must be greater than 0 and at most 100"
        if not 1 <= self.min_error_callers <= 10_000:
            found["minErrorCallers"] = "must be from 1 to 10000"
        if len(self.pause_at) > 10 or not all(
            math.isfinite(gate) and 0 < gate < 100 for gate in self.pause_at
        ):
            found["pauseAt"] = "at most 10 percentages, each greater than 0 and below 100"
        if not 0 <= self.max_inconclusive_windows <= 1000:
            found["maxInconclusiveWindows"] = "must be from 0 (never pause) to 1000"
        return found

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RolloutConfig:
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in json.loads(text).items() if k in known}
        if "pause_at" in given:
            given["pause_at"] = tuple(float(gate) for gate in given["pause_at"])
        return cls(**given)


# The defaults of every door that starts a rollout (GraphQL's input, the CLI's options).
DEFAULT_CONFIG = RolloutConfig()
