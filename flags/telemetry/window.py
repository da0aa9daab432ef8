"""The per-domain x version window: calls, internal errors and latency over time buckets,
read by the flags' metrics and the rollout controller.

A call is one request's use of one domain. User-caused errors are not implementation
errors and are not counted. Each process keeps its own buckets and adds them to shared
Redis counters about once a second; readers see the fleet through Redis, or this process
alone while Redis is away.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from redis.asyncio import Redis

from jewgo.flags import tasks
from jewgo.flags.stages import DOMAIN_FLAGS
from jewgo.flags.telemetry import weighting

log = structlog.get_logger("jewgo.metrics")

# v4 errors that v3 gave too for the same operation (counted apart: not v4's regression).
SHARED_ERRORS = "shared_error"
CACHED = "cached"  # answers from the response cache: counted apart from the calls
# Latency histogram of the window: 0.5 ms x 1.25^i, about +-12 % resolution to ~60 s.
BOUNDS_MS: tuple[float, ...] = tuple(0.5 * 1.25**i for i in range(53))


@dataclass
class Cell:
    calls: int = 0
    errors: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS_MS) + 1))
    # Further named counts of a series (the shadow's matches, mismatches per field, ...).
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, other: Cell) -> None:
        self.calls += other.calls
        self.errors += other.errors
        for i, n in enumerate(other.histogram):
            self.histogram[i] += n
        for name, n in other.extra.items():
            self.extra[name] = self.extra.get(name, 0) + n

    def percentile_ms(self, q: float) -> float | None:
        """The q-quantile in milliseconds, interpolated within its histogram bucket."""
        total = sum(self.histogram)
        if total == 0:
            return None
        rank = q * total
        seen = 0
        for i, n in enumerate(self.histogram):
            if n and seen + n >= rank:
                low = BOUNDS_MS[i - 1] if i > 0 else 0.0
                high = BOUNDS_MS[i] if i < len(BOUNDS_MS) else BOUNDS_MS[-1] * 1.25
                return low + (high - low) * ((rank - seen) / n)
            seen += n
        return BOUNDS_MS[-1]

    @property
    def error_rate_percent(self) -> float:
        return self.errors / self.calls * 100 if self.calls else 0.0


Series = tuple[str, str]  # (domain, version), or (flag, "shadow")
VERSIONS = ("v3", "v4")


def domains_of(flag: str) -> Sequence[str]:
    """The domains a flag is judged by: its own, or all for the others."""
    for domain, name in DOMAIN_FLAGS.items():
        if name == flag:
            return (domain,)
    return tuple(DOMAIN_FLAGS)


def version_series(domains: Iterable[str]) -> list[Series]:
    return [(domain, version) for domain in domains for version in VERSIONS]


def flag_series(flag: str) -> list[Series]:
    """Every series a flag's figures come from: both versions of its domains, its shadow."""
    return [*version_series(domains_of(flag)), (flag, "shadow")]


@dataclass(frozen=True)
class Observation:
    domain: str
    version: str
    seconds: float
    internal_error: bool
    # Who called (a user, or an address): weighs the guard's error rate per caller.
    caller: str | None = None


def error_cell(caller: str | None) -> Cell:
    """One error of a domain's version, outside its calls, in its caller's slot too."""
    cell = Cell(errors=1)
    if caller is not None:
        cell.extra[weighting.errors_field(weighting.slot(caller))] = 1
    return cell


