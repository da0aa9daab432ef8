"""Following a Redis pub/sub channel for a process's life: the near caches' way of hearing
the fleet's invalidations (the v4 cache's near tier, the response cache).

A lost subscription is taken again after a pause that doubles up to 5 s; whoever follows
is told each time it subscribes, since what was published meanwhile was not heard.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import structlog
from redis.asyncio import Redis

log = structlog.get_logger("jewgo.channels")
STOP_SECONDS = 1.0  # longest wait for a subscription to let go of its connection


async def follow(
    client: Redis,
    channel: str,
    heard: Callable[[bytes | str], None],
    *,
    subscribed: Callable[[], None] | None = None,
    what: str,
) -> None:
    """Call `heard` with each message of `channel` until cancelled (`subscribed` after
    each subscription; `what`: the follower, for the log)."""
    pause = 0.1
    while True:
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(channel)
            if subscribed is not None:
                subscribed()
            pause = 0.1
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    heard(message["data"])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("channel lost", follower=what, error=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(STOP_SECONDS):
                    await pubsub.aclose()
