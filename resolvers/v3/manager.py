"""The legacy data manager: every domain in one class, SQL by hand, a query per parent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from jewgo.db.integrity import Violation, violation
from jewgo.db.session import RequestDatabase
from jewgo.resolvers import pagination, policy, validation
from jewgo.resolvers.domain import (
    Author,
    KosherCategory,
    NewRestaurant,
    NewReview,
    Page,
    PageArgs,
    Restaurant,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    RestaurantStatus,
    Review,
    ReviewFilter,
    ReviewPatch,
    ReviewStatus,
    Role,
    Statistics,
    User,
    UserFilter,
    Viewer,
    now,
)
from jewgo.resolvers.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    already_reviewed,
    restaurant_gone,
)
from jewgo.resolvers.ports import Change, ChangeSink
from jewgo.resolvers.v3 import sql
from jewgo.resolvers.v3.sql import select, statement


async def _zero() -> int:
    return 0


class LegacyDataManager:
    """Implements every port of `resolvers.ports` for one request."""

    def __init__(self, db: RequestDatabase, changes: ChangeSink) -> None:
        self._db = db
        self._changes = changes

    # The manager serves all four domains itself.
    @property
    def restaurants(self) -> LegacyDataManager:
        return self

    @property
    def reviews(self) -> LegacyDataManager:
        return self

    @property
    def users(self) -> LegacyDataManager:
        return self

    @property
    def statistics(self) -> LegacyDataManager:
        return self

    async def _rows(self, stmt: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        result = await self._db.reads.execute(stmt, params)
        return [dict(row) for row in result.mappings()]

    async def _scalar(self, stmt: Any, params: dict[str, Any]) -> Any:
        result = await self._db.reads.execute(stmt, params)
        return result.scalar()

    # ------------------------------------------------------------------ restaurants

    async def restaurant(self, restaurant_id: int) -> Restaurant | None:
        rows = await self._rows(select(sql.RESTAURANT_BY_ID), {"id": restaurant_id})
        if not rows:
            return None
        rating = await self._rows(select(sql.RESTAURANT_RATING), {"id": restaurant_id})
        return Restaurant.from_row(rows[0] | rating[0])

    async def restaurant_list(
        self, where: RestaurantFilter, order: RestaurantOrder, page: PageArgs
    ) -> Page[Restaurant]:
        where = validation.restaurant_list(where, order)
        conditions, params = self._restaurant_conditions(where)
        scope = pagination.list_of(where)
        order_by, after_key = sql.RESTAURANT_ORDERS[order.value]
        page_conditions = list(conditions)
        page_params = dict(params)
        timestamp_params: tuple[str, ...] = ()
        if page.after is not None:
            page_params["k0"], page_params["k1"] = pagination.decode(page.after, order.value, scope)
            page_conditions.append(after_key)
            if order is RestaurantOrder.NEWEST:
                timestamp_params = ("k0",)
        distance = sql.DISTANCE if where.near is not None else "NULL"
        rows = await self._rows(
            select(
                f"""SELECT {sql.RESTAURANT_COLUMNS}, COALESCE(s.approved, 0) AS review_count,
                           s.rating_sum, {distance} AS distance_km
                    FROM restaurants r {sql.APPROVED_STATS_JOIN}
                    WHERE {" AND ".join(page_conditions)}
                    ORDER BY {order_by} LIMIT :limit""",
                *timestamp_params,
            ),
            page_params | {"limit": page.first + 1},
        )

        async def total() -> int:
            count = await self._scalar(
                statement(
                    f"""SELECT COUNT(*) FROM restaurants r {sql.APPROVED_STATS_JOIN}
                        WHERE {" AND ".join(conditions)}"""
                ),
                params,
            )
            return int(count)

        return pagination.build_page(
            [Restaurant.from_row(row) for row in rows],
            page.first,
            order.value,
            lambda r: pagination.restaurant_key(r, order),
            total,
            scope,
        )

    def _restaurant_conditions(self, where: RestaurantFilter) -> tuple[list[str], dict[str, Any]]:
        conditions = ["r.status = :status"]
        params: dict[str, Any] = {"status": (where.status or RestaurantStatus.ACTIVE).value}
        if where.kosher_category is not None:
            conditions.append("r.kosher_category = :kosher_category")
            params["kosher_category"] = where.kosher_category.value
        for name, value in (
            ("certifying_agency", where.certifying_agency),
            ("city", where.city),
            ("state", where.state),
        ):
            if value is not None:
                conditions.append(f"lower(r.{name}) = lower(:{name})")
                params[name] = value
        for name, flag in (
            ("is_cholov_yisroel", where.is_cholov_yisroel),
            ("is_pas_yisroel", where.is_pas_yisroel),
        ):
            if flag is not None:
                conditions.append(f"r.{name} = :{name}")
                params[name] = flag
        if where.min_rating is not None:
            conditions.append(f"{sql.RATING} >= :min_rating")
            params["min_rating"] = where.min_rating
        if where.search is not None and where.search.strip():
            conditions.append(sql.SEARCH)
            params["search"] = validation.escape_like(where.search.strip())
        if where.near is not None:
            conditions.append(f"{sql.DISTANCE} <= :radius")
            params |= {
                "near_lat": where.near.latitude,
                "near_lon": where.near.longitude,
                "radius": where.near.radius_km,
            }
        return conditions, params

    async def create_restaurant(self, viewer: Viewer | None, data: NewRestaurant) -> Restaurant:
        viewer = policy.signed_in(viewer)
        data = validation.new_restaurant(data)
        stamp = now()
        values = {name: getattr(data, name) for name in sql.RESTAURANT_WRITABLE if name != "status"}
        values = {k: v.value if k == "kosher_category" else v for k, v in values.items()}
        values |= {
            "status": policy.initial_restaurant_status(viewer),
            "created_by": viewer.id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        async with self._db.transaction() as tx:
            result = await tx.execute(
                statement(
                    f"INSERT INTO restaurants ({columns}) VALUES ({placeholders}) RETURNING id",
                    "created_at",
                    "updated_at",
                ),
                values,
            )
            new_id = int(result.scalar_one())
        await self._changes.changed(Change(restaurants=frozenset({new_id})))
        return await self._must_restaurant(new_id)

    async def update_restaurant(
        self, viewer: Viewer | None, restaurant_id: int, patch: RestaurantPatch
    ) -> Restaurant:
        policy.admin(viewer)
        patch = validation.restaurant_patch(patch)
        values = {
            name: value.value if hasattr(value, "value") else value
            for name, value in patch.fields.items()
            if name in sql.RESTAURANT_WRITABLE
        }
        values["updated_at"] = now()
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        async with self._db.transaction() as tx:
            result = await tx.execute(
                statement(f"UPDATE restaurants SET {assignments} WHERE id = :id", "updated_at"),
                values | {"id": restaurant_id},
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"No restaurant with id {restaurant_id}")
        await self._changes.changed(Change(restaurants=frozenset({restaurant_id})))
        return await self._must_restaurant(restaurant_id)

    async def delete_restaurant(self, viewer: Viewer | None, restaurant_id: int) -> bool:
        policy.admin(viewer)
        async with self._db.transaction() as tx:
            cascaded = (
                await tx.execute(
                    statement("SELECT id, author_id FROM reviews WHERE restaurant_id = :id"),
                    {"id": restaurant_id},
                )
            ).all()
            result = await tx.execute(
                statement("DELETE FROM restaurants WHERE id = :id"), {"id": restaurant_id}
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"No restaurant with id {restaurant_id}")
        await self._changes.changed(
            Change.of_deleted_restaurant(restaurant_id, [(r.id, r.author_id) for r in cascaded])
        )
        return True

    async def _must_restaurant(self, restaurant_id: int) -> Restaurant:
        restaurant = await self.restaurant(restaurant_id)
        if restaurant is None:
            raise NotFound(f"No restaurant with id {restaurant_id}")
        return restaurant

    # ------------------------------------------------------------------ reviews

    async def _review_row(self, review_id: int) -> Review | None:
        rows = await self._rows(
            select(f"SELECT {sql.REVIEW_COLUMNS} FROM reviews v WHERE v.id = :id"),
            {"id": review_id},
        )
        return Review.from_row(rows[0]) if rows else None

    async def review(self, viewer: Viewer | None, review_id: int) -> Review | None:
        review = await self._review_row(review_id)
        return review if review is not None and policy.can_see_review(viewer, review) else None

    async def review_list(
        self, viewer: Viewer | None, where: ReviewFilter, page: PageArgs
    ) -> Page[Review]:
        where = validation.review_filter(where)
        listed = pagination.list_of(where)
        if page.after is not None:
            pagination.decode(page.after, "REVIEWS", listed)  # bad input first, as v4
        visible = policy.review_scope(viewer, where.status)
        if visible is None:
            return Page(items=(), has_next=False, total=_zero)
        status, only_author = visible
        conditions = ["v.status = :status"]
        params: dict[str, Any] = {"status": status.value}
        for name, value in (
            ("restaurant_id", where.restaurant_id),
            ("author_id", where.author_id),
            ("only_author", only_author),
        ):
            if value is not None:
                column = "author_id" if name == "only_author" else name
                conditions.append(f"v.{column} = :{name}")
                params[name] = value
        if where.min_rating is not None:
            conditions.append("v.rating >= :min_rating")
            params["min_rating"] = where.min_rating
        return await self._review_page(conditions, params, page, listed)

    async def restaurant_reviews(self, restaurant_id: int, page: PageArgs) -> Page[Review]:
        return await self._review_page(
            ["v.restaurant_id = :restaurant_id", "v.status = 'APPROVED'"],
            {"restaurant_id": restaurant_id},
            page,
            pagination.list_of("restaurant", restaurant_id),
        )

    async def reviews_of_restaurants(
        self, restaurant_ids: Sequence[int], page: PageArgs
    ) -> list[Page[Review]]:
        return [await self.restaurant_reviews(i, page) for i in restaurant_ids]  # one by one

    async def _review_page(
        self, conditions: list[str], params: dict[str, Any], page: PageArgs, scope: str
    ) -> Page[Review]:
        page_conditions, page_params = list(conditions), dict(params)
        if page.after is not None:
            page_params["k0"], page_params["k1"] = pagination.decode(page.after, "REVIEWS", scope)
            page_conditions.append(sql.REVIEWS_AFTER)
        rows = await self._rows(
            select(
                f"""SELECT {sql.REVIEW_COLUMNS} FROM reviews v
                    WHERE {" AND ".join(page_conditions)}
                    ORDER BY v.created_at DESC, v.id DESC LIMIT :limit""",
                *(("k0",) if page.after is not None else ()),
            ),
            page_params | {"limit": page.first + 1},
        )

        async def total() -> int:
            count = await self._scalar(
                statement(f"SELECT COUNT(*) FROM reviews v WHERE {' AND '.join(conditions)}"),
                params,
            )
            return int(count)

        return pagination.build_page(
            [Review.from_row(row) for row in rows],
            page.first,
            "REVIEWS",
            lambda v: (v.created_at, v.id),
            total,
            scope,
        )

    async def create_review(self, viewer: Viewer | None, data: NewReview) -> Review:
        viewer = policy.signed_in(viewer)
        data = validation.new_review(data)
        exists = await self._scalar(
            statement("SELECT COUNT(*) FROM restaurants WHERE id = :id"),
            {"id": data.restaurant_id},
        )
        if not exists:
            raise InvalidInput(
                f"No restaurant with id {data.restaurant_id}",
                {"restaurantId": "no such restaurant"},
            )
        stamp = now()
        values = {
            "restaurant_id": data.restaurant_id,
            "author_id": viewer.id,
            "rating": data.rating,
            "title": data.title,
            "content": data.content,
            "status": ReviewStatus.PENDING.value,
            "created_at": stamp,
            "updated_at": stamp,
        }
        try:
            async with self._db.transaction() as tx:
                duplicate = await tx.execute(
                    statement("SELECT id FROM reviews WHERE restaurant_id = :r AND author_id = :a"),
                    {"r": data.restaurant_id, "a": viewer.id},
                )
                if duplicate.first() is not None:
                    raise already_reviewed()
                result = await tx.execute(
                    statement(
                        """INSERT INTO reviews (restaurant_id, author_id, rating, title, content,
                                                status, created_at, updated_at)
                           VALUES (:restaurant_id, :author_id, :rating, :title, :content,
                                   :status, :created_at, :updated_at)
                           RETURNING id""",
                        "created_at",
                        "updated_at",
                    ),
                    values,
                )
                new_id = int(result.scalar_one())
        except IntegrityError as exc:
            raise _review_integrity_error(exc) from exc
        await self._changes.changed(Change.of_review(new_id, data.restaurant_id, viewer.id))
        return await self._must_review(new_id)

    async def _editable_review(self, viewer: Viewer | None, review_id: int) -> Review:
        review = await self.review(policy.signed_in(viewer), review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        policy.author_or_admin(viewer, review)
        return review

    async def update_review(
        self, viewer: Viewer | None, review_id: int, patch: ReviewPatch
    ) -> Review:
        review = await self._editable_review(viewer, review_id)
        patch = validation.review_patch(patch)
        values = {k: v for k, v in patch.fields.items() if k in ("rating", "title", "content")}
        assert viewer is not None
        values["status"] = policy.review_status_after_edit(viewer, review).value
        values["updated_at"] = now()
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        async with self._db.transaction() as tx:
            await tx.execute(
                statement(f"UPDATE reviews SET {assignments} WHERE id = :id", "updated_at"),
                values | {"id": review_id},
            )
        await self._changes.changed(
            Change.of_review(review_id, review.restaurant_id, review.author_id)
        )
        return await self._must_review(review_id)

    async def delete_review(self, viewer: Viewer | None, review_id: int) -> bool:
        review = await self._editable_review(viewer, review_id)
        async with self._db.transaction() as tx:
            await tx.execute(statement("DELETE FROM reviews WHERE id = :id"), {"id": review_id})
        await self._changes.changed(
            Change.of_review(review_id, review.restaurant_id, review.author_id)
        )
        return True

    async def moderate_review(
        self, viewer: Viewer | None, review_id: int, status: ReviewStatus
    ) -> Review:
        policy.staff(viewer)
        review = await self._review_row(review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        async with self._db.transaction() as tx:
            await tx.execute(
                statement(
                    "UPDATE reviews SET status = :status, updated_at = :updated_at WHERE id = :id",
                    "updated_at",
                ),
                {"status": status.value, "updated_at": now(), "id": review_id},
            )
        await self._changes.changed(
            Change.of_review(review_id, review.restaurant_id, review.author_id)
        )
        return await self._must_review(review_id)

    async def _must_review(self, review_id: int) -> Review:
        review = await self._review_row(review_id)
        if review is None:
            raise NotFound(f"No review with id {review_id}")
        return review

    # ------------------------------------------------------------------ users

    async def author(self, user_id: int) -> Author | None:
        rows = await self._rows(
            statement("SELECT id, name FROM users WHERE id = :id"), {"id": user_id}
        )
        return Author(id=rows[0]["id"], name=rows[0]["name"]) if rows else None

    async def authors(self, user_ids: Sequence[int]) -> list[Author | None]:
        return [await self.author(i) for i in user_ids]  # one query per review, as ever

    async def _user_row(self, user_id: int) -> User | None:
        rows = await self._rows(
            select(f"SELECT {sql.USER_COLUMNS} FROM users u WHERE u.id = :id"), {"id": user_id}
        )
        return User.from_row(rows[0]) if rows else None

    async def me(self, viewer: Viewer | None) -> User | None:
        return None if viewer is None else await self._user_row(viewer.id)

    async def user(self, viewer: Viewer | None, user_id: int) -> User | None:
        policy.admin(viewer)
        return await self._user_row(user_id)

    async def user_list(
        self, viewer: Viewer | None, where: UserFilter, page: PageArgs
    ) -> Page[User]:
        policy.admin(viewer)
        where = validation.user_filter(where)
        conditions: list[str] = ["1 = 1"]
        params: dict[str, Any] = {}
        if where.role is not None:
            conditions.append("u.role = :role")
            params["role"] = where.role.value
        if where.search is not None and where.search.strip():
            conditions.append(sql.USER_SEARCH)
            params["search"] = validation.escape_like(where.search.strip())
        page_conditions, page_params = list(conditions), dict(params)
        scope = pagination.list_of(where)
        if page.after is not None:
            page_params["k0"], page_params["k1"] = pagination.decode(page.after, "USERS", scope)
            page_conditions.append(sql.USERS_AFTER)
        rows = await self._rows(
            select(
                f"""SELECT {sql.USER_COLUMNS} FROM users u
                    WHERE {" AND ".join(page_conditions)}
                    ORDER BY u.name ASC, u.id ASC LIMIT :limit"""
            ),
            page_params | {"limit": page.first + 1},
        )

        async def total() -> int:
            count = await self._scalar(
                statement(f"SELECT COUNT(*) FROM users u WHERE {' AND '.join(conditions)}"),
                params,
            )
            return int(count)

        return pagination.build_page(
            [User.from_row(row) for row in rows],
            page.first,
            "USERS",
            lambda u: (u.name, u.id),
            total,
            scope,
        )

    async def update_user_role(self, viewer: Viewer | None, user_id: int, role: Role) -> User:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "change the role of")
        async with self._db.transaction() as tx:
            result = await tx.execute(
                statement(
                    "UPDATE users SET role = :role, updated_at = :updated_at WHERE id = :id",
                    "updated_at",
                ),
                {"role": role.value, "updated_at": now(), "id": user_id},
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"No user with id {user_id}")
        await self._changes.changed(Change(users=frozenset({user_id})))
        user = await self._user_row(user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}")
        return user

    async def delete_user(self, viewer: Viewer | None, user_id: int) -> bool:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "delete")
        async with self._db.transaction() as tx:
            reviewed = await tx.execute(
                statement("SELECT id, restaurant_id FROM reviews WHERE author_id = :id"),
                {"id": user_id},
            )
            reviews = reviewed.all()
            result = await tx.execute(
                statement("DELETE FROM users WHERE id = :id"), {"id": user_id}
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"No user with id {user_id}")
        await self._changes.changed(
            Change.of_deleted_user(user_id, [(r.id, r.restaurant_id) for r in reviews])
        )
        return True

    # ------------------------------------------------------------------ statistics

    async def summary(self) -> Statistics:
        counts = (
            await self._rows(
                statement(
                    """SELECT
                         (SELECT COUNT(*) FROM restaurants) AS total_restaurants,
                         (SELECT COUNT(*) FROM restaurants WHERE status = 'ACTIVE')
                           AS active_restaurants,
                         (SELECT COUNT(*) FROM reviews) AS total_reviews,
                         (SELECT COUNT(*) FROM reviews WHERE status = 'APPROVED')
                           AS approved_reviews,
                         (SELECT SUM(rating) FROM reviews WHERE status = 'APPROVED')
                           AS rating_sum,
                         (SELECT COUNT(*) FROM users) AS total_users"""
                ),
                {},
            )
        )[0]
        groups = {}
        for column in ("kosher_category", "state", "certifying_agency"):
            rows = await self._rows(
                statement(
                    f"""SELECT {column} AS key, COUNT(*) AS count FROM restaurants
                        WHERE status = 'ACTIVE' AND {column} IS NOT NULL
                        GROUP BY {column} ORDER BY COUNT(*) DESC, {column} ASC"""
                ),
                {},
            )
            groups[column] = tuple((row["key"], int(row["count"])) for row in rows)
        approved = int(counts["approved_reviews"])
        return Statistics(
            total_restaurants=int(counts["total_restaurants"]),
            active_restaurants=int(counts["active_restaurants"]),
            total_reviews=int(counts["total_reviews"]),
            approved_reviews=approved,
            total_users=int(counts["total_users"]),
            average_rating=int(counts["rating_sum"]) / approved if approved else None,
            by_category=tuple(
                (KosherCategory(key), count) for key, count in groups["kosher_category"]
            ),
            by_state=groups["state"],
            by_agency=groups["certifying_agency"],
        )


def _review_integrity_error(exc: IntegrityError) -> DomainError:
    """A concurrent duplicate, or the restaurant deleted meanwhile."""
    return already_reviewed() if violation(exc) is Violation.UNIQUE else restaurant_gone()
