"""The gateway's inputs built from the hostile pieces of tests/fuzzing.py: filters, writes,
ids, request bodies and documents, as tests/e2e/test_fuzz.py sends them."""

from __future__ import annotations

from hypothesis import strategies as st

from tests import fuzzing as fz

floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
versions = st.sampled_from(["v3", "v4"])
orders = st.sampled_from(["NAME", "RATING", "NEWEST", "DISTANCE"])
restaurant_filter = st.fixed_dictionaries(
    {},
    optional={
        "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE"]),
        "certifyingAgency": fz.text, "city": fz.text, "state": fz.text, "search": fz.text,
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
texts = dict.fromkeys(TEXTS, fz.text)
restaurant_input = st.fixed_dictionaries(
    {"name": fz.text, "kosherCategory": st.sampled_from(["MEAT", "DAIRY", "PAREVE", "FISH"])},
    optional={**texts, "isCholovYisroel": st.booleans() | st.none(),
              "latitude": floats, "longitude": floats},
)  # fmt: skip
review_input = st.fixed_dictionaries(
    {"restaurantId": st.integers(-3, 600).map(str) | fz.id_text,
     "rating": st.integers(-10, 10) | st.integers(), "content": fz.text},
    optional={"title": fz.text | st.none()},
)  # fmt: skip
UPDATES = {
    "updateRestaurant": ("mutation($id: ID!, $i: UpdateRestaurantInput!) "
                         "{ updateRestaurant(id: $id, input: $i) { id } }",
                         st.fixed_dictionaries({}, optional={**texts, "name": fz.text})),
    "updateReview": ("mutation($id: ID!, $i: UpdateReviewInput!) "
                     "{ updateReview(id: $id, input: $i) { id } }",
                     st.fixed_dictionaries({}, optional={"title": fz.text, "content": fz.text,
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
