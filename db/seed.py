"""Deterministic, realistic seed data: the same rows for the same scale, on every machine.

`build(scale)` is pure and returns plain rows; `load(engine, scale)` replaces the
directory's rows with them. At scale 1: 524 restaurants in 39 US cities with kosher
communities, 42 users (an ADMIN, a MODERATOR and 40 ordinary users) and about 3,000
reviews in every status. `--scale N` multiplies restaurants and users.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import RestaurantRow, ReviewRow, UserRow

ADMIN_EMAIL = "admin@example.com"
MODERATOR_EMAIL = "moderator@example.com"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SEED = 5786  # the Hebrew year the directory opened

Row = dict[str, Any]


@dataclass
class Dataset:
    users: list[Row] = field(default_factory=list)
    restaurants: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)


def _source() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (files("jewgo.db") / "seed_data" / "directory.json").read_text(encoding="utf-8")
    )
    return data


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower().replace("&", "and"))


def _at(rng: random.Random, start: datetime, days: int) -> datetime:
    return start + timedelta(seconds=rng.randrange(days * 86_400))


def build(scale: int = 1) -> Dataset:
    """The rows for `scale`; identical for identical input."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    src = _source()
    rng = random.Random(SEED * 1000 + scale)
    data = Dataset()
    _build_users(data, src, rng, scale)
    _build_restaurants(data, src, rng, scale)
    _build_reviews(data, src, rng)
    return data


def _build_users(data: Dataset, src: dict[str, Any], rng: random.Random, scale: int) -> None:
    staff = [
        (ADMIN_EMAIL, "Avi Admin", "ADMIN"),
        (MODERATOR_EMAIL, "Miriam Moderator", "MODERATOR"),
    ]
    for email, name, role in staff:
        created = EPOCH - timedelta(days=30)
        data.users.append(
            {
                "id": len(data.users) + 1,
                "email": email,
                "name": name,
                "role": role,
                "created_at": created,
                "updated_at": created,
            }
        )
    first, last = src["people"]["first"], src["people"]["last"]
    seen: set[str] = set()
    while len(data.users) < 2 + 40 * scale:
        name = f"{rng.choice(first)} {rng.choice(last)}"
        local = name.lower().replace(" ", ".")
        number = 1
        while f"{local}{number if number > 1 else ''}" in seen:
            number += 1
        local = f"{local}{number if number > 1 else ''}"
        seen.add(local)
        created = _at(rng, EPOCH, 600)
        data.users.append(
            {
                "id": len(data.users) + 1,
                "email": f"{local}@example.com",
                "name": name,
                "role": "USER",
                "created_at": created,
                "updated_at": created,
            }
        )


def _restaurant_name(src: dict[str, Any], rng: random.Random, category: str) -> str:
    kinds = src["names"][category]
    if rng.random() < 0.35:
        return f"{rng.choice(src['names']['owners'])} {rng.choice(kinds)}"
    return f"{rng.choice(src['names']['prefixes'])} {rng.choice(kinds)}"


def _build_restaurants(data: Dataset, src: dict[str, Any], rng: random.Random, scale: int) -> None:
    categories = ["MEAT", "DAIRY", "PAREVE"]
    for city in src["cities"]:
        agencies = src["nationalAgencies"] + city["localAgencies"]
        for _ in range(city["weight"] * scale):
            category = rng.choices(categories, weights=[45, 35, 20])[0]
            name = _restaurant_name(src, rng, category)
            created = _at(rng, EPOCH, 540)
            status = rng.choices(["ACTIVE", "PENDING", "CLOSED"], weights=[90, 6, 4])[0]
            located = rng.random() < 0.97
            data.restaurants.append(
                {
                    "id": len(data.restaurants) + 1,
                    "name": name,
                    "address": f"{rng.randrange(10, 2999)} {rng.choice(city['streets'])}",
                    "city": city["city"],
                    "state": city["state"],
                    "zip_code": rng.choice(city["zips"]),
                    "phone": f"({city['areaCode']}) 555-01{rng.randrange(100):02d}",
                    "website": (
                        f"https://www.{_slug(name)}.example" if rng.random() < 0.7 else None
                    ),
                    "kosher_category": category,
                    "certifying_agency": (rng.choice(agencies) if rng.random() < 0.96 else None),
                    "is_cholov_yisroel": category == "DAIRY" and rng.random() < 0.6,
                    "is_pas_yisroel": rng.random() < 0.4,
                    "price_range": rng.choices(["$", "$$", "$$$", "$$$$"], [25, 45, 22, 8])[0],
                    "latitude": (
                        round(city["latitude"] + rng.uniform(-0.03, 0.03), 6) if located else None
                    ),
                    "longitude": (
                        round(city["longitude"] + rng.uniform(-0.03, 0.03), 6) if located else None
                    ),
                    "status": status,
                    "created_by": None,
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randrange(0, 30)),
                }
            )


def _build_reviews(data: Dataset, src: dict[str, Any], rng: random.Random) -> None:
    texts = src["reviews"]
    authors = [user["id"] for user in data.users if user["role"] == "USER"]
    last_day = EPOCH + timedelta(days=700)
    for restaurant in data.restaurants:
        if restaurant["status"] == "PENDING":
            continue
        # A long tail: a few places with many reviews, some with none.
        count = min(len(authors), int(rng.paretovariate(1.5) * 3.2) - 1)
        quality = rng.uniform(2.2, 4.9)
        for author in rng.sample(authors, max(0, count)):
            rating = max(1, min(5, round(rng.gauss(quality, 0.9))))
            key = str(rating)
            sentences = [
                rng.choice(texts["openers"][key]),
                rng.choice(texts["details"][restaurant["kosher_category"]]),
                rng.choice(texts["closers"]),
            ]
            span = max(1, (last_day - restaurant["created_at"]).days)
            created = _at(rng, restaurant["created_at"], span)
            data.reviews.append(
                {
                    "id": len(data.reviews) + 1,
                    "restaurant_id": restaurant["id"],
                    "author_id": author,
                    "rating": rating,
                    "title": rng.choice(texts["titles"][key]) if rng.random() < 0.85 else None,
                    "content": " ".join(s for s in sentences if s),
                    "status": rng.choices(["APPROVED", "PENDING", "REJECTED"], weights=[82, 11, 7])[
                        0
                    ],
                    "created_at": created,
                    "updated_at": created,
                }
            )


async def load(engine: AsyncEngine, scale: int = 1) -> Dataset:
    """Replace every user, restaurant and review with the dataset for `scale`."""
    data = build(scale)
    async with engine.begin() as conn:
        await conn.execute(delete(ReviewRow))
        await conn.execute(delete(RestaurantRow))
        await conn.execute(delete(UserRow))
        for model, rows in (
            (UserRow, data.users),
            (RestaurantRow, data.restaurants),
            (ReviewRow, data.reviews),
        ):
            for start in range(0, len(rows), 2000):
                await conn.execute(insert(model), rows[start : start + 2000])
        if conn.dialect.name == "postgresql":
            for table in ("users", "restaurants", "reviews"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
    return data


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(UserRow))
    return not count
