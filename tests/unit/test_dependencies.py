"""What each layer may know, read from the source: the import graph is the specification.

Imports are collected with `ast` (those under `if TYPE_CHECKING:` included) and followed
through our own modules, so a module cannot borrow SQLAlchemy or Strawberry through a
neighbour either.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from functools import cache
from pathlib import Path

import pytest

import jewgo.db
import jewgo.resolvers
import jewgo.resolvers.v4

OURS = "jewgo"


def _source(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # a name inside a module, not a module
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _parents(module: str) -> list[str]:
    """The packages that importing `module` runs first (`a.b.c` → `a`, `a.b`)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Every module `module` names in an import statement, anywhere in its source."""
    path = _source(module)
    if path is None:
        return frozenset()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            # `from package import module` imports a module, not only a name.
            found.update(
                f"{base}.{alias.name}"
                for alias in node.names
                if base.startswith(OURS) and _source(f"{base}.{alias.name}") is not None
            )
    return frozenset(found)


def imports(module: str) -> set[str]:
    """`module`'s imports, followed through every module of ours that it reaches."""
    seen: set[str] = set()
    todo = [module, *_parents(module)]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current == OURS or current.startswith(OURS + "."):
            for name in direct_imports(current):
                todo.extend([name, *_parents(name)])
    seen.discard(module)
    return seen


def uses(found: set[str], library: str) -> bool:
    return any(name == library or name.startswith(library + ".") for name in found)


def modules_of(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    prefix = package.__name__ + "."  # type: ignore[attr-defined]
    return sorted(info.name for info in pkgutil.walk_packages(path, prefix))


def _is_sql_adapter(module: str) -> bool:
    return module.rpartition(".")[2].startswith("sql")


V4_BEYOND_SQL = [m for m in modules_of(jewgo.resolvers.v4) if not _is_sql_adapter(m)]
BELOW_SCHEMA = modules_of(jewgo.resolvers) + modules_of(jewgo.db)


def test_the_graph_is_read_at_all() -> None:
    """The rules below would pass vacuously if the graph were empty."""
    assert uses(imports("jewgo.resolvers.v4.sql"), "sqlalchemy")
    assert uses(imports("jewgo.gateway.request.context"), "strawberry")
    assert "jewgo.resolvers.domain" in imports("jewgo.resolvers.ports")


@pytest.mark.parametrize("module", V4_BEYOND_SQL)
def test_only_the_sql_adapters_of_v4_know_sqlalchemy(module: str) -> None:
    """Services, loaders, cache and fakes speak the ports' language: they cannot parse a
    driver's message because they cannot see the driver."""
    assert not uses(imports(module), "sqlalchemy")


@pytest.mark.parametrize("module", BELOW_SCHEMA)
def test_nothing_below_the_schema_knows_strawberry_or_starlette(module: str) -> None:
    """STYLE point 3; the DataLoader class is handed to the loaders from above."""
    found = imports(module)
    assert not uses(found, "strawberry")
    assert not uses(found, "starlette")
