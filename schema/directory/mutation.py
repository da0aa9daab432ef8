"""The domain part of Mutation."""

from __future__ import annotations

import strawberry

from jewgo.resolvers.validation import parse_id
from jewgo.schema.context import Info
from jewgo.schema.directory.enums import ReviewStatus, Role
from jewgo.schema.directory.inputs import (
    CreateRestaurantInput,
    CreateReviewInput,
    UpdateRestaurantInput,
    UpdateReviewInput,
)
from jewgo.schema.directory.types import Restaurant, Review, User


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(
        description="Any signed-in user; the restaurant starts PENDING unless the caller is ADMIN."
    )
    async def create_restaurant(self, info: Info, input: CreateRestaurantInput) -> Restaurant:
        port = info.context.router.restaurants()
        return Restaurant.of(await port.create_restaurant(info.context.viewer, input.to_domain()))

    @strawberry.mutation(description="ADMIN only.")
    async def update_restaurant(
        self, info: Info, id: strawberry.ID, input: UpdateRestaurantInput
    ) -> Restaurant:
        port = info.context.router.restaurants()
        updated = await port.update_restaurant(info.context.viewer, parse_id(id), input.to_domain())
        return Restaurant.of(updated)

    @strawberry.mutation(description="ADMIN only.")
    async def delete_restaurant(self, info: Info, id: strawberry.ID) -> bool:
        port = info.context.router.restaurants()
        return await port.delete_restaurant(info.context.viewer, parse_id(id))

    @strawberry.mutation(description="Any signed-in user, once per restaurant; starts PENDING.")
    async def create_review(self, info: Info, input: CreateReviewInput) -> Review:
        port = info.context.router.reviews()
        return Review.of(await port.create_review(info.context.viewer, input.to_domain()))

    @strawberry.mutation(description="The author or an ADMIN.")
    async def update_review(
        self, info: Info, id: strawberry.ID, input: UpdateReviewInput
    ) -> Review:
        port = info.context.router.reviews()
        return Review.of(
            await port.update_review(info.context.viewer, parse_id(id), input.to_domain())
        )

    @strawberry.mutation(description="The author or an ADMIN.")
    async def delete_review(self, info: Info, id: strawberry.ID) -> bool:
        port = info.context.router.reviews()
        return await port.delete_review(info.context.viewer, parse_id(id))

    @strawberry.mutation(description="MODERATOR or ADMIN.")
    async def moderate_review(self, info: Info, id: strawberry.ID, status: ReviewStatus) -> Review:
        port = info.context.router.reviews()
        return Review.of(await port.moderate_review(info.context.viewer, parse_id(id), status))

    @strawberry.mutation(description="ADMIN only.")
    async def update_user_role(self, info: Info, id: strawberry.ID, role: Role) -> User:
        port = info.context.router.users()
        return User.of(await port.update_user_role(info.context.viewer, parse_id(id), role))

    @strawberry.mutation(description="ADMIN only.")
    async def delete_user(self, info: Info, id: strawberry.ID) -> bool:
        port = info.context.router.users()
        return await port.delete_user(info.context.viewer, parse_id(id))
