"""The unit of work port: one transaction and the write ports bound to it, rolled back
unless committed (`sql.SqlUnitOfWork` on the database, `memory.MemoryUnitOfWork` on a
draft of the fake's store)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from jewgo.resolvers.v4.writes import RestaurantWrites, ReviewWrites, UserWrites


class UnitOfWork(Protocol):
    @property
    def restaurants(self) -> RestaurantWrites: ...

    @property
    def reviews(self) -> ReviewWrites: ...

    @property
    def users(self) -> UserWrites: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...
