"""Per-request DataLoaders: a page of parents loads its children in one statement.

Created per request (a module-level loader would cache across users and requests). The
batching loader itself comes from above the resolvers (`gateway.request.context` passes
Strawberry's `DataLoader`), so nothing here depends on the GraphQL library: `Loader` is
what the services use of one, `LoaderFactory` how one is made from a batch function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
from typing import Protocol, TypeVar

from jewgo.resolvers.domain import Author, Restaurant
from jewgo.resolvers.v4.reads import Reads, ReviewHead

K = TypeVar("K")
K_contra = TypeVar("K_contra", contravariant=True)
V = TypeVar("V")


class Loader(Protocol[K_contra, V]):
    """Batches the `load`s of one tick into one call of its batch function, and keeps
    what it loaded until cleared."""

    def load(self, key: K_contra) -> Awaitable[V]: ...

    def load_many(self, keys: Iterable[K_contra]) -> Awaitable[list[V]]: ...

    def prime(self, key: K_contra, value: V, force: bool = False) -> None: ...

    def clear_all(self) -> None: ...


class LoaderFactory(Protocol):
    def __call__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> Loader[K, V]: ...


_LOADERS = ("restaurant", "author", "review_head")


class Loaders:
    """The request's loaders, each made on first use."""

    def __init__(self, reads: Reads, batched: LoaderFactory) -> None:
        self._reads = reads
        self._batched = batched

    @cached_property
    def restaurant(self) -> Loader[int, Restaurant | None]:
        return self._batched(self._restaurants)

    @cached_property
    def author(self) -> Loader[int, Author | None]:
        return self._batched(self._authors)

    @cached_property
    def review_head(self) -> Loader[tuple[int, int], ReviewHead]:
        return self._batched(self._review_heads)

    def clear(self) -> None:
        """Forget what this request loaded: a write may have changed any of it."""
        made = vars(self)
        for name in _LOADERS:
            loader = made.get(name)
            if loader is not None:
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
