"""The operation registry in the schema: what the gateway has run, for ADMINs."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import strawberry

from jewgo.flags.stages import DOMAIN_FLAGS
from jewgo.resolvers import policy
from jewgo.resolvers.errors import InvalidInput
from jewgo.schema.context import Info

MAX_LISTED = 500
_HASH = re.compile(r"[0-9a-f]{64}")


@strawberry.enum(name="OperationKind")
class OperationKind(StrEnum):
    QUERY = "query"
    MUTATION = "mutation"
    SUBSCRIPTION = "subscription"


@strawberry.type(description="A document the gateway has run or was given by an import.")
class PersistedOperation:
    id: strawberry.ID = strawberry.field(
        description="The SHA-256 of the document: its persisted-query hash."
    )
    name: str | None
    kind: OperationKind
    document: str
    first_seen: datetime
    last_seen: datetime
    count: int = strawberry.field(description="Runs counted so far (imports start at 0).")


@strawberry.type
class OperationsQuery:
    @strawberry.field(description="ADMIN only. The operation registry by id, after `after`.")
    async def operations(
        self,
        info: Info,
        first: int = 50,
        after: strawberry.ID | None = None,
        kind: OperationKind | None = None,
    ) -> list[PersistedOperation]:
        policy.admin(info.context.viewer)
        if not 0 <= first <= MAX_LISTED:
            raise InvalidInput(
                f"`first` must be between 0 and {MAX_LISTED}", {"first": "out of range"}
            )
        if after is not None and not _HASH.fullmatch(str(after)):
            raise InvalidInput("`after` must be an operation id", {"after": "not an id"})
        found = await info.context.app.operations.listing(
            first, str(after) if after is not None else None, kind.value if kind else None
        )
        return [
            PersistedOperation(
                id=strawberry.ID(op.hash),
                name=op.name,
                kind=OperationKind(op.type),
                document=op.document,
                first_seen=op.first_seen,
                last_seen=op.last_seen,
                count=op.count,
            )
            for op in found
        ]


@strawberry.type(description="How much of what clients run a domain's v4 is shown to serve.")
class FlagCoverage:
    flag: str
    known_operations: int = strawberry.field(
        description="Registered operations that reach the flag's domain (seen in traffic or "
        "a replay)."
    )
    clean_operations: int = strawberry.field(
        description="Of those, the ones whose latest comparison of v3 and v4 (the shadow, "
        "or `jewgo replay`) matched."
    )
    not_clean: list[str] = strawberry.field(
        description="The others (names, else hash prefixes), most run first, at most 20."
    )


async def coverage(info: Info) -> list[FlagCoverage]:
    found = []
    for domain, flag in DOMAIN_FLAGS.items():
        figures = await info.context.app.operations.coverage_of(domain)
        found.append(
            FlagCoverage(
                flag=flag, known_operations=figures.known, clean_operations=figures.clean,
                not_clean=list(figures.not_clean),
            )
        )  # fmt: skip
    return found
