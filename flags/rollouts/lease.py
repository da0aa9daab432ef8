"""Who leads the rollout controller (and, with it, the alert rules): one instance of the
fleet at a time, whenever the database is up.

On PostgreSQL the lease is a session-level advisory lock held on a connection of its own:
the server itself guarantees one holder, releases the lock the moment the holder's
connection ends (the process died, or was cut off), and needs neither Redis nor clocks.
The holder checks its connection at every tick and stops leading as soon as it breaks.
On the embedded SQLite database there is one process: it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Protocol

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger("jewgo.lease")


class Lease(Protocol):
    async def hold(self) -> bool:
        """Take or keep the lease; whether this process holds it now."""
        ...

    async def release(self) -> None: ...

    async def close(self) -> None:
        """Release, and free what the lease holds for good (at shutdown)."""
        ...

    @property
    def standing(self) -> str:
        """Why this process leads or does not, in words (readiness)."""
        ...


class LocalLease:
    """The embedded database: this process is the controller."""

    standing = "this instance leads the rollout controller (embedded database)"

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    async def close(self) -> None:
        return None


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL's advisory lock keys are bigint)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLease:
    def __init__(self, engine: AsyncEngine, name: str, *, timeout: float = 2.0) -> None:
        """`engine`: one of its own (db.engine.dedicated_engine), not the requests' pool,
        which the held connection would shrink by one for good."""
        # Autocommit: the lock belongs to the session, not to a transaction left open.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._owned = engine
        self._key = lock_key(name)
        self._timeout = timeout
        self._connection: AsyncConnection | None = None
        self._held = False
        self.standing = "no lease yet"

    async def hold(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                if self._connection is None:
                    self._connection = await self._engine.connect()
                if self._held:  # still ours while the session lives
                    await self._connection.execute(text("SELECT 1"))
                else:
                    taken = await self._connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                    )
                    self._held = bool(taken.scalar())
        except Exception as exc:  # the database is away: nobody leads until it is back
            log.warning("rollout lease unavailable", error=type(exc).__name__)
            await self._drop()
            self.standing = f"no lease: the database is unreachable ({type(exc).__name__})"
            return False
        self.standing = (
            "this instance leads the rollout controller"
            if self._held
            else "standby (another instance leads the rollout controller)"
        )
        return self._held

    async def _drop(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._timeout):
                if self._held:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                    )
                await connection.close()
        self._held = False
        self.standing = "released"

    async def close(self) -> None:
        await self.release()
        await self._owned.dispose()
