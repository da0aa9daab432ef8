"""Alerts: every firing and resolution (append-only), the webhook outbox, and the
controller's heartbeat (how a new leader knows nobody led for a while); a rollout's
inconclusive stretch (since when its guards could not judge); durable daily counts of
each domain's calls per version (decommission readiness).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jewgo.db.models import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_SQLITE = """
CREATE TRIGGER alerts_no_{verb} BEFORE {verb} ON alerts
BEGIN SELECT RAISE(ABORT, 'alerts is append-only'); END
"""
APPEND_ONLY_POSTGRES = (
    """CREATE FUNCTION alerts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'alerts is append-only'; END $$""",
    """CREATE TRIGGER alerts_append_only BEFORE UPDATE OR DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION alerts_append_only()""",
)


def upgrade() -> None:
    with op.batch_alter_table("rollouts") as rollouts:
        rollouts.add_column(sa.Column("inconclusive_since", UTCDateTime(), nullable=True))
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("flag_name", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('FIRING', 'RESOLVED')", name="ck_alerts_state"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_fingerprint_id", "alerts", ["fingerprint", "id"])
    op.create_index("ix_alerts_flag_name_id", "alerts", ["flag_name", "id"])
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('PENDING', 'DELIVERED', 'FAILED')", name="ck_alert_notifications_state"
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_notifications_alert_id_alerts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_notifications"),
        sa.UniqueConstraint("url", "dedup_key", name="uq_alert_notifications_url_dedup_key"),
    )
    op.create_index(
        "ix_alert_notifications_state_next_attempt_at",
        "alert_notifications",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "controller_heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leader", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_controller_heartbeat_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_controller_heartbeat"),
    )
    op.create_table(
        "daily_calls",
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("last_call_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("version IN ('v3', 'v4')", name="ck_daily_calls_version"),
        sa.PrimaryKeyConstraint("day", "domain", "version", name="pk_daily_calls"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY_POSTGRES:
            op.execute(statement)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(APPEND_ONLY_SQLITE.format(verb=verb))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS alerts_append_only ON alerts")
        op.execute("DROP FUNCTION IF EXISTS alerts_append_only()")
    op.drop_table("daily_calls")
    op.drop_table("controller_heartbeat")
    op.drop_table("alert_notifications")
    op.drop_table("alerts")
    with op.batch_alter_table("rollouts") as rollouts:
        rollouts.drop_column("inconclusive_since")