class WindowMetrics:
    def __init__(
        self,
        redis: Redis | None = None,
        *,
        namespace: str = "jewgo",
        bucket_seconds: int = 5,
        retention_seconds: int = 3 * 3600,
        flush_seconds: float = 1.0,
        timeout: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = f"{namespace}:m"
        self.bucket_seconds = bucket_seconds
        self._retention = retention_seconds
        self._flush_seconds = flush_seconds
        self._timeout = timeout
        self._clock = clock
        self._local: dict[tuple[int, str, str], Cell] = {}
        self._pending: dict[tuple[int, str, str], Cell] = {}
        self._recent: dict[str, list[str]] = {}
        self._pending_recent: list[tuple[str, str, int]] = []
        self._flusher = tasks.Periodic(self.flush, self._flush_seconds, "metrics-flush")
        self.fleet_wide = redis is not None

    def record(self, observation: Observation) -> None:
        """One call of a domain's version."""
        slot = bisect.bisect_left(BOUNDS_MS, observation.seconds * 1000)
        delta = Cell(calls=1, errors=int(observation.internal_error))
        delta.histogram[slot] = 1
        if observation.caller is not None:
            caller = weighting.slot(observation.caller)
            delta.extra[weighting.calls_field(caller)] = 1
            if observation.internal_error:
                delta.extra[weighting.errors_field(caller)] = 1
        self.add((observation.domain, observation.version), delta)

    def add(self, series: Series, delta: Cell) -> None:
        """Counts of any series (a domain's version, a flag's shadow) into the bucket of now."""
        bucket = int(self._clock() // self.bucket_seconds)
        for cells in (self._local, self._pending) if self._redis is not None else (self._local,):
            cells.setdefault((bucket, *series), Cell()).add(delta)
        self._forget_old(bucket)

    def count(self, series: Iterable[Series], name: str) -> None:
        """One more of a named count of each series, outside its calls, errors, latency."""
        bucket = int(self._clock() // self.bucket_seconds)
        for cells in (self._local, self._pending) if self._redis is not None else (self._local,):
            for key in ((bucket, *one) for one in series):
                cell = cells.get(key) or cells.setdefault(key, Cell())
                cell.extra[name] = cell.extra.get(name, 0) + 1
        self._forget_old(bucket)

    def remember(self, name: str, text: str, keep: int = 20) -> None:
        """Put `text` at the head of the short list `name` (newest first)."""
        recent = self._recent.setdefault(name, [])
        recent.insert(0, text)
        del recent[keep:]
        if self._redis is not None:
            self._pending_recent.append((name, text, keep))

    async def recent(self, name: str, count: int) -> list[str]:
        if self._redis is not None:
            try:
                async with asyncio.timeout(self._timeout * 4):
                    raw = await self._redis.lrange(f"{self._prefix}:recent:{name}", 0, count - 1)
                return [item.decode() if isinstance(item, bytes) else str(item) for item in raw]
            except Exception:  # fall back to what this process saw
                pass
        return self._recent.get(name, [])[:count]

    def _forget_old(self, bucket: int) -> None:
        oldest = bucket - self._retention // self.bucket_seconds
        if len(self._local) > 4096 or (self._local and next(iter(self._local))[0] < oldest):
            self._local = {k: v for k, v in self._local.items() if k[0] >= oldest}

    def _buckets(self, window_seconds: float) -> range:
        now = int(self._clock() // self.bucket_seconds)
        count = max(1, int(-(-window_seconds // self.bucket_seconds)))
        return range(now - count + 1, now + 1)

    def local_window(self, window_seconds: float) -> dict[Series, Cell]:
        return _summed(self._local_cells(set(self._buckets(window_seconds))))

    def _local_cells(self, buckets: set[int]) -> dict[tuple[int, Series], Cell]:
        return {(b, (d, v)): cell for (b, d, v), cell in self._local.items() if b in buckets}

    async def window(
        self, window_seconds: float, series: Iterable[Series] | None = None
    ) -> dict[Series, Cell]:
        """Totals per (domain, version) over the last `window_seconds`: fleet-wide through
        Redis when it answers, this process's own otherwise."""
        return _summed(await self._cells(self._buckets(window_seconds), series))

    async def series(
        self, window_seconds: float, step_seconds: int, series: Iterable[Series]
    ) -> list[tuple[float, dict[Series, Cell]]]:
        """The last `window_seconds` as steps of `step_seconds` (a multiple of the bucket):
        each step's start (epoch seconds) and its totals per series, oldest first."""
        per_step = max(1, step_seconds // self.bucket_seconds)
        buckets = self._buckets(window_seconds)
        steps: dict[int, dict[Series, Cell]] = {b // per_step: {} for b in buckets}
        for (bucket, key), cell in (await self._cells(buckets, series)).items():
            steps[bucket // per_step].setdefault(key, Cell()).add(cell)
        return [(s * per_step * self.bucket_seconds, cells) for s, cells in steps.items()]

    async def _cells(
        self, buckets: range, series: Iterable[Series] | None
    ) -> dict[tuple[int, Series], Cell]:
        if self._redis is None:
            return self._local_cells(set(buckets))
        wanted = list(series) if series is not None else self._all_series()
        try:
            async with asyncio.timeout(self._timeout * 4):
                pipe = self._redis.pipeline(transaction=False)
                for bucket in buckets:
                    for domain, version in wanted:
                        pipe.hgetall(f"{self._prefix}:{bucket}:{domain}:{version}")
                rows = await pipe.execute()
        except Exception as exc:
            log.warning("fleet metrics unavailable; local window", error=type(exc).__name__)
            self.fleet_wide = False
            return self._local_cells(set(buckets))
        self.fleet_wide = True
        keys = [(b, s) for b in buckets for s in wanted]
        return {key: _cell(row) for key, row in zip(keys, rows, strict=True) if row}

    @staticmethod
    def _all_series() -> list[Series]:
        return version_series(DOMAIN_FLAGS)

    async def flush(self) -> None:
        """Add what this process saw since the last flush to the fleet's counters."""
        if self._redis is None or not (self._pending or self._pending_recent):
            return
        pending, self._pending = self._pending, {}
        remembered, self._pending_recent = self._pending_recent, []
        try:
            async with asyncio.timeout(self._timeout * 4):
                pipe = self._redis.pipeline(transaction=False)
                for (bucket, domain, version), cell in pending.items():
                    key = f"{self._prefix}:{bucket}:{domain}:{version}"
                    if cell.calls:
                        pipe.hincrby(key, "c", cell.calls)
                    if cell.errors:
                        pipe.hincrby(key, "e", cell.errors)
                    for i, n in enumerate(cell.histogram):
                        if n:
                            pipe.hincrby(key, f"h{i}", n)
                    for name, n in cell.extra.items():
                        pipe.hincrby(key, f"x:{name}", n)
                    pipe.expire(key, self._retention + self.bucket_seconds)
                for name, text, keep in remembered:
                    key = f"{self._prefix}:recent:{name}"
                    pipe.lpush(key, text)
                    pipe.ltrim(key, 0, keep - 1)
                    pipe.expire(key, self._retention)
                await pipe.execute()
        except Exception as exc:  # keep the counts for the next try
            for slot, cell in pending.items():
                self._pending.setdefault(slot, Cell()).add(cell)
            self._pending_recent[:0] = remembered
            log.warning("metrics flush failed", error=type(exc).__name__)

    async def start(self) -> None:
        if self._redis is not None:
            self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()


def _cell(row: dict[bytes, bytes]) -> Cell:
    cell = Cell(calls=int(row.get(b"c", 0)), errors=int(row.get(b"e", 0)))
    for name, value in row.items():
        if name.startswith(b"h"):
            cell.histogram[int(name[1:])] += int(value)
        elif name.startswith(b"x:"):
            cell.extra[name[2:].decode()] = int(value)
    return cell


def versions_of(cells: dict[Series, Cell], domains: Sequence[str]) -> dict[str, Cell]:
    """Totals per version over `domains`."""
    totals: dict[str, Cell] = {version: Cell() for version in VERSIONS}
    for (domain, version), cell in cells.items():
        if domain in domains:
            totals[version].add(cell)
    return totals


def _summed(cells: Mapping[tuple[int, Series], Cell]) -> dict[Series, Cell]:
    totals: dict[Series, Cell] = {}
    for (_, key), cell in cells.items():
        totals.setdefault(key, Cell()).add(cell)
    return totals
