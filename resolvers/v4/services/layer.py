"""The v4 service layer: business rules over the read ports, a unit of work per write.

One service per domain (`restaurant_service`, `review_service`, `user_service`,
`statistics_service`), assembled for each request by `backend.V4Backend`; this module
holds what they share. Services take their dependencies as arguments; permission rules
come from `resolvers.policy` and basic checks from `resolvers.validation`, as in v3.
What only a write can find out (a duplicate, a vanished restaurant) comes back from the
write ports as `v4.exceptions`, which the services turn into what the caller is told.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jewgo.resolvers import pagination
from jewgo.resolvers.ports import Change, ChangeSink
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.reads import Reads
from jewgo.resolvers.v4.unit_of_work import UnitOfWork
from jewgo.resolvers.v4.validation import Checks

UnitOfWorkFactory = Callable[[], UnitOfWork]


def decoded(after: str | None, kind: str, scope: str) -> tuple[Any, ...] | None:
    return pagination.decode(after, kind, scope) if after is not None else None


class Service:
    """The dependencies every domain's service takes, and what follows each write."""

    def __init__(
        self,
        reads: Reads,
        uow: UnitOfWorkFactory,
        loaders: Loaders,
        changes: ChangeSink,
        checks: Checks,
    ) -> None:
        self._reads = reads
        self._uow = uow
        self._loaders = loaders
        self._changes = changes
        self._checks = checks

    async def _written(self, change: Change) -> None:
        """After a commit: the cache forgets what changed, and so does this request."""
        await self._changes.changed(change)
        self._loaders.clear()
