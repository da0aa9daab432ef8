"""Domain errors: what a caller is told went wrong, in the domain's words. They carry no
GraphQL code: `schema.extensions.errors.CODES` is the one mapping to `extensions.code`.

DomainError           (itself: an internal error, masked)
├── InvalidInput      bad values; `fields` names each invalid input field
├── NotFound          no such thing
├── Unauthenticated   no valid identity where one is needed
├── Forbidden         an identity without the right
├── Conflict          a duplicate, or a stale version
├── RateLimited       too many requests from one client
├── QueryTooCostly    a request estimated over the cost limit (refused at the door)
└── Unavailable       the database connection was lost: retry

Anything else raised below the schema is an internal error and is masked.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(DomainError):
    pass


class Unauthenticated(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Conflict(DomainError):
    pass


class RateLimited(DomainError):
    pass


class QueryTooCostly(DomainError):
    """Over MAX_QUERY_COST (`gateway.request.demand`): refused before anything runs."""


# Refusals that v3 and v4 word alike (the equivalence tests compare their errors).


def already_reviewed() -> Conflict:
    """One review per author and restaurant."""
    return Conflict("You have already reviewed this restaurant")


def restaurant_gone() -> InvalidInput:
    """The restaurant of a new review was deleted while the review was being written."""
    return InvalidInput("The restaurant no longer exists", {"restaurantId": "no such restaurant"})


class Unavailable(DomainError):
    """The database went away under the request (a restart, a terminated backend): nobody's
    mistake and neither version's fault. Reads already retried once; a write may or may not
    have committed before the connection was lost, so the client retries it (a duplicate
    review is then a CONFLICT, not a second row)."""
