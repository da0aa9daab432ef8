"""Every import is declared, and the lock files hold what pyproject.toml declares.

A plain `pip install .` installs `[project.dependencies]` and nothing else, so a module of the
package that imports a distribution declared only among the test extras (or not at all)
breaks every installed `jewgo`. And `make run` / `make test` install exactly the lock files:
a bound changed in pyproject.toml without `make lock` would go untested.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("db", "flags", "gateway", "resolvers", "schema", "jewgo")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
TEST = [Requirement(line) for line in PROJECT["optional-dependencies"]["test"]]
LOCKS = {"requirements.lock": RUNTIME, "requirements-test.lock": RUNTIME + TEST}


def product_modules() -> Iterator[Path]:
    for package in PRODUCT:
        yield from sorted((ROOT / package).rglob("*.py"))


def imported_tops(path: Path) -> set[str]:
    """The top-level names of every absolute import in `path`, at any depth of the code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def provided_by(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


@cache
def distributions() -> dict[str, list[str]]:
    """Which installed distributions provide each importable top-level name."""
    return dict(packages_distributions())


def undeclared(tops: set[str], declared: set[str]) -> set[str]:
    return {
        top
        for top in tops
        if top not in sys.stdlib_module_names
        and top not in {"__future__", "jewgo"}
        and not {canonicalize_name(d) for d in distributions().get(top, [])} & declared
    }


def test_every_third_party_import_of_the_package_is_a_declared_runtime_dependency() -> None:
    declared = provided_by(RUNTIME)
    missing = {
        f"{top} ({path.relative_to(ROOT)})"
        for path in product_modules()
        for top in undeclared(imported_tops(path), declared)
    }
    assert not missing, f"imported but not in [project.dependencies]: {sorted(missing)}"


def test_the_import_check_fails_on_a_test_only_or_unknown_import() -> None:
    declared = provided_by(RUNTIME)
    # pytest is installed here (a test extra), but not a runtime dependency.
    assert undeclared({"pytest", "surely_no_such_module", "asyncio", "sqlalchemy"}, declared) == {
        "pytest",
        "surely_no_such_module",
    }


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    unbounded = []
    for requirement in RUNTIME + TEST:
        if requirement.name.startswith("types-"):
            continue  # stubs follow their library; mypy reads whatever is locked
        operators = {spec.operator for spec in requirement.specifier}
        has_upper = bool(operators & {"<", "<=", "~=", "=="})
        has_lower = bool(operators & {">", ">=", "~=", "=="})
        if not (has_upper and has_lower):
            unbounded.append(str(requirement))
    assert not unbounded


def locked(name: str) -> dict[str, tuple[str, list[str], list[str]]]:
    """package → (version, its hashes, what it is there for) of a pip-compile lock file."""
    text = (ROOT / name).read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str], list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = re.match(r"([A-Za-z0-9_.\-]+)==([^\s\\]+)", block)
        if head is None:
            continue
        via = re.findall(r"#\s+(?:via\s+)?(\S.*)", block)
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
        entries[canonicalize_name(head.group(1))] = (head.group(2), hashes, via)
    return entries


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_lock_file_pins_every_declared_dependency_within_its_bounds(name: str) -> None:
    entries = locked(name)
    assert entries, f"{name} is empty"
    stale = []
    for requirement in LOCKS[name]:
        key = canonicalize_name(requirement.name)
        if key not in entries:
            stale.append(f"{requirement} is not locked")
        elif entries[key][0] not in requirement.specifier:
            stale.append(f"{requirement} but {entries[key][0]} is locked")
    assert not stale, f"{name} is stale, run `make lock`: {stale}"


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_lock_file_holds_nothing_that_is_no_longer_declared(name: str) -> None:
    declared = provided_by(LOCKS[name])
    direct = {
        package
        for package, (_, _, via) in locked(name).items()
        if any("jewgo-gateway (pyproject.toml)" in reason for reason in via)
    }
    assert direct == declared, f"{name} is stale, run `make lock`"


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_every_locked_version_is_checked_by_its_hash(name: str) -> None:
    assert all(hashes for _, hashes, _ in locked(name).values())


def test_the_two_locks_agree_on_every_version_they_share() -> None:
    runtime, test = locked("requirements.lock"), locked("requirements-test.lock")
    assert runtime.keys() <= test.keys()
    assert {k: v[0] for k, v in runtime.items()} == {k: test[k][0] for k in runtime}
