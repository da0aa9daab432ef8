"""v4's strict checks: formats, ranges, lengths, normalisation; every problem at once."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jewgo.resolvers.domain import KosherCategory, NewRestaurant, NewReview, RestaurantPatch
from jewgo.resolvers.errors import InvalidInput
from jewgo.resolvers.v4.validation import StrictChecks

CHECKS = StrictChecks()


def restaurant(**values: Any) -> NewRestaurant:
    return NewRestaurant(**({"name": "Sababa", "kosher_category": KosherCategory.MEAT} | values))


@pytest.mark.parametrize(
    ("field", "given", "stored"),
    [
        ("phone", "718-555-0123", "(718) 555-0123"),
        ("phone", "+1 (212) 555 0199", "(212) 555-0199"),
        ("website", "Sababa.Example", "https://sababa.example"),
        ("website", "http://www.Sababa.example:8080/menu?x=1", "http://www.sababa.example:8080/menu?x=1"),
        ("state", " ny ", "NY"),
        ("zip_code", "11230-1234", "11230-1234"),
        ("city", "  New   York ", "New York"),
        ("price_range", "$$", "$$"),
        ("address", "", None),
    ],
)  # fmt: skip
def test_normalisation(field: str, given: str, stored: str | None) -> None:
    assert getattr(CHECKS.new_restaurant(restaurant(**{field: given})), field) == stored


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"phone": "555-0123"}, {"phone"}),
        ({"phone": "(018) 555-0123"}, {"phone"}),
        ({"website": "javascript:alert(1)"}, {"website"}),
        ({"website": "https://localhost"}, {"website"}),
        ({"state": "XX"}, {"state"}),
        ({"zip_code": "ABCDE"}, {"zipCode"}),
        # Digits of other scripts are no US ZIP code or phone (a str pattern's \d takes them).
        ({"zip_code": "\u0661\u0662\u0663\u0664\u0665"}, {"zipCode"}),
        ({"zip_code": "\uff11\uff12\uff13\uff14\uff15"}, {"zipCode"}),
        ({"phone": "\u0667\u0661\u0668\u0665\u0665\u0665\u0660\u0661\u0662\u0663"}, {"phone"}),
        ({"latitude": 40.0}, {"latitude", "longitude"}),
        ({"latitude": 40.0, "longitude": 181.0}, {"longitude"}),
        ({"name": "x" * 201, "city": "y" * 101}, {"name", "city"}),
        ({"price_range": "$$$$$"}, {"priceRange"}),
        ({"name": "  "}, {"name"}),
    ],
)
def test_every_invalid_field_is_reported(values: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        CHECKS.new_restaurant(restaurant(**values))
    assert set(caught.value.fields) == fields


def test_a_patch_is_checked_field_by_field() -> None:
    patch = CHECKS.restaurant_patch(RestaurantPatch({"phone": "2015550100", "city": None}))
    assert patch.fields == {"phone": "(201) 555-0100", "city": None}
    with pytest.raises(InvalidInput) as caught:
        CHECKS.restaurant_patch(RestaurantPatch({"name": None, "state": "ZZ"}))
    assert set(caught.value.fields) == {"name", "state"}


def test_reviews_are_trimmed_but_keep_their_lines() -> None:
    review = CHECKS.new_review(NewReview(1, 4, "  Line one.\n\nLine two. ", "  A  title "))
    assert (review.content, review.title) == ("Line one.\n\nLine two.", "A title")
    with pytest.raises(InvalidInput) as caught:
        CHECKS.new_review(NewReview(1, 9, "x" * 5001))
    assert set(caught.value.fields) == {"rating", "content"}


@given(st.text(max_size=40))
def test_any_phone_is_either_normalised_or_refused(text: str) -> None:
    try:
        phone = CHECKS.new_restaurant(restaurant(phone=text)).phone
    except InvalidInput as exc:
        assert set(exc.fields) == {"phone"}
        return
    assert phone is None or (len(phone) == 14 and phone[0] == "(" and phone[9] == "-")
