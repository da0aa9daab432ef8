"""The domain part of Query: every field asks the router for its domain's version."""

from __future__ import annotations

import strawberry

from jewgo.resolvers.pagination import page_args
from jewgo.resolvers.validation import parse_id
from jewgo.schema.context import Info
from jewgo.schema.directory.connections import Connection
from jewgo.schema.directory.enums import RestaurantOrder
from jewgo.schema.directory.inputs import RestaurantFilter, ReviewFilter, UserFilter
from jewgo.schema.directory.types import Restaurant, Review, Statistics, User


@strawberry.type
class DirectoryQuery:
    @strawberry.field
    async def restaurants(
        self,
        info: Info,
        filter: RestaurantFilter | None = None,
        order_by: RestaurantOrder = RestaurantOrder.NAME,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Restaurant]:
        where = (filter or RestaurantFilter()).to_domain()
        page = page_args(first, after, max_size=info.context.app.max_page_size)
        found = await info.context.router.restaurants().restaurant_list(where, order_by, page)
        connection = Connection.of(found, Restaurant.of, after)
        await Restaurant.look_ahead(info, [edge.node for edge in connection.edges])
        return connection

    @strawberry.field
    async def restaurant(self, info: Info, id: strawberry.ID) -> Restaurant | None:
        found = await info.context.router.restaurants().restaurant(parse_id(id))
        return Restaurant.of(found) if found is not None else None

    @strawberry.field
    async def reviews(
        self,
        info: Info,
        filter: ReviewFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Review]:
        where = (filter or ReviewFilter()).to_domain()
        page = page_args(first, after, max_size=info.context.app.max_page_size)
        found = await info.context.router.reviews().review_list(info.context.viewer, where, page)
        return Connection.of(found, Review.of, after)

    @strawberry.field
    async def review(self, info: Info, id: strawberry.ID) -> Review | None:
        found = await info.context.router.reviews().review(info.context.viewer, parse_id(id))
        return Review.of(found) if found is not None else None

    @strawberry.field(description="ADMIN only.")
    async def users(
        self,
        info: Info,
        filter: UserFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[User]:
        where = (filter or UserFilter()).to_domain()
        page = page_args(first, after, max_size=info.context.app.max_page_size)
        found = await info.context.router.users().user_list(info.context.viewer, where, page)
        return Connection.of(found, User.of, after)

    @strawberry.field(description="ADMIN only.")
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found = await info.context.router.users().user(info.context.viewer, parse_id(id))
        return User.of(found) if found is not None else None

    @strawberry.field(description="The caller; null when anonymous.")
    async def me(self, info: Info) -> User | None:
        found = await info.context.router.users().me(info.context.viewer)
        return User.of(found) if found is not None else None

    @strawberry.field
    async def statistics(self, info: Info) -> Statistics:
        return Statistics.of(await info.context.router.statistics().summary())
