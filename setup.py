"""Build hook: GraphiQL's assets are vendored before setuptools collects package data.

Everything else is in pyproject.toml. A plain `pip install .` or `pip wheel .` of a clean
checkout runs `npm ci` with the committed lock file (assets/vendor.py) when
gateway/static/vendor/ is absent or stale, so the wheel ships what the server serves;
without npm the build stops with a message that says so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _vendoring() -> ModuleType:
    # Loaded by path: the build backend does not put the source tree on sys.path.
    spec = importlib.util.spec_from_file_location("jewgo_vendor", HERE / "assets" / "vendor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithAssets(build_py):
    """build_py that vendors the assets first (editable installs included)."""

    def run(self) -> None:
        vendoring = _vendoring()
        try:
            vendoring.vendor()
        except vendoring.VendoringError as exc:
            raise SystemExit(f"error: {exc}") from None
        # Package data is globbed lazily; forget any list made before the files existed.
        self.__dict__.pop("data_files", None)
        super().run()


setup(cmdclass={"build_py": BuildWithAssets})
