"""The basic checks both versions make, field by field."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.resolvers import validation
from jewgo.resolvers.domain import (
    KosherCategory,
    Near,
    NewRestaurant,
    NewReview,
    RestaurantFilter,
    RestaurantOrder,
    RestaurantPatch,
    ReviewFilter,
    ReviewPatch,
)
from jewgo.resolvers.errors import InvalidInput


def fields_of(check: Any, value: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check(value)
    return caught.value.fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 12 ", 12), ("0", 0)],
)
def test_ids_are_decimal_integers(value: str, expected: int) -> None:
    assert validation.parse_id(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "١٢", "9" * 19, "0x10"])
def test_anything_else_is_not_an_id(value: str) -> None:
    assert fields_of(lambda v: validation.parse_id(v, "restaurantId"), value) == {
        "restaurantId": "not a valid ID"
    }


def test_a_new_review_reports_every_invalid_field_at_once() -> None:
    assert set(fields_of(validation.new_review, NewReview(1, rating=9, content=" "))) == {
        "rating",
        "content",
    }
    assert validation.new_review(NewReview(1, rating=5, content="ok")).rating == 5


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"rating": None}, {"rating"}),
        ({"content": None}, {"content"}),
        ({"content": ""}, {"content"}),
        ({"rating": 0, "content": None}, {"rating", "content"}),
    ],
)
def test_a_review_patch_keeps_required_fields(patch: dict[str, Any], fields: set[str]) -> None:
    assert set(fields_of(validation.review_patch, ReviewPatch(patch))) == fields


def test_a_review_patch_may_clear_the_title() -> None:
    assert validation.review_patch(ReviewPatch({"title": None})).fields == {"title": None}


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"name": None}, {"name"}),
        ({"name": "  "}, {"name"}),
        ({"kosher_category": None, "is_pas_yisroel": None}, {"kosherCategory", "isPasYisroel"}),
        ({"status": None}, {"status"}),
    ],
)
def test_a_restaurant_patch_keeps_required_fields(patch: dict[str, Any], fields: set[str]) -> None:
    assert set(fields_of(validation.restaurant_patch, RestaurantPatch(patch))) == fields


def test_a_restaurant_patch_may_clear_optional_fields() -> None:
    patch = RestaurantPatch({"phone": None, "city": "Lakewood"})
    assert validation.restaurant_patch(patch) == patch


def test_a_new_restaurant_needs_a_name() -> None:
    empty = NewRestaurant(name=" ", kosher_category=KosherCategory.MEAT)
    assert fields_of(validation.new_restaurant, empty) == {"name": "must not be empty"}


@pytest.mark.parametrize(
    ("where", "fields"),
    [
        (RestaurantFilter(min_rating=5.5), {"minRating"}),
        (RestaurantFilter(search="x" * 201), {"search"}),
        (RestaurantFilter(city="x" * 201, state="y" * 201), {"city", "state"}),
        (RestaurantFilter(certifying_agency="x" * 900_000), {"certifyingAgency"}),
        (RestaurantFilter(near=Near(100, 0, 5)), {"latitude"}),
        (RestaurantFilter(near=Near(0, 200, 5)), {"longitude"}),
        (RestaurantFilter(near=Near(0, 0, 0)), {"radiusKm"}),
        (RestaurantFilter(near=Near(0, 0, float("inf"))), {"radiusKm"}),
    ],
)
def test_restaurant_filters_are_checked(where: RestaurantFilter, fields: set[str]) -> None:
    assert set(fields_of(validation.restaurant_filter, where)) == fields


def test_review_filter_rating_is_one_to_five() -> None:
    assert set(fields_of(validation.review_filter, ReviewFilter(min_rating=6))) == {"minRating"}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [("Grill", "%grill%"), ("100%", "%100\\%%"), ("a_b", "%a\\_b%"), ("c:\\x", "%c:\\\\x%")],
)
def test_like_patterns_match_literally(text: str, pattern: str) -> None:
    assert validation.escape_like(text) == pattern


@pytest.mark.parametrize(
    ("name", "camel"),
    [("zip_code", "zipCode"), ("is_pas_yisroel", "isPasYisroel"), ("name", "name")],
)
def test_field_names_are_reported_as_in_the_contract(name: str, camel: str) -> None:
    assert validation.camel(name) == camel


NEAR = Near(40.0, -74.0, 10)


@pytest.mark.parametrize(
    ("where", "order"),
    [
        (RestaurantFilter(near=NEAR), RestaurantOrder.DISTANCE),
        *((RestaurantFilter(), order) for order in RestaurantOrder if order.value != "DISTANCE"),
    ],
    ids=repr,
)
def test_a_restaurant_list_is_ordered_by_what_it_has(
    where: RestaurantFilter, order: RestaurantOrder
) -> None:
    assert validation.restaurant_list(where, order) == where


def test_ordering_by_distance_needs_a_point_to_measure_from() -> None:
    with pytest.raises(InvalidInput) as caught:
        validation.restaurant_list(RestaurantFilter(), RestaurantOrder.DISTANCE)
    assert caught.value.message == "orderBy DISTANCE needs filter.near"
    assert caught.value.fields == {"orderBy": "DISTANCE needs filter.near"}


def test_the_filter_is_checked_before_the_order() -> None:
    bad = RestaurantFilter(min_rating=9)
    assert fields_of(lambda w: validation.restaurant_list(w, RestaurantOrder.DISTANCE), bad) == {
        "minRating": "must be from 0 to 5"
    }


LONG = {name: "x" * (bound + 1) for name, bound in validation.TEXT_BOUNDS.items()}
RESTAURANT_TEXT = ("name", "address", "city", "state", "zip_code", "phone", "website",
                   "certifying_agency", "price_range")  # fmt: skip


def test_every_text_of_a_new_restaurant_is_bounded() -> None:
    texts: dict[str, Any] = {name: LONG[name] for name in RESTAURANT_TEXT}
    data = NewRestaurant(kosher_category=KosherCategory.MEAT, **texts)
    found = fields_of(validation.new_restaurant, data)
    assert set(found) == {validation.camel(name) for name in RESTAURANT_TEXT}
    assert found["name"] == "must be at most 500 characters"


def test_a_name_at_its_bound_fits_the_name_index_in_any_script() -> None:
    # PostgreSQL's btree rows hold at most 2,704 bytes; 4-byte characters at the bound fit.
    assert len(("\U0001f355" * validation.TEXT_BOUNDS["name"]).encode()) < 2704
    at_bound = NewRestaurant(name="ש" * 500, kosher_category=KosherCategory.MEAT)
    assert validation.new_restaurant(at_bound) is at_bound


def test_every_text_of_a_restaurant_patch_is_bounded() -> None:
    patch = RestaurantPatch({name: LONG[name] for name in RESTAURANT_TEXT})
    assert set(fields_of(validation.restaurant_patch, patch)) == {
        validation.camel(name) for name in RESTAURANT_TEXT
    }


def test_every_text_of_a_review_is_bounded() -> None:
    review = NewReview(restaurant_id=1, rating=5, content=LONG["content"], title=LONG["title"])
    assert set(fields_of(validation.new_review, review)) == {"content", "title"}
    patch = ReviewPatch({"content": LONG["content"], "title": LONG["title"]})
    assert set(fields_of(validation.review_patch, patch)) == {"content", "title"}
