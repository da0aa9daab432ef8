"""The one thing flag administration asks of the users: does this one exist, with what role.

The admin refuses an override for a user who does not exist, and `decisionFor(userId)`
decides as for that user's role. Both take the lookup as an injected `UserRole`, so the
composition root chooses the query and the fakes of the tests need no users table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import UserRow

# A user's role ("USER", "MODERATOR", "ADMIN"), or None when there is no such user.
UserRole = Callable[[int], Awaitable[str | None]]


def user_role_query(engine: AsyncEngine) -> UserRole:
    """The lookup in the users table of `engine`, a connection of its own per call."""

    async def user_role(user_id: int) -> str | None:
        async with engine.connect() as conn:
            result = await conn.execute(select(UserRow.role).where(UserRow.id == user_id))
            role: str | None = result.scalar_one_or_none()
        return role

    return user_role


# Every known user's id and role (for how many users the percentages select).
KnownUsers = Callable[[], Awaitable[list[tuple[int, str]]]]


def known_users_query(engine: AsyncEngine) -> KnownUsers:
    async def known_users() -> list[tuple[int, str]]:
        async with engine.connect() as conn:
            result = await conn.execute(select(UserRow.id, UserRow.role).order_by(UserRow.id))
            return [(int(uid), str(role)) for uid, role in result.all()]

    return known_users
