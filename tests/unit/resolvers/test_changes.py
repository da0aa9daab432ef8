"""What a committed write reports as changed, cascades included: one rule per kind of
write, shared by v3 and v4 (the cache invalidates exactly this)."""

from __future__ import annotations

from jewgo.resolvers.ports import Change


def test_a_review_moves_its_restaurants_rating_and_its_authors_count() -> None:
    assert Change.of_review(9, restaurant_id=4, author_id=3) == Change(
        reviews=frozenset({9}), rated=frozenset({4}), authors=frozenset({3})
    )


def test_a_deleted_restaurant_takes_its_reviews_and_their_authors_counts() -> None:
    change = Change.of_deleted_restaurant(4, reviews=[(9, 3), (10, 5), (11, 3)])
    assert change == Change(
        restaurants=frozenset({4}),
        reviews=frozenset({9, 10, 11}),
        rated=frozenset({4}),
        authors=frozenset({3, 5}),
    )


def test_a_deleted_restaurant_without_reviews_is_still_rated_anew() -> None:
    # Its cached rating and review heads must go, whatever it had.
    assert Change.of_deleted_restaurant(4, reviews=[]) == Change(
        restaurants=frozenset({4}), rated=frozenset({4})
    )


def test_a_deleted_user_takes_their_reviews_and_the_ratings_they_gave() -> None:
    change = Change.of_deleted_user(3, reviews=[(9, 4), (12, 7)])
    assert change == Change(
        users=frozenset({3}),
        reviews=frozenset({9, 12}),
        rated=frozenset({4, 7}),
        authors=frozenset({3}),
    )
