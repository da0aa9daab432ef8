"""Tables of the directory (users, restaurants, reviews), of the feature flags and of the
operation registry; the alerts' and the daily counts' are in db.alert_models, every one
on the same metadata (db.base).

The models are the schema of record for Alembic; readers and writers above this package
map rows to their own frozen dataclasses and never hand ORM objects around.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jewgo.db.alert_models import AlertNotificationRow as AlertNotificationRow
from jewgo.db.alert_models import AlertRow as AlertRow
from jewgo.db.alert_models import ControllerHeartbeatRow as ControllerHeartbeatRow
from jewgo.db.alert_models import DailyCallRow as DailyCallRow
from jewgo.db.base import NAMING_CONVENTION as NAMING_CONVENTION
from jewgo.db.base import Base as Base
from jewgo.db.base import UTCDateTime as UTCDateTime


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text, default="USER")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("role IN ('USER', 'MODERATOR', 'ADMIN')", name="role"),
        Index("ix_users_name_id", "name", "id"),
    )


class RestaurantRow(Base):
    __tablename__ = "restaurants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    zip_code: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    kosher_category: Mapped[str] = mapped_column(Text)
    certifying_agency: Mapped[str | None] = mapped_column(Text)
    is_cholov_yisroel: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pas_yisroel: Mapped[bool] = mapped_column(Boolean, default=False)
    price_range: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(Text, default="PENDING")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("kosher_category IN ('MEAT', 'DAIRY', 'PAREVE')", name="category"),
        CheckConstraint("status IN ('ACTIVE', 'PENDING', 'CLOSED')", name="status"),
        Index("ix_restaurants_status_name", "status", "name", "id"),
        Index("ix_restaurants_status_created", "status", "created_at", "id"),
        Index("ix_restaurants_created_by", "created_by"),
    )


class ReviewRow(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="PENDING")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("restaurant_id", "author_id", name="uq_reviews_restaurant_author"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="status"),
        Index("ix_reviews_restaurant_status_created", "restaurant_id", "status", "created_at"),
        Index("ix_reviews_author_created", "author_id", "created_at"),
        Index("ix_reviews_status_created", "status", "created_at", "id"),
    )


class FeatureFlagRow(Base):
    __tablename__ = "feature_flags"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(Text)
    rollout_percentage: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            "stage IN ('DISABLED', 'TESTING', 'PARTIAL', 'FULL', 'COMPLETE')", name="stage"
        ),
        CheckConstraint("rollout_percentage BETWEEN 0 AND 100", name="percentage"),
    )


class FlagUserOverrideRow(Base):
    __tablename__ = "flag_user_overrides"

    flag_name: Mapped[str] = mapped_column(
        ForeignKey("feature_flags.name", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(Text)


class ShadowIgnoreRow(Base):
    """A schema field (`Restaurant.website`) or a response path prefix (`restaurants.edges`)
    left out of one flag's shadow comparisons, with the reason an admin gave."""

    __tablename__ = "shadow_ignores"

    flag_name: Mapped[str] = mapped_column(
        ForeignKey("feature_flags.name", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(Text)


class FlagEventRow(Base):
    """The append-only audit log (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "flag_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_name: Mapped[str] = mapped_column(ForeignKey("feature_flags.name"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    from_stage: Mapped[str | None] = mapped_column(Text)
    to_stage: Mapped[str | None] = mapped_column(Text)
    from_percentage: Mapped[float | None] = mapped_column(Float)
    to_percentage: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_flag_events_flag_name_id", "flag_name", "id"),)


class FlagStateRow(Base):
    """One row: the fleet-wide bucketing salt and the revision every change increments."""

    __tablename__ = "flag_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salt: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class RolloutRow(Base):
    """A gradual rollout of one flag; the newest row of a flag is its current rollout."""

    __tablename__ = "rollouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_name: Mapped[str] = mapped_column(ForeignKey("feature_flags.name"))
    state: Mapped[str] = mapped_column(Text)
    current_percentage: Mapped[float] = mapped_column(Float)
    config: Mapped[str] = mapped_column(Text)  # JSON of RolloutConfig
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_decision: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    inconclusive_since: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint(
            "state IN ('RUNNING', 'PAUSED', 'COMPLETED', 'ROLLED_BACK', 'STOPPED')",
            name="state",
        ),
        Index("ix_rollouts_flag_name_id", "flag_name", "id"),
    )


class ReplayRow(Base):
    """Each `jewgo replay` of a flag: when, and whether every run matched."""

    __tablename__ = "replays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_name: Mapped[str] = mapped_column(ForeignKey("feature_flags.name", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    passed: Mapped[bool] = mapped_column(Boolean)
    runs: Mapped[int] = mapped_column(Integer)
    differing: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_replays_flag_name_id", "flag_name", "id"),)


class OperationCoverageRow(Base):
    """A registered operation that reaches a domain, and when a comparison of v3 and v4 on
    it last matched and last differed."""

    __tablename__ = "operation_coverage"

    hash: Mapped[str] = mapped_column(Text, primary_key=True)
    domain: Mapped[str] = mapped_column(Text, primary_key=True)
    clean_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    differed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OperationSampleRow(Base):
    """Variables an operation of the registry was run with, and the caller's role (never a
    token, never who): a few per operation, for `jewgo replay`."""

    __tablename__ = "operation_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    variables: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_operation_samples_hash", "hash"),)


class OperationRow(Base):
    """The operation registry: every document the gateway has run or been given, by the
    SHA-256 of its text (the persisted-query id), with how often and when it was seen."""

    __tablename__ = "operations"

    hash: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("type IN ('query', 'mutation', 'subscription')", name="type"),
        CheckConstraint("length(hash) = 64", name="hash"),
    )


class ConsoleLinkRow(Base):
    """A one-time sign-in link of the operator console (`jewgo console-link`): the SHA-256
    of its secret, whose it is, until when it works, and when it was used (once)."""

    __tablename__ = "console_links"

    hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("length(hash) = 64", name="hash"),)
