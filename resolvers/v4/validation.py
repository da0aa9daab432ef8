"""v4's strict validation (behind `api_v4_validation`): the basic checks, then formats,
ranges, lengths, US state codes, and normalisation of phones, URLs and whitespace.

Every invalid field is reported at once, named as in the contract (`zipCode`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from jewgo.resolvers import validation as basic
from jewgo.resolvers.domain import NewRestaurant, NewReview, RestaurantPatch, ReviewPatch
from jewgo.resolvers.errors import InvalidInput

US_STATES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
        "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
    }
)  # fmt: skip
PRICE_RANGES = frozenset({"$", "$$", "$$$", "$$$$"})
LENGTHS = {
    "name": 200, "address": 300, "city": 100, "certifying_agency": 100, "website": 300,
    "title": 200, "content": 5000,
}  # fmt: skip
_ZIP = re.compile(r"\d{5}(-\d{4})?", re.ASCII)  # not other scripts' digits
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")

Cleaner = Callable[[Any], Any]  # returns the normalised value or raises ValueError(message)


class Checks(Protocol):
    """What a write is checked with: the basic checks, or v4's strict ones."""

    def new_restaurant(self, data: NewRestaurant) -> NewRestaurant: ...

    def restaurant_patch(self, patch: RestaurantPatch) -> RestaurantPatch: ...

    def new_review(self, data: NewReview) -> NewReview: ...

    def review_patch(self, patch: ReviewPatch) -> ReviewPatch: ...


class BasicChecks:
    def new_restaurant(self, data: NewRestaurant) -> NewRestaurant:
        return basic.new_restaurant(data)

    def restaurant_patch(self, patch: RestaurantPatch) -> RestaurantPatch:
        return basic.restaurant_patch(patch)

    def new_review(self, data: NewReview) -> NewReview:
        return basic.new_review(data)

    def review_patch(self, patch: ReviewPatch) -> ReviewPatch:
        return basic.review_patch(patch)


def _text(name: str, *, required: bool = False, fold: bool = True) -> Cleaner:
    """Trimmed (and for one-line fields, inner whitespace folded), bounded in length."""
    limit = LENGTHS[name]

    def clean(value: Any) -> Any:
        if value is None:
            return None
        text = " ".join(str(value).split()) if fold else str(value).strip()
        if not text:
            if required:
                raise ValueError("must not be empty")
            return None
        if len(text) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return text

    return clean


def _state(value: Any) -> Any:
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().upper()
    if code not in US_STATES:
        raise ValueError("must be a US state code such as NY")
    return code


def _zip(value: Any) -> Any:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if not _ZIP.fullmatch(text):
        raise ValueError("must be a ZIP code: 12345 or 12345-6789")
    return text


def _phone(value: Any) -> Any:
    """US numbers in any common spelling, normalised to (AAA) EEE-NNNN."""
    if value is None or not str(value).strip():
        return None
    digits = re.sub(r"\D", "", str(value), flags=re.ASCII)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        raise ValueError("must be a US phone number, e.g. (718) 555-0123")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _website(value: Any) -> Any:
    """An http(s) URL; a bare host gets https://; scheme and host in lower case."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise ValueError("must be a web address") from exc
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(host):
        raise ValueError("must be an http or https address with a host name")
    netloc = host if port is None else f"{host}:{port}"
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    if len(url) > LENGTHS["website"]:
        raise ValueError(f"must be at most {LENGTHS['website']} characters")
    return url


def _price(value: Any) -> Any:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text not in PRICE_RANGES:
        raise ValueError("must be one of $, $$, $$$, $$$$")
    return text


def _between(low: float, high: float) -> Cleaner:
    def clean(value: Any) -> Any:
        if value is None:
            return None
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"must be from {low:g} to {high:g}")
        return value

    return clean


RESTAURANT: dict[str, Cleaner] = {
    "name": _text("name", required=True),
    "address": _text("address"),
    "city": _text("city"),
    "state": _state,
    "zip_code": _zip,
    "phone": _phone,
    "website": _website,
    "certifying_agency": _text("certifying_agency"),
    "price_range": _price,
    "latitude": _between(-90, 90),
    "longitude": _between(-180, 180),
}
REVIEW: dict[str, Cleaner] = {
    "title": _text("title"),
    "content": _text("content", required=True, fold=False),
}


def _cleaned(
    values: Mapping[str, Any], cleaners: Mapping[str, Cleaner]
) -> tuple[dict[str, Any], dict[str, str]]:
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in values.items():
        clean = cleaners.get(name)
        if clean is None:
            cleaned[name] = value
            continue
        try:
            cleaned[name] = clean(value)
        except ValueError as exc:
            problems[basic.camel(name)] = str(exc)
    return cleaned, problems


def _fail(problems: Mapping[str, str]) -> None:
    if problems:
        summary = "; ".join(f"{field}: {message}" for field, message in problems.items())
        raise InvalidInput(f"Invalid input ({summary})", problems)


def _all_problems(check: Callable[[], object]) -> dict[str, str]:
    try:
        check()
    except InvalidInput as exc:
        return dict(exc.fields)
    return {}


class StrictChecks:
    def new_restaurant(self, data: NewRestaurant) -> NewRestaurant:
        values = {f.name: getattr(data, f.name) for f in dataclass_fields(data)}
        cleaned, problems = _cleaned(values, RESTAURANT)
        if (data.latitude is None) != (data.longitude is None):
            for name in ("latitude", "longitude"):
                problems.setdefault(name, "latitude and longitude go together")
        problems = _all_problems(lambda: basic.new_restaurant(data)) | problems
        _fail(problems)
        return replace(data, **cleaned)

    def restaurant_patch(self, patch: RestaurantPatch) -> RestaurantPatch:
        cleaned, problems = _cleaned(patch.fields, RESTAURANT)
        problems = _all_problems(lambda: basic.restaurant_patch(patch)) | problems
        _fail(problems)
        return RestaurantPatch(fields=cleaned)

    def new_review(self, data: NewReview) -> NewReview:
        cleaned, problems = _cleaned({"title": data.title, "content": data.content}, REVIEW)
        problems = _all_problems(lambda: basic.new_review(data)) | problems
        _fail(problems)
        return replace(data, **cleaned)

    def review_patch(self, patch: ReviewPatch) -> ReviewPatch:
        cleaned, problems = _cleaned(patch.fields, REVIEW)
        problems = _all_problems(lambda: basic.review_patch(patch)) | problems
        _fail(problems)
        return ReviewPatch(fields=cleaned)
