"""The wheel holds every package of ours: pyproject.toml lists each folder with an
`__init__.py` under the design card's folders (setuptools' package-dir mapping does not
find them by itself), so a new room cannot be left out of what ships."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    found = set()
    for name, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            if "__pycache__" in relative.parts or "node_modules" in relative.parts:
                continue
            found.add(".".join([name, *relative.parts]))
    assert found == set(SETUPTOOLS["packages"])


def test_the_unit_and_integration_tiers_mirror_the_tree() -> None:
    """Each of their folders is a folder of the product (tests/unit/gateway/http/ tests
    gateway/http/); only the project's own tests sit at a tier's top."""
    product = {Path(folder) for folder in SETUPTOOLS["package-dir"].values()}
    for tier in ("unit", "integration"):
        top = ROOT / "tests" / tier
        for test in top.rglob("test_*.py"):
            folder = test.parent.relative_to(top)
            if folder == Path("."):
                continue
            assert Path(*folder.parts[:1]) in product, test
            assert (ROOT / folder).is_dir(), f"{test}: no {folder}/ in the product"
