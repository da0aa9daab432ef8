"""Propagation: this process's flags, one snapshot in memory, kept fresh across the fleet.

A change made here (flags.admin.changes calls `changed()`) reloads the snapshot at once and is
published on Redis; every instance that hears it reloads. A poll of the revision counter
every few seconds heals a lost message (and is the only path without Redis). Redis and
the database are never on the request path: a request reads `snapshot`, an attribute.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

import structlog
from redis.asyncio import Redis

from jewgo.flags.snapshot import Snapshot
from jewgo.flags.store import FlagStore

log = structlog.get_logger("jewgo.flags")


class Flags:
    def __init__(
        self,
        store: FlagStore,
        *,
        redis: Redis | None = None,
        channel: str = "jewgo:flags",
        poll_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self._redis = redis
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._snapshot: Snapshot | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._reloading = asyncio.Lock()
        self.checked_at = 0.0  # monotonic time the snapshot was last known current

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            raise RuntimeError("flags not loaded yet")
        return self._snapshot

    @property
    def age_seconds(self) -> float:
        """How long since the snapshot was last confirmed current."""
        return max(0.0, time.monotonic() - self.checked_at)

    async def load(self) -> Snapshot:
        async with self._reloading:
            # Loads take turns, so the last one read the newest state: take it whole,
            # even at a lower revision (a restored or re-created flag table).
            self._snapshot = await self._store.snapshot()
            self.checked_at = time.monotonic()
            return self._snapshot

    async def start(self) -> None:
        """Load, then keep fresh: poll always, listen on Redis when there is one."""
        await self.load()
        self._tasks.append(asyncio.create_task(self._poll(), name="flags-poll"))
        if self._redis is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="flags-listen"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                revision = await self._store.revision()
                if self._snapshot is None or revision != self._snapshot.revision:
                    await self.load()
                    log.info("flags reloaded by poll", revision=revision)
                else:
                    self.checked_at = time.monotonic()
            except Exception as exc:  # the database is away: keep the snapshot we have
                log.warning("flag poll failed", error=type(exc).__name__)

    async def _listen(self) -> None:
        assert self._redis is not None
        pause = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                pause = 0.1
                # A message may have been missed while (re)subscribing.
                await self.load()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        await self._heard(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis is away: the poll carries on meanwhile
                log.warning("flag subscription lost", error=type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _heard(self, message: Mapping[str, Any]) -> None:
        try:
            revision = int(message["data"])
        except (KeyError, TypeError, ValueError):
            revision = None
        if revision is None or self._snapshot is None or revision != self._snapshot.revision:
            await self.load()

    async def changed(self) -> Snapshot:
        """After a change made here: in force here now, and announced to the fleet."""
        snapshot = await self.load()
        if self._redis is not None:
            try:
                async with asyncio.timeout(0.5):
                    await self._redis.publish(self._channel, str(snapshot.revision))
            except Exception as exc:  # the others' poll will find the change
                log.warning("flag change not published", error=type(exc).__name__)
        return snapshot
