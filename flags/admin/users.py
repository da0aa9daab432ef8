"""What flag administration asks of the users: does this one exist, with what role; and
who a `user:<id>` of the audit log is.

The admin refuses an override for a user who does not exist, and `decisionFor(userId)`
decides as for that user's role. Both take the lookup as an injected `UserRole`, so the
composition root chooses the query and the fakes of the tests need no users table. The
audit names people through `People`, many at a time (a page of history is one query).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

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


# An audit actor that is a user: `user:<id>` (the others: `cli:<login>`, the controller).
_USER_ACTOR = re.compile(r"user:([1-9][0-9]{0,9})", re.ASCII)
_MAX_USER_ID = 2_147_483_647  # the users table's integer ids


def user_actor(user_id: int) -> str:
    """The audit log's actor for a change a signed-in user made."""
    return f"user:{user_id}"


def user_of(actor: str | None) -> int | None:
    """The user id of an actor `user:<id>`; None for any other actor."""
    found = _USER_ACTOR.fullmatch(actor or "")
    user_id = int(found.group(1)) if found else None
    return user_id if user_id is not None and user_id <= _MAX_USER_ID else None


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the audit log names them."""

    id: int
    name: str
    email: str


# The users of these ids that exist, by id.
People = Callable[[Collection[int]], Awaitable[dict[int, Person]]]


def people_query(engine: AsyncEngine) -> People:
    async def people(user_ids: Collection[int]) -> dict[int, Person]:
        if not user_ids:
            return {}
        query = select(UserRow.id, UserRow.name, UserRow.email).where(
            UserRow.id.in_(sorted(set(user_ids)))
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {int(uid): Person(int(uid), str(name), str(email)) for uid, name, email in rows}

    return people
