"""`jewgo serve`: the gateway under uvicorn, the database migrated (and seeded) first."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import click
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from jewgo.db import migrate, seed
from jewgo.flags import env as flag_env
from jewgo.gateway.auth import MissingSecret, resolve_secret
from jewgo.gateway.cli.runtime import settings as read_settings
from jewgo.gateway.cli.runtime import with_engine
from jewgo.gateway.settings import Settings

log = structlog.get_logger("jewgo.cli")


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """Migrate; on the embedded database also seed it when it is empty (first start)."""
    await migrate.upgrade(engine)
    if settings.embedded and await seed.is_empty(engine):
        data = await seed.load(engine, settings.seed_scale)
        log.info(
            "seeded the embedded database",
            restaurants=len(data.restaurants),
            reviews=len(data.reviews),
            users=len(data.users),
        )


@click.command()
@click.option("--host", default=None, help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Bring the database to the newest schema first.",
)
def serve(host: str | None, port: int | None, workers: int, migrate: bool) -> None:
    """Serve GraphQL on /graphql (GraphiQL in a browser), /health, /ready."""
    import uvicorn

    settings = read_settings()
    # Refuse here, once, what every worker would refuse again and again.
    try:
        flag_env.parse(os.environ)
        resolve_secret(settings)
    except (flag_env.FlagEnvironmentError, MissingSecret) as exc:
        raise click.ClickException(str(exc)) from exc
    if migrate:
        with_engine(settings, lambda engine: prepare_database(settings, engine))
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every worker writes its Prometheus samples here, and /metrics adds them up.
        metrics_dir = tempfile.mkdtemp(prefix="jewgo-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
    uvicorn.run(
        "jewgo.gateway.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
