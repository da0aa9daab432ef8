"""Snapshots built by hand for the pure flag tests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from jewgo.flags.env import EnvOverride
from jewgo.flags.snapshot import FlagState, Snapshot
from jewgo.flags.stages import FLAG_NAMES, Stage

SALT = "test-salt"


def snapshot(
    stages: Mapping[str, tuple[Stage, float]] | None = None,
    overrides: Mapping[str, Mapping[int, bool]] | None = None,
    env: Mapping[str, EnvOverride] | None = None,
    salt: str = SALT,
) -> Snapshot:
    stages = stages or {}
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Snapshot(
        flags={
            name: FlagState(name, name, *stages.get(name, (Stage.DISABLED, 0.0)), 1, at, None)
            for name in FLAG_NAMES
        },
        overrides=overrides or {},
        env=env or {},
        salt=salt,
        revision=1,
    )
