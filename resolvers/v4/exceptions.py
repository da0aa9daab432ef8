"""What v4's write adapters refuse, in the domain's words (the SQL adapter and the
in-memory fake raise the same ones for the same situation):

WriteRefused
├── DuplicateReview   the author has reviewed this restaurant already
│                     (the unique index on restaurant and author)
└── RestaurantGone    the review's restaurant no longer exists (its foreign key)

They are not `resolvers.errors.DomainError`s: the services decide what a caller is told
(`Conflict`, `InvalidInput`), and one that escapes a service is an internal error.
"""

from __future__ import annotations


class WriteRefused(Exception):
    """A write the storage refused because of the data, not because it failed."""


class DuplicateReview(WriteRefused):
    pass


class RestaurantGone(WriteRefused):
    """A review's foreign key found nothing to refer to. The author is the caller, just
    loaded, so the row that vanished is the restaurant's (SQLite's error names no key,
    so the adapters cannot tell the two apart, and do not try)."""
