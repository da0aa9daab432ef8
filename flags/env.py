"""Environment overrides (SPEC §4): forces, rollout percentages and per-user overrides.

    API_V4_<NAME>=true|false           force the flag for everyone
    API_V4_<NAME>_ROLLOUT=<0..100>     replace the stored PARTIAL percentage
    API_V4_<NAME>_USER_<id>=true|false override it for one user

Read once at start-up; a malformed value refuses to start rather than guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from jewgo.flags.stages import FLAG_NAMES, env_name

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


class FlagEnvironmentError(ValueError):
    """A flag variable with a value that means nothing."""


@dataclass(frozen=True, slots=True)
class EnvOverride:
    forced: bool | None = None
    percentage: float | None = None
    users: Mapping[int, bool] = field(default_factory=dict)

    def describe(self, flag: str) -> str | None:
        """The override in words (FeatureFlag.envOverride); None when there is none."""
        base = env_name(flag)
        parts = []
        if self.forced is not None:
            parts.append(f"forced to {'V4' if self.forced else 'V3'} by {base}")
        if self.percentage is not None:
            parts.append(f"rollout {self.percentage:g}% by {base}_ROLLOUT")
        for user_id, enabled in sorted(self.users.items()):
            parts.append(f"user {user_id} {'V4' if enabled else 'V3'} by {base}_USER_{user_id}")
        return "; ".join(parts) or None


def _boolean(name: str, value: str) -> bool:
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise FlagEnvironmentError(f"{name}={value!r}: expected true or false")


def _percentage(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise FlagEnvironmentError(f"{name}={value!r}: expected a number from 0 to 100") from exc
    if not (math.isfinite(number) and 0 <= number <= 100):
        raise FlagEnvironmentError(f"{name}={value!r}: expected a number from 0 to 100")
    return number


def parse(environ: Mapping[str, str]) -> dict[str, EnvOverride]:
    """The overrides the environment sets, per flag name (flags without any are absent)."""
    found: dict[str, EnvOverride] = {}
    for flag in FLAG_NAMES:
        base = env_name(flag)
        forced = _boolean(base, environ[base]) if base in environ else None
        rollout = environ.get(f"{base}_ROLLOUT")
        percentage = _percentage(f"{base}_ROLLOUT", rollout) if rollout is not None else None
        users: dict[int, bool] = {}
        prefix = f"{base}_USER_"
        for name, value in environ.items():
            if name.startswith(prefix):
                user = name.removeprefix(prefix)
                if not user.isdigit():
                    raise FlagEnvironmentError(f"{name}: expected {prefix}<user id>")
                users[int(user)] = _boolean(name, value)
        if forced is not None or percentage is not None or users:
            found[flag] = EnvOverride(forced, percentage, users)
    return found
