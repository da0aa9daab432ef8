"""The directory's statistics in v4: no rule beyond reading them."""

from __future__ import annotations

from jewgo.resolvers.domain import Statistics
from jewgo.resolvers.v4.reads import Reads


class StatisticsService:
    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    async def summary(self) -> Statistics:
        return await self._reads.statistics.summary()
