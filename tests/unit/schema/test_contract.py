"""The schema is a compatible superset of the frontend's contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from jewgo.schema import schema

HERE = Path(__file__).resolve().parents[2] / "contract" / "schema.graphql"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "contract" / "schema.graphql"


def test_no_breaking_change_against_the_contract() -> None:
    changes = find_breaking_changes(build_schema(HERE.read_text()), schema._schema)
    assert [c.description for c in changes] == []


@pytest.mark.skipif(not SHARED.exists(), reason="no shared contract beside the checkout")
def test_the_vendored_contract_is_the_shared_one() -> None:
    assert HERE.read_text() == SHARED.read_text()
