"""Per registered operation and domain: reached, and when v3 and v4 last matched and
last differed on it (coverage of the known operations).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jewgo.db.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operation_coverage",
        sa.Column("hash", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("clean_at", UTCDateTime(), nullable=True),
        sa.Column("differed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hash", "domain", name="pk_operation_coverage"),
    )


def downgrade() -> None:
    op.drop_table("operation_coverage")
