"""The callers' roles, kept briefly in process so that a signed-in HIT of the response
cache makes no database round trip.

SPEC §3: the role comes from the database, never from the token. A role read here is
served for at most ROLE_CACHE_SECONDS, and sooner forgotten by what changes a user row:
every write's `Change.users` becomes a `w:<id>` purge tag (`resolvers.v4.cache.tags`), which
the response cache applies here at once for this process's own writes (Redis up or
down) and for the fleet's through its pub/sub channel. A lost message, or a write that
bypassed the gateway, is seen within the TTL. A read that began before a purge is not
kept, so a demotion heard mid-read cannot be undone by the read's older answer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jewgo.resolvers.domain import Role

USER_TAG = "w:"  # the purge tag of a user row written (its role changed, or deleted)


@dataclass(frozen=True, slots=True)
class _Held:
    role: Role
    expires: float


class RoleCache:
    """An LRU of user id → role, bounded in entries and in age."""

    def __init__(
        self, ttl: float, entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._entries = entries
        self._clock = clock
        self._held: OrderedDict[int, _Held] = OrderedDict()
        self.epoch = 0  # counts purges: a read that saw another epoch is not kept

    def __len__(self) -> int:
        return len(self._held)

    def get(self, user_id: int) -> Role | None:
        held = self._held.get(user_id)
        if held is None:
            return None
        if held.expires <= self._clock():
            del self._held[user_id]
            return None
        return held.role

    def put(self, user_id: int, role: Role, since: int) -> bool:
        """Keep `role`, read when the cache was at epoch `since`, unless a purge came
        in between (it may have been this very user's)."""
        if since != self.epoch:
            return False
        self._held[user_id] = _Held(role, self._clock() + self._ttl)
        self._held.move_to_end(user_id)
        while len(self._held) > self._entries:
            self._held.popitem(last=False)
        return True

    def purged(self, tags: Iterable[str]) -> None:
        """The response cache purged `tags`: forget every user written among them."""
        users = [tag for tag in tags if tag.startswith(USER_TAG)]
        if not users:
            return
        self.epoch += 1
        for tag in users:
            try:
                self._held.pop(int(tag[len(USER_TAG) :]), None)
            except ValueError:
                continue

    def cleared(self) -> None:
        """Everything may have changed (a purge of all, or messages missed)."""
        self.epoch += 1
        self._held.clear()
