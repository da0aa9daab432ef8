"""Users in v4: authors for everyone, accounts for admins, roles and deletions (which
report the reviews that go with the user)."""

from __future__ import annotations

from collections.abc import Sequence

from jewgo.resolvers import pagination, policy, validation
from jewgo.resolvers.domain import (
    Author,
    Page,
    PageArgs,
    Role,
    User,
    UserFilter,
    Viewer,
    now,
)
from jewgo.resolvers.errors import NotFound
from jewgo.resolvers.ports import Change
from jewgo.resolvers.v4.services.layer import Service, decoded


class UserService(Service):
    async def author(self, user_id: int) -> Author | None:
        return await self._loaders.author.load(user_id)

    async def authors(self, user_ids: Sequence[int]) -> list[Author | None]:
        return await self._loaders.author.load_many(user_ids)

    async def me(self, viewer: Viewer | None) -> User | None:
        return None if viewer is None else await self._reads.users.by_id(viewer.id)

    async def user(self, viewer: Viewer | None, user_id: int) -> User | None:
        policy.admin(viewer)
        return await self._reads.users.by_id(user_id)

    async def user_list(
        self, viewer: Viewer | None, where: UserFilter, page: PageArgs
    ) -> Page[User]:
        policy.admin(viewer)
        where = validation.user_filter(where)
        scope = pagination.list_of(where)
        after = decoded(page.after, "USERS", scope)
        rows = await self._reads.users.page(where, after, page.first + 1)

        async def total() -> int:
            return await self._reads.users.count(where)

        return pagination.build_page(
            rows, page.first, "USERS", lambda u: (u.name, u.id), total, scope
        )

    async def update_user_role(self, viewer: Viewer | None, user_id: int, role: Role) -> User:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "change the role of")
        async with self._uow() as uow:
            if not await uow.users.set_role(user_id, role, {"updated_at": now()}):
                raise NotFound(f"No user with id {user_id}")
            await uow.commit()
        await self._written(Change(users=frozenset({user_id})))
        user = await self._reads.users.by_id(user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}")
        return user

    async def delete_user(self, viewer: Viewer | None, user_id: int) -> bool:
        admin = policy.admin(viewer)
        policy.not_self(admin, user_id, "delete")
        async with self._uow() as uow:
            written = await uow.reviews.of_author(user_id)
            if not await uow.users.remove(user_id):
                raise NotFound(f"No user with id {user_id}")
            await uow.commit()
        await self._written(Change.of_deleted_user(user_id, written))
        return True
