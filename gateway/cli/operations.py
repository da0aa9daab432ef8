"""`jewgo operations list|import|export`: the operation registry, and Apollo's persisted
query manifest for the safelist workflow (record in staging, export, import in
production with PERSISTED_QUERIES=safelist)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.gateway.cli.failures import write
from jewgo.gateway.cli.runtime import settings as read_settings
from jewgo.gateway.cli.runtime import with_engine
from jewgo.gateway.operations import manifest
from jewgo.gateway.operations.registry import OperationRegistry, RegisteredOperation

PAGE = 500


async def everything(registry: OperationRegistry) -> list[RegisteredOperation]:
    found: list[RegisteredOperation] = []
    while True:
        page = await registry.listing(PAGE, found[-1].hash if found else None)
        found += page
        if len(page) < PAGE:
            return found


@click.group()
def operations() -> None:
    """The operation registry: list it, import and export Apollo manifests."""


@operations.command("list")
def operations_list() -> None:
    """Every registered operation: id, type, name, runs, last seen."""

    async def run(engine: AsyncEngine) -> list[RegisteredOperation]:
        return await everything(OperationRegistry(engine))

    found = with_engine(read_settings(), run, existing=True)
    lines = [f"{'id':<16} {'type':<12} {'runs':>8}  {'last seen':<20} name"]
    for op in found:
        seen = op.last_seen.isoformat(timespec="seconds")
        lines.append(f"{op.hash[:16]} {op.type:<12} {op.count:>8}  {seen:<20} {op.name or '-'}")
    click.echo("\n".join(lines) if found else "no operations registered")


@operations.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def operations_export(output: Path | None) -> None:
    """Write the registry as an Apollo persisted query manifest (stdout by default)."""

    async def run(engine: AsyncEngine) -> list[RegisteredOperation]:
        return await everything(OperationRegistry(engine))

    text = manifest.write(with_engine(read_settings(), run, existing=True))
    if output is None:
        sys.stdout.write(text)
    else:
        write(output, text)


@operations.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def operations_import(path: Path) -> None:
    """Register every operation of an Apollo persisted query manifest; nothing is
    registered unless the whole file is valid."""
    try:
        entries = manifest.read(path.read_text(encoding="utf-8"))
    except (manifest.ManifestError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"BAD_USER_INPUT: {path} is not a manifest: {exc}") from None

    async def run(engine: AsyncEngine) -> int:
        registry = OperationRegistry(engine)
        return await registry.add([(e.body, e.name, e.type) for e in entries])

    added = with_engine(read_settings(), run, existing=True)
    click.echo(f"{len(entries)} operations in the manifest, {added} new in the registry")
