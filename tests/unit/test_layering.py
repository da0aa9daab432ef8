"""The shape of the code: no import circle, and imports go one way.

gateway → schema → resolvers → db; flags is used by gateway and schema, and its decision
core (stages, decide, decisions, snapshot, env) imports nothing of ours but itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("db", "flags", "gateway", "resolvers", "schema")
# Which of our packages each package may import (besides itself).
ALLOWED = {
    "db": set(),
    "resolvers": {"db"},
    "flags": {"db"},
    "schema": {"resolvers", "flags", "db"},
    "gateway": {"schema", "resolvers", "flags", "db"},
}
PURE = ("flags.stages", "flags.decide", "flags.decisions", "flags.snapshot", "flags.env")


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imports(name: str, path: Path) -> set[str]:
    """Our modules that `name` imports, at any level (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target.startswith("jewgo."):
                found.add(target.removeprefix("jewgo."))
    known = dict(modules())
    return {t for t in found if t in known and t != name}


GRAPH = {name: imports(name, path) for name, path in modules()}


def test_there_is_no_import_circle() -> None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            pytest.fail("import circle: " + " → ".join([*trail[trail.index(name) :], name]))
        if name in done:
            return
        for target in sorted(GRAPH[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in GRAPH:
        visit(name, [])


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_go_one_way(name: str) -> None:
    package = name.split(".")[0]
    wrong = {t for t in GRAPH[name] if t.split(".")[0] not in ALLOWED[package] | {package}}
    assert not wrong, f"{name} imports {sorted(wrong)}"


@pytest.mark.parametrize("name", PURE)
def test_the_decision_core_imports_nothing_of_ours_but_itself(name: str) -> None:
    assert all(target in PURE for target in GRAPH[name]), GRAPH[name]
