"""One-time sign-in links: `jewgo console-link --email E` prints one, the console redeems it.

Only the SHA-256 of a link's secret is stored; a redemption is one UPDATE that succeeds
for an unused, unexpired link only, so two browsers racing for one link get one session.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db.models import ConsoleLinkRow, UserRow
from jewgo.flags.clock import Clock, utc_now

STAFF = ("ADMIN", "MODERATOR")
# token_urlsafe(32): 43 characters of the URL-safe alphabet; nothing else is one of ours.
SECRET = re.compile(r"[A-Za-z0-9_-]{43}")


class LinkRefused(ValueError):
    """No link for this address: no such user, or not ADMIN or MODERATOR."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    secret: str
    user_id: int
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class ConsoleLinks:
    engine: AsyncEngine
    minutes: int
    clock: Clock = field(default=utc_now)

    async def issue(self, email: str) -> Issued:
        """A new link for the staff member with this address (case-insensitive)."""
        now = self.clock()
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(UserRow.id, UserRow.role).where(
                        func.lower(UserRow.email) == email.strip().lower()
                    )
                )
            ).first()
            if row is None:
                raise LinkRefused(f"no user has the address {email.strip()!r}")
            if row.role not in STAFF:
                raise LinkRefused("the console is for ADMIN and MODERATOR users only")
            # Links past their time are of no use to anyone: they go as new ones come.
            await conn.execute(delete(ConsoleLinkRow).where(ConsoleLinkRow.expires_at < now))
            secret = secrets.token_urlsafe(32)
            expires_at = now + timedelta(minutes=self.minutes)
            await conn.execute(
                insert(ConsoleLinkRow).values(
                    hash=digest(secret),
                    user_id=row.id,
                    created_at=now,
                    expires_at=expires_at,
                    used_at=None,
                )
            )
        return Issued(secret, int(row.id), str(row.role), expires_at)

    async def redeem(self, secret: str) -> int | None:
        """The user id of an unused, unexpired link, which is used up now; else None."""
        if not SECRET.fullmatch(secret):
            return None
        now = self.clock()
        async with self.engine.begin() as conn:
            user_id = await conn.scalar(
                update(ConsoleLinkRow)
                .where(
                    ConsoleLinkRow.hash == digest(secret),
                    ConsoleLinkRow.used_at.is_(None),
                    ConsoleLinkRow.expires_at > now,
                )
                .values(used_at=now)
                .returning(ConsoleLinkRow.user_id)
            )
        return int(user_id) if user_id is not None else None
