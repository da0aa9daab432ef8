"""The schema is a compatible superset of the frontend's contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from schema import schema

HERE = Path(__file__).resolve().parents[1] / "contract" / "schema.graphql"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "contract" / "schema.graphql"

# Parts of the contract that later issues build (flags, metrics, rollouts). Each one is
# left out of the schema until it is real, rather than answered with made-up values.
NOT_YET_BUILT = (
    "RolloutState",
    "RolloutConfig",
    "Rollout",
    "RolloutConfigInput",
    "MigrationStatus.rollouts",
    "Mutation.startRollout",
    "Mutation.pauseRollout",
    "Mutation.resumeRollout",
    "Mutation.stopRollout",
)


def pending(description: str) -> bool:
    return any(
        description in (f"{name} was removed.", f"Field {name} was removed.")
        for name in NOT_YET_BUILT
    )


def test_no_breaking_change_against_the_contract() -> None:
    changes = find_breaking_changes(build_schema(HERE.read_text()), schema._schema)
    assert [c.description for c in changes if not pending(c.description)] == []


@pytest.mark.skipif(not SHARED.exists(), reason="no shared contract beside the checkout")
def test_the_vendored_contract_is_the_shared_one() -> None:
    assert HERE.read_text() == SHARED.read_text()
