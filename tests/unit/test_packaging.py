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
