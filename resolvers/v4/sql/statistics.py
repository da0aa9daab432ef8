"""The directory's statistics on SQLAlchemy Core: totals in one statement, then one
grouping per breakdown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select

from jewgo.db.session import Executor
from jewgo.resolvers.domain import KosherCategory, ReviewStatus, Statistics
from jewgo.resolvers.v4.sql.tables import restaurants, reviews, users


class SqlStatisticsReads:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def summary(self) -> Statistics:
        def count(table: Any, *where: ColumnElement[bool]) -> Any:
            return select(func.count()).select_from(table).where(*where).scalar_subquery()

        approved = reviews.c.status == ReviewStatus.APPROVED.value
        totals = (
            (
                await self._db.execute(
                    select(
                        count(restaurants).label("total_restaurants"),
                        count(restaurants, restaurants.c.status == "ACTIVE").label("active"),
                        count(reviews).label("total_reviews"),
                        count(reviews, approved).label("approved"),
                        select(func.sum(reviews.c.rating))
                        .where(approved)
                        .scalar_subquery()
                        .label("rating_sum"),
                        count(users).label("total_users"),
                    )
                )
            )
            .mappings()
            .one()
        )
        groups: dict[str, tuple[tuple[Any, int], ...]] = {}
        for column in (
            restaurants.c.kosher_category,
            restaurants.c.state,
            restaurants.c.certifying_agency,
        ):
            statement = (
                select(column.label("key"), func.count().label("n"))
                .where(restaurants.c.status == "ACTIVE", column.is_not(None))
                .group_by(column)
                .order_by(func.count().desc(), column.asc())
            )
            rows = (await self._db.execute(statement)).mappings()
            groups[column.name] = tuple((row["key"], int(row["n"])) for row in rows)
        approved_count = int(totals["approved"])
        return Statistics(
            total_restaurants=int(totals["total_restaurants"]),
            active_restaurants=int(totals["active"]),
            total_reviews=int(totals["total_reviews"]),
            approved_reviews=approved_count,
            total_users=int(totals["total_users"]),
            average_rating=(int(totals["rating_sum"]) / approved_count if approved_count else None),
            by_category=tuple((KosherCategory(key), n) for key, n in groups["kosher_category"]),
            by_state=groups["state"],
            by_agency=groups["certifying_agency"],
        )
