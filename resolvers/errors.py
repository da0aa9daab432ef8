"""Domain errors, each carrying the GraphQL `extensions.code` it maps to.

DomainError
├── InvalidInput      BAD_USER_INPUT  (bad values; `fields` names each invalid input field)
├── NotFound          NOT_FOUND
├── Unauthenticated   UNAUTHENTICATED (no valid identity where one is needed)
├── Forbidden         FORBIDDEN       (an identity without the right)
├── Conflict          CONFLICT        (duplicate, or a stale version)
├── RateLimited       RATE_LIMITED    (too many requests from one client)
└── Unavailable       SERVICE_UNAVAILABLE (the database connection was lost: retry)

Anything else raised below the schema is an internal error and is masked.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        # The version whose code raised it ("v3"/"v4"), set by the router.
        self.served_by: str | None = None


class InvalidInput(DomainError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(DomainError):
    code = "NOT_FOUND"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Conflict(DomainError):
    code = "CONFLICT"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


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

    code = "SERVICE_UNAVAILABLE"
