"""The baseline of benchmark 2: a minimal Strawberry app (ParserCache + ValidationCache)
answering the same restaurant page from memory, with nothing else around it.

    python -m bench.baseline --database URL --port P

It loads the ACTIVE restaurants, their newest APPROVED reviews and the authors once at
start-up, and serves the same fields under the same names and GraphQL types (the
contract's enums included) as the gateway, so the same query text gets the same answer
from both and the difference is the gateway's own work.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import strawberry
import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from jewgo.db.engine import create_engine
from jewgo.schema.directory.enums import KosherCategory, RestaurantStatus, ReviewStatus

STORE: dict[str, Any] = {"restaurants": [], "reviews": defaultdict(list), "authors": {}}


@strawberry.type
class PublicUser:
    id: strawberry.ID
    name: str


@strawberry.type
class Review:
    id: strawberry.ID
    rating: int
    title: str | None
    content: str
    status: ReviewStatus
    created_at: datetime
    updated_at: datetime
    author_id: strawberry.Private[int]

    @strawberry.field
    def author(self) -> PublicUser:
        return STORE["authors"][self.author_id]  # type: ignore[no-any-return]


@strawberry.type
class ReviewEdge:
    cursor: str
    node: Review


@strawberry.type
class ReviewConnection:
    edges: list[ReviewEdge]


@strawberry.type
class Restaurant:
    id: strawberry.ID
    name: str
    address: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    phone: str | None
    website: str | None
    kosher_category: KosherCategory
    certifying_agency: str | None
    is_cholov_yisroel: bool
    is_pas_yisroel: bool
    price_range: str | None
    latitude: float | None
    longitude: float | None
    status: RestaurantStatus
    average_rating: float | None
    review_count: int
    distance_km: float | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def reviews(self, first: int = 10) -> ReviewConnection:
        found = STORE["reviews"][int(self.id)][:first]
        return ReviewConnection(edges=[ReviewEdge(cursor=r.id, node=r) for r in found])


@strawberry.type
class RestaurantEdge:
    cursor: str
    node: Restaurant


@strawberry.type
class RestaurantConnection:
    edges: list[RestaurantEdge]


@strawberry.type
class Query:
    @strawberry.field
    def restaurants(self, first: int = 20) -> RestaurantConnection:
        found = STORE["restaurants"][:first]
        return RestaurantConnection(edges=[RestaurantEdge(cursor=r.id, node=r) for r in found])


def _ts(value: Any) -> datetime:
    """SQLite hands text back for timestamps (as UTC), PostgreSQL datetimes."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


async def load(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as conn:
        restaurants = (
            await conn.execute(
                text(
                    """SELECT r.*, s.approved, s.rating_sum FROM restaurants r
                       LEFT JOIN (SELECT restaurant_id, COUNT(*) AS approved,
                                  SUM(rating) AS rating_sum FROM reviews
                                  WHERE status = 'APPROVED' GROUP BY restaurant_id) s
                       ON s.restaurant_id = r.id
                       WHERE r.status = 'ACTIVE' ORDER BY r.name, r.id LIMIT 100"""
                )
            )
        ).mappings()
        for row in restaurants:
            approved = row["approved"] or 0
            STORE["restaurants"].append(
                Restaurant(
                    id=strawberry.ID(str(row["id"])), name=row["name"], address=row["address"],
                    city=row["city"], state=row["state"], zip_code=row["zip_code"],
                    phone=row["phone"], website=row["website"],
                    kosher_category=KosherCategory(row["kosher_category"]),
                    certifying_agency=row["certifying_agency"],
                    is_cholov_yisroel=bool(row["is_cholov_yisroel"]),
                    is_pas_yisroel=bool(row["is_pas_yisroel"]), price_range=row["price_range"],
                    latitude=row["latitude"], longitude=row["longitude"],
                    status=RestaurantStatus(row["status"]),
                    average_rating=row["rating_sum"] / approved if approved else None,
                    review_count=approved, distance_km=None, created_at=_ts(row["created_at"]),
                    updated_at=_ts(row["updated_at"]),
                )
            )  # fmt: skip
        reviews = (
            await conn.execute(
                text(
                    "SELECT * FROM reviews WHERE status = 'APPROVED' "
                    "ORDER BY created_at DESC, id DESC"
                )
            )
        ).mappings()
        for row in reviews:
            STORE["reviews"][row["restaurant_id"]].append(
                Review(
                    id=strawberry.ID(str(row["id"])), rating=row["rating"], title=row["title"],
                    content=row["content"], status=ReviewStatus(row["status"]),
                    created_at=_ts(row["created_at"]), updated_at=_ts(row["updated_at"]),
                    author_id=row["author_id"],
                )
            )  # fmt: skip
        for row in (await conn.execute(text("SELECT id, name FROM users"))).mappings():
            STORE["authors"][row["id"]] = PublicUser(
                id=strawberry.ID(str(row["id"])), name=row["name"]
            )
    await engine.dispose()


def app() -> Starlette:
    schema = strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
    )
    return Starlette(routes=[Route("/graphql", GraphQL(schema)), Route("/health", health)])


async def health(request: Any) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    asyncio.run(load(options.database))
    uvicorn.run(app(), host="127.0.0.1", port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
