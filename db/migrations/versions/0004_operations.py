"""The operation registry: documents by SHA-256, with name, type, first and last seen and
a count (persisted queries, the safelist, replay).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jewgo.db.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "type IN ('query', 'mutation', 'subscription')", name="ck_operations_type"
        ),
        sa.CheckConstraint("length(hash) = 64", name="ck_operations_hash"),
        sa.PrimaryKeyConstraint("hash", name="pk_operations"),
    )


def downgrade() -> None:
    op.drop_table("operations")
