"""The walk of one request through our modules, recorded as it runs.

`record` runs one request through the real ASGI app under `sys.setprofile` and notes every
call into our code (`jewgo.*`): the modules in the order the request first enters them,
and each step from one of our modules into another. A step *back* is a call from module A
into code defined in a module B of another package that imports A (directly or not): B
sits above A, so A can only reach it through a callback B handed down (a lambda, a bound
method, a closure). Within one package (a room) a helper may call what it is handed (a
connection converting its nodes with the type's `of`): that is not a step back.
The walks of docs/architecture.md are printed by

    .venv/bin/python -m tests.walks            # the anonymous page and setFlagStage

and tests/e2e/test_walks.py holds them to their bounds.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

import grimp

from jewgo.db import migrate, seed
from jewgo.db.engine import create_engine
from tests.support import ADMIN_ID, Database, gateway_client

# The anonymous page of the benchmarks: 20 restaurants with their scalars, 3 reviews each
# with their authors (bench/cache.py's PAGE).
PAGE = (
    "query Page { restaurants(first: 20) { edges { node { id name address city state"
    " zipCode phone website kosherCategory certifyingAgency priceRange status"
    " reviews(first: 3) { edges { node { id rating title content createdAt"
    " author { id name } } } } } } } }"
)
V4_CACHED = {
    "API_V4_ENABLED": "true",
    "API_V4_RESTAURANTS": "true",
    "API_V4_REVIEWS": "true",
    "API_V4_USERS": "true",
    "API_V4_STATISTICS": "true",
    "API_V4_CACHE": "true",
}
SET_STAGE = (
    "mutation Stage($name: String!) { setFlagStage(name: $name, stage: TESTING,"
    ' reason: "walk") { name stage } }'
)


_RECORDED: ContextVar[bool] = ContextVar("recorded", default=False)


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("jewgo")


@cache
def _imports(importer: str, imported: str) -> bool:
    """Whether `importer` imports `imported`, directly or not."""
    graph = _graph()
    if importer not in graph.modules or imported not in graph.modules:
        return False
    return graph.find_shortest_chain(importer=importer, imported=imported) is not None


def _room(module: str) -> str:
    return module.rpartition(".")[0]


@dataclass
class Walk:
    modules: list[str] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)

    @property
    def back(self) -> list[tuple[str, str]]:
        """The steps that go back: into a module that imports the caller's."""
        return [(a, b) for a, b in self.steps if _room(a) != _room(b) and _imports(b, a)]

    def describe(self) -> str:
        lines = [f"{len(self.modules)} modules, {len(self.steps)} steps between modules:"]
        lines += [f"  {n:2}. {name}" for n, name in enumerate(self.modules, start=1)]
        back = self.back
        lines.append(f"steps back: {len(back)}")
        lines += [f"  {a} -> {b}" for a, b in back]
        return "\n".join(lines)


def _ours(frame: FrameType | None) -> str | None:
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return name if name.startswith("jewgo.") else None


@contextmanager
def recording() -> Iterator[Walk]:
    """Every call into our code while the block runs (on this thread: asyncio's tasks)."""
    walk = Walk()
    seen: set[str] = set()
    steps: set[tuple[str, str]] = set()

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event != "call" or not _RECORDED.get():
            return  # not the request's (the app's background tasks run beside it)
        callee = _ours(frame)
        if callee is None:
            return
        if callee not in seen:
            seen.add(callee)
            walk.modules.append(callee)
        caller_frame = frame.f_back
        # The nearest of our frames that called, through library frames (Strawberry calling
        # an extension, asyncio resuming a task: no caller of ours, no step).
        while caller_frame is not None and _ours(caller_frame) is None:
            caller_frame = caller_frame.f_back
        caller = _ours(caller_frame)
        if caller is not None and caller != callee and (caller, callee) not in steps:
            steps.add((caller, callee))
            walk.steps.append((caller, callee))

    previous = sys.getprofile()
    marked = _RECORDED.set(True)  # the block's tasks, and the tasks they start, inherit it
    sys.setprofile(profile)
    try:
        yield walk
    finally:
        sys.setprofile(previous)
        _RECORDED.reset(marked)


async def record(send: Callable[[], Awaitable[Any]]) -> Walk:
    """The walk of what `send()` runs (after one unrecorded run of it, which warms up what
    is built on first use: imports, the schema's caches, the connection pool)."""
    await send()
    with recording() as walk:
        await send()
    return walk


async def walks(database: Database, data_dir: Path) -> tuple[Walk, Walk]:
    """The walks of an anonymous page (served by v4 with its cache, as the benchmarks') and
    of an admin's `setFlagStage`, on a gateway over `database` (migrated and seeded)."""
    async with gateway_client(database, data_dir, V4_CACHED) as client:
        page = await record(lambda: client(PAGE))
        stage = await record(
            lambda: client(SET_STAGE, {"name": "api_v4_statistics"}, as_user=ADMIN_ID)
        )
    return page, stage


async def _main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        root = Path(workdir)
        url = f"sqlite+aiosqlite:///{root / 'walk.db'}"
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            await seed.load(engine, 1)
        finally:
            await engine.dispose()
        page, stage = await walks(Database("sqlite", url), root)
    print("An anonymous page of restaurants:\n" + page.describe() + "\n")
    print("An admin's setFlagStage:\n" + stage.describe())


if __name__ == "__main__":
    asyncio.run(_main())
