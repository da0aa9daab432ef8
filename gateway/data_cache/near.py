"""The v4 cache's near tier: what this process read from Redis, kept in process, dropped
when any instance invalidates it.

Every invalidation (`RedisStore.invalidate`) bumps an epoch in Redis and announces its
keys and list generations on a channel; each process drops those from its near tier on
hearing it, and its own writes drop them here first. A read that began before a purge
of what it read cannot put the old value back (its *ticket* is the purge count when it
began). Staleness is bounded when a message is lost: at most every CHECK seconds a near
hit first reads Redis's epoch, and a near tier that is behind (a message missed) or
ahead (Redis lost its keys) is cleared. Only values read from Redis enter it; while
Redis is away the near tier is not used (memory serves, as before).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

# Purges remembered for refusing late puts: those older than HOLD_SECONDS (far longer
# than any read's Redis round trip) are forgotten past half of MAX_PURGES, and a read
# begun before a forgotten one is refused; past MAX_PURGES, everything is cleared.
MAX_PURGES = 100_000
HOLD_SECONDS = 30.0
EVERYTHING = "\x00*"  # what a flushed namespace's announcement drops: all


class NearTier:
    def __init__(
        self, max_entries: int, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`max_entries`: the LRU's bound; `seconds`: the longest life of a near copy."""
        self._max = max_entries
        self._seconds = seconds
        self._clock = clock
        # key → (expires, value, the list generation it was read at, if a list's)
        self._entries: OrderedDict[str, tuple[float, Any, str | None]] = OrderedDict()
        self._listed: dict[str, set[str]] = {}  # generation → keys of its lists here
        self._purged: dict[str, int] = {}  # key, or "\x00" + generation → epoch of purge
        self._marks: deque[tuple[float, int]] = deque()  # (when, epoch) of each purge
        self._cleared = 0  # a read begun before this epoch may not put its value
        self.epoch = 0  # purges applied here (own writes and messages heard)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: Any, since: int, generation: str | None = None) -> None:
        """Keep `value`, read when the purge count was `since`, unless its key (or its
        list's generation) was purged since."""
        if since < self._cleared or self._purged.get(key, -1) > since:
            return
        if generation is not None and self._purged.get("\x00" + generation, -1) > since:
            return
        self._drop(key)
        self._entries[key] = (self._clock() + self._seconds, value, generation)
        if generation is not None:
            self._listed.setdefault(generation, set()).add(key)
        while len(self._entries) > self._max:
            self._drop(next(iter(self._entries)))

    def invalidate(self, keys: Sequence[str], generations: Sequence[str]) -> None:
        if EVERYTHING in keys:
            self.clear()
            return
        self.epoch += 1
        self._marks.append((self._clock(), self.epoch))
        if len(self._purged) + len(keys) + len(generations) > MAX_PURGES // 2:
            self._forget_old_purges()
        if len(self._purged) + len(keys) + len(generations) > MAX_PURGES:
            self.clear()
            return
        for key in keys:
            self._drop(key)
            self._purged[key] = self.epoch
        for generation in generations:
            for key in self._listed.pop(generation, set()):
                self._entries.pop(key, None)
            self._purged["\x00" + generation] = self.epoch

    def clear(self) -> None:
        """Everything, and every read under way: none of them may put its value."""
        self.epoch += 1
        self._entries.clear()
        self._listed.clear()
        self._purged.clear()
        self._marks.clear()
        self._cleared = self.epoch

    def _forget_old_purges(self) -> None:
        horizon, floor = self._clock() - HOLD_SECONDS, None
        while self._marks and self._marks[0][0] < horizon:
            floor = self._marks.popleft()[1]
        if floor is not None:
            self._purged = {name: epoch for name, epoch in self._purged.items() if epoch > floor}
            self._cleared = max(self._cleared, floor)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None and entry[2] is not None:
            keys = self._listed.get(entry[2])
            if keys is not None:
                keys.discard(key)


def message(epoch: int, keys: Sequence[str], generations: Sequence[str]) -> str:
    """An invalidation as announced on the channel (the Redis script writes the same)."""
    return json.dumps({"e": epoch, "k": list(keys), "g": list(generations)})


def parse(data: bytes | str) -> tuple[int, list[str], list[str]] | None:
    """An announced invalidation: (epoch, keys, generations), with keys and generations
    [EVERYTHING] for a flushed namespace; None if not one."""
    try:
        found = json.loads(data)
        epoch, keys, generations = found["e"], _names(found.get("k")), _names(found.get("g"))
        everything = found.get("all") is True
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(epoch, int) or keys is None or generations is None:
        return None
    if everything:
        return epoch, [EVERYTHING], [EVERYTHING]
    return epoch, keys, generations


def _names(value: object) -> list[str] | None:
    if value is None or value == {}:  # Lua's cjson writes an empty list as {}
        return []
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return value
    return None


class NearWatch:
    """How far the near tier has followed Redis's invalidations: the newest epoch it
    applied (`seen`), when Redis's was last read, and the channel's messages."""

    def __init__(
        self, near: NearTier, check_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.near = near
        self._check_seconds = check_seconds
        self._clock = clock
        self.seen = -1  # none yet: the first check clears whatever came before it
        self._checked = float("-inf")

    def due(self) -> bool:
        """Whether Redis's epoch must be read before the near tier may serve; the caller
        told so reads it (concurrent callers are not told again meanwhile)."""
        now = self._clock()
        if now - self._checked < self._check_seconds:
            return False
        self._checked = now
        return True

    def checked(self, epoch: int) -> bool:
        """Redis's epoch, just read: whether the near tier may serve (else it was behind
        or ahead, and is cleared)."""
        if epoch != self.seen:
            self.near.clear()
            self.seen = epoch
            return False
        return True

    def heard(self, data: bytes | str) -> None:
        """An invalidation announced on the channel (this process's own too)."""
        found = parse(data)
        if found is None:
            return
        epoch, keys, generations = found
        if self.seen >= 0 and epoch > self.seen + 1:
            self.near.clear()  # a message was missed: start afresh
        else:
            self.near.invalidate(keys, generations)
        self.seen = max(self.seen, epoch)

    def lost(self) -> None:
        """The channel was (re)subscribed or lost: what was heard may have gaps."""
        self.near.clear()
        self.seen = -1
        self._checked = float("-inf")
