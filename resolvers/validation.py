"""The basic checks both versions always make (SPEC §8): ids, required text, ranges.

v4's stricter validation (formats, lengths, normalisation) lives in resolvers/v4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from jewgo.resolvers.domain import (
    Near,
    NewRestaurant,
    NewReview,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    ReviewFilter,
    ReviewPatch,
    UserFilter,
)
from jewgo.resolvers.errors import InvalidInput

MAX_SEARCH_LENGTH = 200
# Every stored text has a bound both versions enforce, in characters: a name stays within
# PostgreSQL's btree row limit (2,704 bytes) at 4 UTF-8 bytes a character. v4's own bounds
# (resolvers/v4/validation.py) are tighter still.
TEXT_BOUNDS = {
    "name": 500, "address": 500, "city": 200, "state": 100, "zip_code": 100, "phone": 100,
    "website": 2000, "certifying_agency": 200, "price_range": 100,
    "title": 500, "content": 10_000,
}  # fmt: skip
FILTER_TEXT = ("certifying_agency", "city", "state", "search")
RESTAURANT_REQUIRED = ("name", "kosher_category", "is_cholov_yisroel", "is_pas_yisroel", "status")
REVIEW_REQUIRED = ("rating", "content")


def camel(name: str) -> str:
    """The contract's name of an input field (`zip_code` → `zipCode`)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


MAX_ID = 2**31 - 1  # the id columns are 32-bit integers


def parse_id(value: str, field: str = "id") -> int:
    """IDs are decimal integers of the id columns' range; anything else is bad input,
    never a lookup (so both databases answer it alike)."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        raise InvalidInput(f"`{field}` is not a valid ID", {field: "not a valid ID"})
    return int(text)


def storable(text: str) -> bool:
    """Text both databases can hold: no NUL (PostgreSQL's text cannot) and no lone UTF-16
    surrogate (neither can encode one)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_long(values: Mapping[str, Any], bounds: Mapping[str, int]) -> dict[str, str]:
    return {
        camel(name): f"must be at most {bounds[name]} characters"
        for name, value in values.items()
        if name in bounds and isinstance(value, str) and len(value) > bounds[name]
    }


def _fail(problems: Mapping[str, str]) -> None:
    if problems:
        summary = "; ".join(f"{field}: {message}" for field, message in problems.items())
        raise InvalidInput(f"Invalid input ({summary})", problems)


def _rating_problem(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        return "must be an integer from 1 to 5"
    return None


def restaurant_filter(f: RestaurantFilter) -> RestaurantFilter:
    texts = {name: getattr(f, name) for name in FILTER_TEXT}
    problems = _too_long(texts, dict.fromkeys(FILTER_TEXT, MAX_SEARCH_LENGTH))
    if f.min_rating is not None and not 0 <= f.min_rating <= 5:
        problems["minRating"] = "must be from 0 to 5"
    if f.near is not None:
        problems.update(_near_problems(f.near))
    _fail(problems)
    return f


def restaurant_list(where: RestaurantFilter, order: RestaurantOrder) -> RestaurantFilter:
    """A restaurant list's filter, then its order: DISTANCE measures from `filter.near`."""
    where = restaurant_filter(where)
    if order is RestaurantOrder.DISTANCE and where.near is None:
        raise InvalidInput(
            "orderBy DISTANCE needs filter.near", {"orderBy": "DISTANCE needs filter.near"}
        )
    return where


def _near_problems(near: Near) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not -90 <= near.latitude <= 90:
        problems["latitude"] = "must be from -90 to 90"
    if not -180 <= near.longitude <= 180:
        problems["longitude"] = "must be from -180 to 180"
    if not (math.isfinite(near.radius_km) and 0 < near.radius_km <= 20_040):
        problems["radiusKm"] = "must be greater than 0 and at most 20040"
    return problems


def review_filter(f: ReviewFilter) -> ReviewFilter:
    if f.min_rating is not None and (problem := _rating_problem(f.min_rating)):
        _fail({"minRating": problem})
    return f


def user_filter(f: UserFilter) -> UserFilter:
    if f.search is not None and len(f.search) > MAX_SEARCH_LENGTH:
        _fail({"search": f"must be at most {MAX_SEARCH_LENGTH} characters"})
    return f


def new_restaurant(data: NewRestaurant) -> NewRestaurant:
    problems = _too_long(asdict(data), TEXT_BOUNDS)
    if not data.name.strip():
        problems["name"] = "must not be empty"
    _fail(problems)
    return data


def restaurant_patch(patch: RestaurantPatch) -> RestaurantPatch:
    problems = _too_long(patch.fields, TEXT_BOUNDS)
    problems.update(
        (camel(name), "cannot be null")
        for name in RESTAURANT_REQUIRED
        if name in patch.fields and patch.fields[name] is None
    )
    name = patch.fields.get("name")
    if isinstance(name, str) and not name.strip():
        problems["name"] = "must not be empty"
    _fail(problems)
    return patch


def new_review(data: NewReview) -> NewReview:
    problems = _too_long(asdict(data), TEXT_BOUNDS)
    if problem := _rating_problem(data.rating):
        problems["rating"] = problem
    if not data.content.strip():
        problems["content"] = "must not be empty"
    _fail(problems)
    return data


def review_patch(patch: ReviewPatch) -> ReviewPatch:
    problems = _too_long(patch.fields, TEXT_BOUNDS)
    problems.update(
        (name, "cannot be null")
        for name in REVIEW_REQUIRED
        if name in patch.fields and patch.fields[name] is None
    )
    if patch.fields.get("rating") is not None and (
        problem := _rating_problem(patch.fields["rating"])
    ):
        problems["rating"] = problem
    content = patch.fields.get("content")
    if isinstance(content, str) and not content.strip():
        problems["content"] = "must not be empty"
    _fail(problems)
    return patch


def escape_like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, case-folded, with `\\` as the escape."""
    folded = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"
