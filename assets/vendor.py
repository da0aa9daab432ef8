"""Vendoring: GraphiQL's browser assets, from the npm registry into the package.

`npm ci` installs exactly what package-lock.json pins into assets/node_modules/; the files
GraphiQL's page loads are copied into gateway/static/vendor/ with a manifest.json that
names each one's path (its package and version), its SRI hash and the lock file it came
from. Both folders are git-ignored: no third-party file is committed, yet the wheel ships
everything the server serves. `make` runs this file; setup.py's build step (`pip install .`,
`pip wheel .`) calls `vendor()`, which does nothing while the vendored set matches the lock.

Standard library only: it runs inside pip's isolated build environment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCK = HERE / "package-lock.json"
TARGET = HERE.parent / "gateway" / "static" / "vendor"
MANIFEST = "manifest.json"

# What GraphiQL's page loads, by the name the page uses: (npm package, file inside it).
# The same files as Strawberry's page takes from a CDN, byte for byte (a test compares
# their hashes with the page's SRI attributes).
FILES: dict[str, tuple[str, str]] = {
    "react": ("react", "umd/react.production.min.js"),
    "react_dom": ("react-dom", "umd/react-dom.production.min.js"),
    "graphiql_css": ("graphiql", "graphiql.min.css"),
    "graphiql_js": ("graphiql", "graphiql.min.js"),
    "explorer_css": ("@graphiql/plugin-explorer", "dist/style.css"),
    "explorer_js": ("@graphiql/plugin-explorer", "dist/index.umd.js"),
}

NO_NPM = (
    "npm is needed to build jewgo-gateway: GraphiQL's assets are installed from the npm "
    "registry with `npm ci` (assets/package-lock.json pins them) and shipped inside the "
    "package. Install Node.js and npm (Debian: `apt-get install npm`), then build again."
)


class VendoringError(RuntimeError):
    """The assets could not be installed; the message says what to do."""


def lock_digest(lock: Path = LOCK) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def integrity(path: Path) -> str:
    """The file's Subresource Integrity value, as browsers check it."""
    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def is_current(target: Path = TARGET, lock: Path = LOCK) -> bool:
    """Whether `target` holds every file, vendored from this very lock file."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    assets = manifest.get("assets", {})
    return (
        manifest.get("lock") == lock_digest(lock)
        and set(assets) == set(FILES)
        and all((target / asset["path"]).is_file() for asset in assets.values())
    )


def npm_ci(folder: Path = HERE) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendoringError(NO_NPM)
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        # Scripts stay off: nothing here needs an install script, and none should run.
        subprocess.run(command, cwd=folder, check=True, stdout=sys.stderr)
    except subprocess.CalledProcessError as exc:
        raise VendoringError(
            f"`npm ci` failed in {folder} (exit {exc.returncode}); its output is above. "
            "The npm registry must be reachable, and package-lock.json match package.json."
        ) from exc


def copy(modules: Path, target: Path, lock: Path = LOCK) -> None:
    """Copies the page's files from `modules` into `target`, replacing it whole."""
    assets: dict[str, dict[str, str]] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and swapped in, so a failed run never leaves half a set.
    staging = Path(tempfile.mkdtemp(prefix=".vendor-", dir=target.parent))
    try:
        for name, (package, file) in FILES.items():
            about = json.loads((modules / package / "package.json").read_text(encoding="utf-8"))
            # The version is in the path: a new version is a new URL, so browsers may cache
            # each file for good.
            relative = f"{package}@{about['version']}/{file}"
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(modules / package / file, staging / relative)
            assets[name] = {"path": relative, "integrity": integrity(staging / relative)}
        manifest = {"lock": lock_digest(lock), "assets": assets}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def vendor(target: Path = TARGET, *, force: bool = False) -> bool:
    """Installs and copies the assets unless `target` is current; True when it did."""
    if not force and is_current(target):
        return False
    npm_ci(HERE)
    copy(HERE / "node_modules", target)
    return True


def main(argv: list[str]) -> int:
    force = "--force" in argv
    try:
        done = vendor(force=force)
    except VendoringError as exc:
        print(f"assets/vendor.py: {exc}", file=sys.stderr)
        return 1
    where = TARGET.relative_to(HERE.parent)
    print(f"GraphiQL assets {'vendored into' if done else 'already current in'} {where}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
