"""Why a request is refused before anything runs: a value, not an exception.

The door decides it (`gateway.request.identity`: a bad token, too many requests, a forced
version from a non-admin, the caller not identified; `gateway.request.demand`: too costly,
the cost budget spent) and the context carries it; the RequestGuard answers it, through
the error codes' one mapping (`schema.extensions.errors.error_for`). Nothing is raised
until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from jewgo.resolvers.errors import DomainError


@dataclass(frozen=True, slots=True)
class Refusal:
    # The domain error the refusal stands for: its code comes from the one mapping.
    kind: type[DomainError]
    message: str

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        """The refusal a domain error raised at the door stands for."""
        return cls(type(error), error.message)
