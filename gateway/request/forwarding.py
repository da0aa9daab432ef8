"""Is the gateway behind a proxy it was not told about?

Behind a proxy, every request comes from the proxy's address unless FORWARDED_ALLOW_IPS
names the proxy (then uvicorn takes the caller's address from `X-Forwarded-For`). The
rollout's caller guard counts callers by signed-in user, else by address: with the proxy
undeclared, every anonymous caller is one caller, so v4's errors never come from enough
callers to roll back, and no traffic is ever enough to advance. The operator must learn
that before an outage, not during one.

`ProxyWatch` looks at every anonymous request (its address and its `X-Client-Id`) over the
last `window_seconds`: when at least `min_requests` came from at most `max_addresses`
addresses while they carried at least `min_keys` distinct client ids, it says so
(`suspicion`). Signed-in requests are left out: the guard counts their users, whatever
address they come from. The readiness component `callers` turns that into a warning on `/ready`,
in `MigrationStatus.health` (the console's banner) and in the `UndeclaredProxy` alert; the
controller names FORWARDED_ALLOW_IPS in a rollout's `lastDecision`.

The bookkeeping is constant per request: a few buckets of `bucket_seconds`, each counting
requests and keeping at most `max_addresses + 1` addresses and `min_keys` keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("jewgo.forwarding")


@dataclass
class _Bucket:
    start: int
    requests: int = 0
    addresses: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)


class ProxyWatch:
    def __init__(
        self,
        *,
        window_seconds: float = 60.0,
        bucket_seconds: float = 10.0,
        min_requests: int = 100,
        max_addresses: int = 2,
        min_keys: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._buckets: list[_Bucket] = []
        self._bucket_seconds = bucket_seconds
        self._span = max(1, round(window_seconds / bucket_seconds))
        self._min_requests = min_requests
        self._max_addresses = max_addresses
        self._min_keys = min_keys
        self._clock = clock
        self._warned: str | None = None

    def _now(self) -> int:
        return int(self._clock() // self._bucket_seconds)

    def record(self, address: str | None, key: str) -> None:
        """One request from `address` (the proxy's, if one forwards undeclared) with the
        stickiness key `key` (`user:…`, `client:…` or `address:…`)."""
        if key.startswith("user:"):
            return
        now = self._now()
        if not self._buckets or self._buckets[-1].start != now:
            self._buckets.append(_Bucket(now))
            if len(self._buckets) > self._span:
                del self._buckets[0]
        bucket = self._buckets[-1]
        bucket.requests += 1
        if len(bucket.addresses) <= self._max_addresses:
            bucket.addresses.add(address or "unknown")
        if len(bucket.keys) < self._min_keys and key.startswith("client:"):
            bucket.keys.add(key)

    def suspicion(self) -> str | None:
        """Why the traffic looks forwarded by an undeclared proxy, or None."""
        oldest = self._now() - self._span + 1
        recent = [b for b in self._buckets if b.start >= oldest]
        requests = sum(b.requests for b in recent)
        addresses = set().union(*(b.addresses for b in recent))
        keys = set().union(*(b.keys for b in recent))
        found = None
        if (
            requests >= self._min_requests
            and len(addresses) <= self._max_addresses
            and len(keys) >= self._min_keys
        ):
            found = (
                f"{requests} anonymous requests in the last "
                f"{self._span * self._bucket_seconds:g} s came from {len(addresses)} "
                f"address(es) ({', '.join(sorted(addresses))}) while carrying {len(keys)} or "
                f"more distinct client ids: if a proxy "
                f"forwards them, set FORWARDED_ALLOW_IPS to its address; until then the "
                f"rollout's caller guard counts them as one caller and can neither roll "
                f"back nor advance on their evidence"
            )
        if found is not None and self._warned is None:
            log.warning("requests look forwarded by an undeclared proxy", reason=found)
        self._warned = found
        return found
