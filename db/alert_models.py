"""Tables of the operators' side: alerts (append-only), their webhook outbox, the
controller's heartbeat, and durable daily counts of each domain's calls per version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jewgo.db.base import Base, UTCDateTime


class AlertRow(Base):
    """Every firing and resolution of an alert, with its figures (append-only)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)
    flag_name: Mapped[str] = mapped_column(Text)  # "" for the fleet
    severity: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    figures: Mapped[str] = mapped_column(Text)  # JSON

    __table_args__ = (
        CheckConstraint("state IN ('FIRING', 'RESOLVED')", name="state"),
        Index("ix_alerts_fingerprint_id", "fingerprint", "id"),
        Index("ix_alerts_flag_name_id", "flag_name", "id"),
    )


class AlertNotificationRow(Base):
    """The outbox: one webhook POST of one alert event to one receiver, until delivered."""

    __tablename__ = "alert_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    url: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("state IN ('PENDING', 'DELIVERED', 'FAILED')", name="state"),
        UniqueConstraint("url", "dedup_key", name="uq_alert_notifications_url_dedup_key"),
        Index("ix_alert_notifications_state_next_attempt_at", "state", "next_attempt_at"),
    )


class ControllerHeartbeatRow(Base):
    """One row: which instance led the rollout controller last, and when it last ticked."""

    __tablename__ = "controller_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leader: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class DailyCallRow(Base):
    """Calls of a domain's version per UTC day, added up by every instance (decommission
    readiness needs months, which the Redis window does not keep)."""

    __tablename__ = "daily_calls"

    day: Mapped[str] = mapped_column(Text, primary_key=True)  # YYYY-MM-DD, UTC
    domain: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)
    last_call_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("version IN ('v3', 'v4')", name="version"),)
