"""Errors of flag administration. They carry no GraphQL code: the CLI and the API name
them through `schema.extensions.errors.CODES`, the one mapping.

FlagError              (itself: an internal error)
├── UnknownFlag        no flag of that name (or no rollout of it)
├── InvalidChange      a percentage outside 0 to 100, leaving COMPLETE or skipping a stage
│                      unforced, and the like
├── VersionConflict    expectedVersion is not the flag's version (or it changed meanwhile)
└── PreconditionFailed a rollout that requires a passing replay
"""

from __future__ import annotations


class FlagError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownFlag(FlagError):
    pass


class InvalidChange(FlagError):
    pass


class VersionConflict(FlagError):
    pass


class PreconditionFailed(FlagError):
    pass
