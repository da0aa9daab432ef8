"""Median cost of a flag decision, per call and per request.

    .venv/bin/python -m bench.decide

Each figure is the median of 25 runs of 200,000 calls, all measured in one process
side by side. Per-request decides the master and a domain flag for all four domains,
with the bucket computed once for the request (as the gateway does).
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from functools import partial

from bench.machine import describe
from bench.results import write_section
from jewgo.flags.decide import Subject, decide
from jewgo.flags.env import EnvOverride
from jewgo.flags.stages import DOMAIN_FLAGS, MASTER, Stage
from tests.flag_snapshots import SALT, snapshot

CALLS = 200_000
RUNS = 25


def median_ns(call: Callable[[], object]) -> float:
    runs = timeit.repeat(call, number=CALLS, repeat=RUNS)
    return statistics.median(runs) / CALLS * 1e9


def main() -> None:
    flag = "api_v4_restaurants"
    subject = Subject(42, False, "user:42", SALT)
    subject.bucket  # noqa: B018 - computed once per request, as in the gateway
    cases: dict[str, Callable[[], object]] = {}
    for stage in Stage:
        cases[f"decide() at {stage.value}"] = partial(
            decide, snapshot({flag: (stage, 25.0)}), flag, subject
        )
    overridden = snapshot({flag: (Stage.TESTING, 0.0)}, overrides={flag: {42: True}})
    cases["decide() with a user override"] = lambda: decide(overridden, flag, subject)
    forced = snapshot(env={flag: EnvOverride(forced=True)})
    cases["decide() forced by the environment"] = lambda: decide(forced, flag, subject)
    fresh = snapshot({flag: (Stage.PARTIAL, 25.0)})
    cases["decide() at PARTIAL, bucket not yet computed"] = lambda: decide(
        fresh, flag, Subject(None, False, "client:abc", SALT)
    )
    halves = snapshot(
        {MASTER: (Stage.FULL, 0.0), **dict.fromkeys(DOMAIN_FLAGS.values(), (Stage.PARTIAL, 50.0))}
    )

    def per_request() -> None:
        who = Subject(None, False, "client:abc", SALT)
        for name in DOMAIN_FLAGS.values():
            decide(halves, MASTER, who)
            decide(halves, name, who)

    cases["a request: 4 domains x (master + domain), new bucket"] = per_request

    rows = [(label, median_ns(call)) for label, call in cases.items()]
    section = "\n".join(
        [
            "## Flag decisions (`python -m bench.decide`)",
            "",
            f"Machine and date: {describe()}",
            "",
            f"Median of {RUNS} runs x {CALLS:,} calls. Target: `decide()` at most 1 µs.",
            "",
            "| case | ns per call |",
            "|---|---:|",
            *(f"| {label} | {ns:.0f} |" for label, ns in rows),
            "",
            "A request computes its bucket once (BLAKE2b of the salt and the stickiness key)",
            "and then decides from the in-memory snapshot with no I/O; the last row is the",
            "worst case of a request touching all four domains.",
        ]
    )
    print(section)
    write_section("decide", section)


if __name__ == "__main__":
    main()
