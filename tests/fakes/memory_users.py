"""Users in memory: the fakes of the read and the write port."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jewgo.resolvers.domain import Author, Role, User, UserFilter
from tests.fakes.memory_store import Row, Store, contains


class MemoryUserReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _user(self, row: Row) -> User:
        written = sum(1 for v in self._store.reviews.values() if v["author_id"] == row["id"])
        return User.from_row(row | {"review_count": written})

    def _matching(self, where: UserFilter) -> list[User]:
        search = (where.search or "").strip()
        return sorted(
            (
                self._user(row)
                for row in self._store.users.values()
                if (where.role is None or row["role"] == where.role.value)
                and (not search or contains(row["name"], search) or contains(row["email"], search))
            ),
            key=lambda u: (u.name, u.id),
        )

    async def by_id(self, user_id: int) -> User | None:
        row = self._store.users.get(user_id)
        return self._user(row) if row is not None else None

    async def authors(self, ids: Sequence[int]) -> dict[int, Author]:
        users = self._store.users
        return {i: Author(id=i, name=users[i]["name"]) for i in ids if i in users}

    async def page(
        self, where: UserFilter, after: tuple[Any, ...] | None, limit: int
    ) -> list[User]:
        found = self._matching(where)
        if after is not None:
            found = [u for u in found if (u.name, u.id) > after]
        return found[:limit]

    async def count(self, where: UserFilter) -> int:
        return len(self._matching(where))


class MemoryUserWrites:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def set_role(self, user_id: int, role: Role, values: Mapping[str, Any]) -> bool:
        row = self._store.users.get(user_id)
        if row is None:
            return False
        row.update(values, role=role.value)
        return True

    async def remove(self, user_id: int) -> bool:
        if self._store.users.pop(user_id, None) is None:
            return False
        for review_id in [i for i, v in self._store.reviews.items() if v["author_id"] == user_id]:
            del self._store.reviews[review_id]
        for row in self._store.restaurants.values():
            if row.get("created_by") == user_id:
                row["created_by"] = None
        return True
