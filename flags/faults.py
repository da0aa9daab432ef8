"""Fault drills (SPEC §6): `FAULTS="restaurants.v4:error=0.2,latency_ms=50;reviews.v3:error=0.1"`
injects failures or latency into one domain's version. Off unless set; loud when on.

A failed call raises InjectedFault, an internal error like any bug: it is masked, counted
as an implementation error, and (in a rollout) may roll the flag back.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable
from dataclasses import dataclass

DOMAINS = ("restaurants", "reviews", "users", "statistics")
VERSIONS = ("v3", "v4")


class FaultsError(ValueError):
    """A FAULTS value that means nothing."""


class InjectedFault(RuntimeError):
    """A failure injected by a drill."""


@dataclass(frozen=True, slots=True)
class Fault:
    error_rate: float = 0.0
    latency_ms: float = 0.0


def parse(text: str | None) -> dict[tuple[str, str], Fault]:
    """`domain.version:error=R,latency_ms=M;…` → {(domain, version): Fault}."""
    found: dict[tuple[str, str], Fault] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        target, _, settings = part.strip().partition(":")
        domain, _, version = target.strip().partition(".")
        if domain not in DOMAINS or version not in VERSIONS:
            raise FaultsError(f"FAULTS: {target!r} is not <domain>.<v3|v4>")
        values: dict[str, float] = {}
        for item in settings.split(","):
            if not item.strip():
                continue
            name, _, value = item.strip().partition("=")
            if name not in ("error", "latency_ms"):
                raise FaultsError(f"FAULTS: unknown setting {name!r} (error, latency_ms)")
            try:
                number = float(value)
            except ValueError as exc:
                raise FaultsError(f"FAULTS: {name}={value!r} is not a number") from exc
            if not math.isfinite(number) or number < 0 or (name == "error" and number > 1):
                raise FaultsError(f"FAULTS: {name}={value!r} is out of range")
            values[name] = number
        found[(domain, version)] = Fault(values.get("error", 0.0), values.get("latency_ms", 0.0))
    return found


class Faults:
    """The router's interceptor: before a call of a faulty domain version, wait and/or fail."""

    def __init__(
        self, faults: dict[tuple[str, str], Fault], rng: random.Random | None = None
    ) -> None:
        self._faults = faults
        self._random = rng or random.Random()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __call__(self, domain: str, version: str) -> Awaitable[None] | None:
        fault = self._faults.get((domain, version))
        if fault is None:
            return None
        return self._inject(fault, domain, version)

    async def _inject(self, fault: Fault, domain: str, version: str) -> None:
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.error_rate and self._random.random() < fault.error_rate:
            raise InjectedFault(f"drill: injected failure in {domain}.{version}")
