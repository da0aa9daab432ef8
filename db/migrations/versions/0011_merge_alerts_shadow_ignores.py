"""Merge the two branches that grew from 0004: the alerts (0005) and the shadow's ignored
fields (0010). Neither touches the other's tables; a database at either one upgrades.

Revision ID: 0011
Revises: 0005, 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0011"
down_revision: str | tuple[str, ...] | None = ("0005", "0010")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
