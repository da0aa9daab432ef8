"""Errors of flag administration, each with the GraphQL code it maps to.

FlagError
├── UnknownFlag        NOT_FOUND
├── InvalidChange      BAD_USER_INPUT  (a percentage outside 0 to 100, leaving COMPLETE or
│                                       skipping a stage unforced)
├── VersionConflict    CONFLICT        (expectedVersion is not the flag's version)
└── PreconditionFailed FAILED_PRECONDITION (a rollout that requires a passing replay)
"""

from __future__ import annotations


class FlagError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownFlag(FlagError):
    code = "NOT_FOUND"


class InvalidChange(FlagError):
    code = "BAD_USER_INPUT"


class VersionConflict(FlagError):
    code = "CONFLICT"


class PreconditionFailed(FlagError):
    code = "FAILED_PRECONDITION"
