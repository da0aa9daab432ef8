"""Per-request DataLoaders: a page of parents loads its children in one statement.

Created per request (a module-level loader would cache across users and requests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from jewgo.resolvers.domain import Author, Restaurant
from jewgo.resolvers.v4.reads import Reads, ReviewHead


class Loaders:
    def __init__(self, reads: Reads) -> None:
        self._reads = reads
        self.restaurant = DataLoader[int, Restaurant | None](self._restaurants)
        self.author = DataLoader[int, Author | None](self._authors)
        self.review_head = DataLoader[tuple[int, int], ReviewHead](self._review_heads)

    def clear(self) -> None:
        """Forget what this request loaded: a write may have changed any of it."""
        for loader in (self.restaurant, self.author, self.review_head):
            loader.clear_all()

    async def _restaurants(self, ids: Sequence[int]) -> list[Restaurant | None]:
        found = await self._reads.restaurants.by_ids(list(ids))
        return [found.get(i) for i in ids]

    async def _authors(self, ids: Sequence[int]) -> list[Author | None]:
        found = await self._reads.users.authors(list(ids))
        return [found.get(i) for i in ids]

    async def _review_heads(self, keys: Sequence[tuple[int, int]]) -> list[ReviewHead]:
        # One statement per distinct page size; a page of parents shares one.
        by_limit: dict[int, list[int]] = defaultdict(list)
        for restaurant_id, limit in keys:
            by_limit[limit].append(restaurant_id)
        heads: dict[tuple[int, int], ReviewHead] = {}
        for limit, ids in by_limit.items():
            found = await self._reads.reviews.approved_heads(ids, limit)
            heads.update({(rid, limit): head for rid, head in found.items()})
        return [heads[key] for key in keys]
