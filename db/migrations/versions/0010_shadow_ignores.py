"""Fields and paths left out of a flag's shadow comparisons, each with its reason.

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jewgo.db.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shadow_ignores",
        sa.Column("flag_name", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_name"],
            ["feature_flags.name"],
            name="fk_shadow_ignores_flag_name_feature_flags",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flag_name", "target", name="pk_shadow_ignores"),
    )


def downgrade() -> None:
    op.drop_table("shadow_ignores")
