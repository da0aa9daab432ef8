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
from jewgo.gateway.cli.runtime import settings as read_settings
from jewgo.gateway.cli.runtime import with_engine
from jewgo.gateway.request.auth import MissingSecret, resolve_secret
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
    # The protocol of every worker reads its limits from here (see gateway.http.protocol).
    os.environ["HTTP_MAX_HEADER_BYTES"] = str(settings.http_max_header_bytes)
    os.environ["HTTP_HEADER_TIMEOUT_SECONDS"] = str(settings.http_header_timeout_seconds)
    os.environ["HTTP_BODY_TIMEOUT_SECONDS"] = str(settings.http_body_timeout_seconds)
    if host is not None:  # the internal listener (METRICS_PORT) binds the same interface
        os.environ["HOST"] = host
    if port is not None:  # the console binds the next port unless CONSOLE_PORT says
        os.environ["PORT"] = str(port)
    descriptors(settings.max_connections)
    from jewgo.gateway.http.protocol import GuardedProtocol

    trusted = settings.forwarded_allow_ips.strip()
    uvicorn.run(
        "jewgo.gateway.wiring.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="on",
        http=GuardedProtocol,
        timeout_keep_alive=int(settings.http_keep_alive_seconds),
        limit_concurrency=settings.max_connections,
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: only named proxies here.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def descriptors(connections: int) -> None:
    """Open-file limit up to what MAX_CONNECTIONS needs (and the hard limit allows), so the
    concurrency limit answers 503 before the process runs out of descriptors."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections * 2 + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
