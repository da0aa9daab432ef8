"""Directory tables: users, restaurants, reviews; distance_km on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jewgo.db.geo import POSTGRES_FUNCTION
from jewgo.db.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('USER', 'MODERATOR', 'ADMIN')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_index("ix_users_name_id", "users", ["name", "id"])

    op.create_table(
        "restaurants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("zip_code", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("kosher_category", sa.Text(), nullable=False),
        sa.Column("certifying_agency", sa.Text(), nullable=True),
        sa.Column("is_cholov_yisroel", sa.Boolean(), nullable=False),
        sa.Column("is_pas_yisroel", sa.Boolean(), nullable=False),
        sa.Column("price_range", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kosher_category IN ('MEAT', 'DAIRY', 'PAREVE')", name="ck_restaurants_category"
        ),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'PENDING', 'CLOSED')", name="ck_restaurants_status"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name="fk_restaurants_created_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_restaurants"),
    )
    op.create_index("ix_restaurants_status_name", "restaurants", ["status", "name", "id"])
    op.create_index("ix_restaurants_status_created", "restaurants", ["status", "created_at", "id"])
    op.create_index("ix_restaurants_created_by", "restaurants", ["created_by"])

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("restaurant_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        sa.CheckConstraint(
            "status IN ('PENDING', 'APPROVED', 'REJECTED')", name="ck_reviews_status"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name="fk_reviews_author_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name="fk_reviews_restaurant_id_restaurants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("restaurant_id", "author_id", name="uq_reviews_restaurant_author"),
    )
    op.create_index(
        "ix_reviews_restaurant_status_created",
        "reviews",
        ["restaurant_id", "status", "created_at"],
    )
    op.create_index("ix_reviews_author_created", "reviews", ["author_id", "created_at"])
    op.create_index("ix_reviews_status_created", "reviews", ["status", "created_at", "id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS distance_km(float8, float8, float8, float8)")
    op.drop_table("reviews")
    op.drop_table("restaurants")
    op.drop_table("users")
