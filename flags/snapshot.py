"""What a process knows of the flags: an immutable snapshot, swapped whole on change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from jewgo.flags.env import EnvOverride
from jewgo.flags.stages import Stage


@dataclass(frozen=True, slots=True)
class FlagState:
    name: str
    description: str
    stage: Stage
    percentage: float
    version: int
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    flags: Mapping[str, FlagState]
    # flag name → user id → enabled (the database's overrides)
    overrides: Mapping[str, Mapping[int, bool]]
    env: Mapping[str, EnvOverride]
    salt: str
    revision: int
    # flag name → field or path prefix → reason: left out of the flag's shadow comparisons
    ignores: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    loaded_at: float = field(default=0.0, compare=False)  # time.monotonic()
