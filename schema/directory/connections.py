"""Relay connections: a page of edges, its page info and its total count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from jewgo.resolvers import domain

T = TypeVar("T")
D = TypeVar("D")


@strawberry.type(description="Relay's page info; pages go forward (first/after).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Whether the page starts after a cursor, i.e. edges come before it."
    )
    _page: strawberry.Private[domain.Page[Any]]

    @strawberry.field
    def end_cursor(self) -> str | None:
        return self._page.end_cursor

    @strawberry.field(description="The cursor of the page's first edge; null when it is empty.")
    def start_cursor(self) -> str | None:
        return self._page.cursor(self._page.items[0]) if self._page.items else None


@strawberry.type
class Edge(Generic[T]):
    node: T
    _item: strawberry.Private[Any]
    _cursor: strawberry.Private[Callable[[Any], str]]

    @strawberry.field
    def cursor(self) -> str:
        """Encoded only when asked for: most pages are read without their cursors."""
        return self._cursor(self._item)


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self._total()

    @classmethod
    def of(
        cls, page: domain.Page[D], node: Callable[[D], T], after: str | None = None
    ) -> Connection[T]:
        """`after`: the cursor the page was asked to start after, if any."""
        cursor = page.cursor
        return cls(
            edges=[Edge(node=node(item), _item=item, _cursor=cursor) for item in page.items],
            page_info=PageInfo(
                has_next_page=page.has_next, has_previous_page=after is not None, _page=page
            ),
            _total=page.total,
        )
