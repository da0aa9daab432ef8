"""Vendoring GraphiQL's assets (assets/vendor.py) from a made-up node_modules tree: no
npm, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets import vendor


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    """A node_modules folder holding every file the page loads, at made-up versions."""
    root = tmp_path / "node_modules"
    for package, file in vendor.FILES.values():
        (root / package / file).parent.mkdir(parents=True, exist_ok=True)
        (root / package / file).write_text(f"/* {package} {file} */")
        (root / package / "package.json").write_text(json.dumps({"version": "1.2.3"}))
    return root


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "package-lock.json"
    path.write_text('{"lockfileVersion": 3}')
    return path


def test_copy_names_each_file_by_package_and_version(
    modules: Path, lock: Path, tmp_path: Path
) -> None:
    target = tmp_path / "vendor"
    vendor.copy(modules, target, lock)
    manifest = json.loads((target / vendor.MANIFEST).read_text())
    assert manifest["lock"] == vendor.lock_digest(lock)
    assets = manifest["assets"]
    assert set(assets) == set(vendor.FILES)
    assert assets["explorer_js"]["path"] == "@graphiql/plugin-explorer@1.2.3/dist/index.umd.js"
    assert assets["react"]["path"] == "react@1.2.3/umd/react.production.min.js"
    for asset in assets.values():
        assert asset["integrity"] == vendor.integrity(target / asset["path"])
        assert asset["integrity"].startswith("sha384-")
    assert vendor.is_current(target, lock)


def test_a_changed_lock_or_a_missing_file_is_not_current(
    modules: Path, lock: Path, tmp_path: Path
) -> None:
    target = tmp_path / "vendor"
    assert not vendor.is_current(target, lock)
    vendor.copy(modules, target, lock)
    lock.write_text('{"lockfileVersion": 3, "packages": {}}')
    assert not vendor.is_current(target, lock)
    vendor.copy(modules, target, lock)
    (target / "react@1.2.3" / "umd" / "react.production.min.js").unlink()
    assert not vendor.is_current(target, lock)


def test_a_copy_replaces_the_old_set_whole(modules: Path, lock: Path, tmp_path: Path) -> None:
    target = tmp_path / "vendor"
    vendor.copy(modules, target, lock)
    (target / "react@0.0.1").mkdir()
    vendor.copy(modules, target, lock)
    assert not (target / "react@0.0.1").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".vendor-")] == []


def test_without_npm_the_build_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(vendor.VendoringError, match="npm is needed"):
        vendor.vendor(tmp_path / "vendor")
