"""The gateway's inputs built from the hostile pieces of tests/fuzzing.py: filters, writes,
ids, request bodies and documents, as tests/e2e/test_fuzz.py sends them."""

from __future__ import annotations

import random
import re
from typing import Any

from hypothesis import strategies as st

from tests import fuzzing as fz

floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
# Admins meet v4's strict validation and error handling (both flags at TESTING), except
# user 42, made an admin who meets its basic ones: each admin forces a request's version.
STRICT_FOR_ADMINS_BUT_42 = """mutation { promote: updateUserRole(id: "42", role: ADMIN) { role }
  validation: setFlagStage(name: "api_v4_validation", stage: TESTING) { stage }
  errors: setFlagStage(name: "api_v4_error_handling", stage: TESTING) { stage }
  basic: setUserOverride(name: "api_v4_validation", userId: "42", enabled: false) { name }
  plain: setUserOverride(name: "api_v4_error_handling", userId: "42", enabled: false) { name } }"""
VERSIONS = ("v3", "v4", "v4 strict")
versions = st.sampled_from(VERSIONS)
orders = st.sampled_from(["NAME", "RATING", "NEWEST", "DISTANCE"])
# Half the fields plain, so that one field's refusal does not hide what another would do.
field = fz.plain_text | fz.text
restaurant_filter = st.fixed_dictionaries(
    {},
    optional={
        "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE"]),
        "certifyingAgency": field, "city": field, "state": field, "search": field,
        "status": st.sampled_from(["ACTIVE", "PENDING", "CLOSED"]),
        "isCholovYisroel": st.booleans(), "isPasYisroel": st.booleans(), "minRating": floats,
        "near": st.fixed_dictionaries(
            {"latitude": floats, "longitude": floats, "radiusKm": floats}
        ),
    },
)  # fmt: skip
review_filter = st.fixed_dictionaries(
    {},
    optional={"restaurantId": fz.id_text, "authorId": fz.id_text,
              "status": st.sampled_from(["PENDING", "APPROVED", "REJECTED"]),
              "minRating": st.integers(-(2**31), 2**31 - 1)},
)  # fmt: skip
TEXTS = ("address", "city", "state", "zipCode", "phone", "website", "certifyingAgency",
         "priceRange")  # fmt: skip
texts = dict.fromkeys(TEXTS, field)
restaurant_input = st.fixed_dictionaries(
    {"name": field, "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE", "FISH"])},
    optional={**texts, "isCholovYisroel": st.booleans() | st.none(),
              "latitude": floats, "longitude": floats},
)  # fmt: skip
review_input = st.fixed_dictionaries(
    {"restaurantId": st.integers(-3, 600).map(str) | fz.id_text,
     "rating": st.integers(-10, 10) | st.integers(), "content": field},
    optional={"title": field | st.none()},
)  # fmt: skip
COUNTS = "{ statistics { totalRestaurants totalReviews } }"
CREATE = """mutation($i: CreateRestaurantInput!) { createRestaurant(input: $i) { id name phone
  zipCode state priceRange } }"""
NORMAL = {"phone": r"\([2-9][0-9]{2}\) [2-9][0-9]{2}-[0-9]{4}", "zipCode": r"[0-9]{5}(-[0-9]{4})?",
          "state": "[A-Z]{2}", "priceRange": r"\${1,4}"}  # fmt: skip


def normalised(row: dict[str, Any]) -> bool:
    return all(row[k] is None or re.fullmatch(p, row[k]) for k, p in NORMAL.items())


REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { id rating } }"
UPDATES = {
    "updateRestaurant": ("mutation($id: ID!, $i: UpdateRestaurantInput!) "
                         "{ updateRestaurant(id: $id, input: $i) { id } }",
                         st.fixed_dictionaries({}, optional={**texts, "name": field})),
    "updateReview": ("mutation($id: ID!, $i: UpdateReviewInput!) "
                     "{ updateReview(id: $id, input: $i) { id } }",
                     st.fixed_dictionaries({}, optional={"title": field, "content": field,
                                                         "rating": st.integers()})),
    "updateUserRole": ("mutation($id: ID!, $i: Role!) { updateUserRole(id: $id, role: $i) "
                       "{ id } }", st.sampled_from(["USER", "MODERATOR"])),
    "moderateReview": ("mutation($id: ID!, $i: ReviewStatus!) { moderateReview(id: $id, "
                       "status: $i) { id } }", st.sampled_from(["APPROVED", "REJECTED"])),
}  # fmt: skip
# Existing ids too, past the seeded admin, moderator and user (whose roles must stay).
update_ids = st.integers(4, 40).map(str) | fz.id_text

