"""The seed is deterministic and realistic (SPEC §2)."""

from __future__ import annotations

from collections import Counter

from jewgo.db.seed import ADMIN_EMAIL, MODERATOR_EMAIL, build


def test_the_same_scale_gives_the_same_rows() -> None:
    assert build(1) == build(1)


def test_the_directory_is_big_and_varied_enough() -> None:
    data = build(1)
    assert len(data.restaurants) >= 500
    assert len(data.users) >= 20
    assert len(data.reviews) >= 2000
    assert {v["status"] for v in data.reviews} == {"APPROVED", "PENDING", "REJECTED"}
    assert {r["status"] for r in data.restaurants} == {"ACTIVE", "PENDING", "CLOSED"}
    assert {r["kosher_category"] for r in data.restaurants} == {"MEAT", "DAIRY", "PAREVE"}
    assert len({r["city"] for r in data.restaurants}) >= 30
    agencies = {r["certifying_agency"] for r in data.restaurants}
    assert {"OU", "OK", "Star-K", "KOF-K", "cRc", "ORB"} <= agencies
    roles = {u["email"]: u["role"] for u in data.users}
    assert roles[ADMIN_EMAIL] == "ADMIN" and roles[MODERATOR_EMAIL] == "MODERATOR"
    assert len({u["email"] for u in data.users}) == len(data.users)


def test_one_review_per_user_per_restaurant() -> None:
    pairs = Counter((v["restaurant_id"], v["author_id"]) for v in build(1).reviews)
    assert max(pairs.values()) == 1


def test_scale_multiplies_the_directory() -> None:
    one, three = build(1), build(3)
    assert len(three.restaurants) == 3 * len(one.restaurants)
    assert len(three.users) - 2 == 3 * (len(one.users) - 2)
