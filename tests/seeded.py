"""What the scale-1 seed contains, computed from the same deterministic dataset."""

from __future__ import annotations

from collections import Counter
from functools import cache

from jewgo.db.seed import Dataset, build


@cache
def dataset() -> Dataset:
    return build(1)


def restaurants_with(status: str) -> int:
    return sum(1 for r in dataset().restaurants if r["status"] == status)


def reviews_with(status: str) -> int:
    return sum(1 for v in dataset().reviews if v["status"] == status)


def active_by_state() -> Counter[str]:
    return Counter(r["state"] for r in dataset().restaurants if r["status"] == "ACTIVE")


def busiest_restaurant() -> int:
    """The restaurant with the most APPROVED reviews."""
    counts = Counter(v["restaurant_id"] for v in dataset().reviews if v["status"] == "APPROVED")
    return int(counts.most_common(1)[0][0])