# Request bodies: an envelope with hostile variables and operationName, a bare JSON value,
# a batch; then perhaps bytes that are not UTF-8 somewhere in it.
LIST = """query($f: RestaurantFilter, $o: RestaurantOrder!, $n: Int!, $a: String) {
  restaurants(filter: $f, orderBy: $o, first: $n, after: $a) { totalCount
    pageInfo { endCursor } edges { node { kosherCategory status averageRating distanceKm
    isCholovYisroel } } } }"""
envelope = st.builds(
    lambda query, variables, name: '{"query":' + fz.dumps(query) + ',"variables":' + variables
    + ',"operationName":' + fz.dumps(name) + "}",
    st.sampled_from(["{ __typename }", "query A { __typename }", LIST]) | fz.text,
    fz.json_text | fz.json_text.map(lambda v: '{"f":' + v + ',"n":' + v + "}"),
    fz.text | st.none(),
)  # fmt: skip
plain_bodies = (
    envelope
    | fz.json_text
    | st.lists(envelope, min_size=1, max_size=12).map(lambda items: "[" + ",".join(items) + "]")
).map(lambda body: body.encode("utf-8", "surrogatepass"))
bodies = plain_bodies | plain_bodies.flatmap(fz.corrupted)

literal_documents = st.builds(
    lambda first, rating, city: f"{{ restaurants(first: {first}, filter: {{minRating: {rating}, "
    f"city: {fz.dumps(city)}}}) {{ totalCount }} }}",
    fz.first_literal, fz.huge_number, fz.text,
)  # fmt: skip
documents = fz.fragment_documents() | literal_documents

# Every list and ordering, each with its kind; a real first page tells each list's digest.
PAGE = "query($a: String) {{ {} {{ pageInfo {{ endCursor }} }} }}"
PAGES = {
    "NAME": ("NAME", LIST, {"o": "NAME", "n": 2}),
    "RATING": ("RATING", LIST, {"o": "RATING", "n": 2}),
    "NEWEST": ("NEWEST", LIST, {"o": "NEWEST", "n": 2}),
    "DISTANCE": ("DISTANCE", LIST, {"o": "DISTANCE", "n": 2, "f": {"near": {
        "latitude": 40.9, "longitude": -74.0, "radiusKm": 80}}}),
    "REVIEWS": ("REVIEWS", PAGE.format("reviews(first: 2, after: $a)"), {}),
    "restaurant's REVIEWS": ("REVIEWS", PAGE.format(
        'restaurant(id: "1") { reviews(first: 2, after: $a)') + " }", {}),
    "USERS": ("USERS", PAGE.format("users(first: 2, after: $a)"), {}),
}  # fmt: skip
pages = st.sampled_from(sorted(PAGES)).flatmap(
    lambda page: st.tuples(st.just(page), fz.cursors(PAGES[page][0]) | fz.text)
)

# Issue 10's cases, tried first whatever FUZZ_EXAMPLES is.
KNOWN_CURSORS = [
    ("NAME", fz.Cursor(('"a"', str(2**31)))),
    ("NEWEST", fz.Cursor(('"9999-12-31T23:59:59-14:00"', "1"))),
    ("RATING", fz.Cursor(("1" + "0" * 400, "1"))),
    ("NAME", fz.Cursor(('"a\\u0000"', "1"))),
    ("NAME", fz.Cursor((), framing="deep")),
]
HEX_NAME = random.Random(10).randbytes(1_351).hex()[:2_701]  # incompressible: past a btree row
KNOWN_RESTAURANTS = [
    {"name": HEX_NAME, "kosherCategory": "MEAT"},
    # (718) 555-0123 and 12345 in Arabic-Indic digits.
    {"name": "X", "kosherCategory": "MEAT", "phone": "".join(chr(0x660 + int(d)) for d in
     "7185550123"), "zipCode": "".join(chr(0x660 + int(d)) for d in "12345")},
]  # fmt: skip
DEEP = "[" * 2_000 + "]" * 2_000
KNOWN_BODIES = [
    b'{"query": "{ __typename }", "variables": {"a": ' + DEEP.encode() + b"}}",
    b'{"query": "{ __typename }", "variables": {"n": ' + b"1" * 4_400 + b"}}",
    b'{"query": "{ __typename \xff }"}',
    b'{"query": "query A { __typename }", "operationName": "\\ud800"}',
]
KNOWN_DOCUMENTS = [
    "{ ...F0 }\n" + "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                               for i in range(21)) + "\nfragment F21 on Query { __typename }",
    "{ restaurants(first: 100) { edges { node { reviews(first: 100) { edges { node { restaurant"
    " { ...A } } } } } } } }\nfragment A on Restaurant { "
    + " ".join(f"r{i}: reviews(first: 100) {{ totalCount }}" for i in range(30)) + " }",
    "{ restaurants(first: " + "1" * 4_400 + ") { totalCount } }",
]  # fmt: skip
