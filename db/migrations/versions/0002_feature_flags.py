"""Feature flags: the eight flags at DISABLED 0 %, user overrides, the append-only audit
log, and the fleet-wide salt and revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from jewgo.db.models import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = (
    (
        "api_v4_enabled",
        "Master switch: a domain is served by v4 only when this flag decides V4 too.",
    ),
    ("api_v4_restaurants", "Serve the restaurants domain with v4."),
    ("api_v4_reviews", "Serve the reviews domain with v4."),
    ("api_v4_users", "Serve the users domain with v4."),
    ("api_v4_statistics", "Serve the statistics domain with v4."),
    ("api_v4_cache", "Let v4 read through its cache (Redis, or memory)."),
    ("api_v4_validation", "v4's strict validation and normalisation of inputs."),
    ("api_v4_error_handling", "Field-level details (extensions.fields) in v4's input errors."),
)

APPEND_ONLY_SQLITE = """
CREATE TRIGGER flag_events_no_{verb} BEFORE {verb} ON flag_events
BEGIN SELECT RAISE(ABORT, 'flag_events is append-only'); END
"""
APPEND_ONLY_POSTGRES = (
    """CREATE FUNCTION flag_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'flag_events is append-only'; END $$""",
    """CREATE TRIGGER flag_events_append_only BEFORE UPDATE OR DELETE ON flag_events
    FOR EACH ROW EXECUTE FUNCTION flag_events_append_only()""",
)


def upgrade() -> None:
    flags = op.create_table(
        "feature_flags",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("rollout_percentage", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('DISABLED', 'TESTING', 'PARTIAL', 'FULL', 'COMPLETE')",
            name="ck_feature_flags_stage",
        ),
        sa.CheckConstraint(
            "rollout_percentage BETWEEN 0 AND 100", name="ck_feature_flags_percentage"
        ),
        sa.PrimaryKeyConstraint("name", name="pk_feature_flags"),
    )
    op.create_table(
        "flag_user_overrides",
        sa.Column("flag_name", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_name"],
            ["feature_flags.name"],
            name="fk_flag_user_overrides_flag_name_feature_flags",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_flag_user_overrides_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flag_name", "user_id", name="pk_flag_user_overrides"),
    )
    op.create_table(
        "flag_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_name", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_stage", sa.Text(), nullable=True),
        sa.Column("to_stage", sa.Text(), nullable=True),
        sa.Column("from_percentage", sa.Float(), nullable=True),
        sa.Column("to_percentage", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flag_name"], ["feature_flags.name"], name="fk_flag_events_flag_name_feature_flags"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_flag_events"),
    )
    op.create_index("ix_flag_events_flag_name_id", "flag_events", ["flag_name", "id"])
    state = op.create_table(
        "flag_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_flag_state_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_flag_state"),
    )

    created = datetime.now(UTC)
    op.bulk_insert(
        flags,
        [
            {
                "name": name,
                "description": description,
                "stage": "DISABLED",
                "rollout_percentage": 0.0,
                "version": 1,
                "updated_at": created,
                "updated_by": "migration",
            }
            for name, description in FLAGS
        ],
    )
    # One salt for the whole fleet and every flag, so cohorts nest across flags.
    op.bulk_insert(state, [{"id": 1, "salt": secrets.token_hex(16), "revision": 1}])

    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY_POSTGRES:
            op.execute(statement)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(APPEND_ONLY_SQLITE.format(verb=verb))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS flag_events_append_only ON flag_events")
        op.execute("DROP FUNCTION IF EXISTS flag_events_append_only()")
    op.drop_table("flag_state")
    op.drop_table("flag_events")
    op.drop_table("flag_user_overrides")
    op.drop_table("feature_flags")
