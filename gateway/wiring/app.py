"""The Starlette application factory and its lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.routing import Route

from jewgo.gateway.console import app as console
from jewgo.gateway.console.watch import Watch
from jewgo.gateway.execution.runs import OperationRunner
from jewgo.gateway.http import cors, health, internal
from jewgo.gateway.http.cors import Cors
from jewgo.gateway.http.graphiql import LocalGraphiQL
from jewgo.gateway.http.middleware import BodyLimit, RequestIds
from jewgo.gateway.http.view import GatewayView
from jewgo.gateway.settings import Settings, load_settings
from jewgo.gateway.telemetry.logs import configure
from jewgo.gateway.telemetry.loop_lag import watching
from jewgo.gateway.telemetry.metrics import metrics_endpoint
from jewgo.gateway.wiring.services import Services, bootstrap

log = structlog.get_logger("jewgo.app")


def create_app(
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    services: Services | None = None,
) -> Starlette:
    """The gateway for `settings` (read from the environment when omitted).

    `environ` holds the flag environment variables (API_V4_…); os.environ when omitted.
    """
    settings = settings or load_settings()
    configure(settings.log_level, settings.log_format)
    services = services or bootstrap(settings, environ)

    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    operators = [
        Route("/ready", internal.behind_token(services.readiness.ready, token)),
        Route(
            "/metrics",
            internal.behind_token(
                metrics_endpoint(services.flags, services.operators.gauges), token
            ),
        ),
    ]
    listener = (
        internal.InternalListener(Starlette(routes=operators), settings.host, settings.metrics_port)
        if settings.metrics_port is not None
        else None
    )

    # GraphiQL's page and assets from this process, so it works with no internet.
    graphiql = (
        LocalGraphiQL() if settings.graphiql and settings.graphiql_assets == "local" else None
    )
    view = GatewayView(
        services.schema,
        identifier=services.identifier,
        flags=services.flags,
        contexts=services.contexts,
        accounting=services.accounting,
        runner=OperationRunner(services.persisted, services.registry),
        demand=services.demand,
        max_batch_size=settings.max_batch_size,
        max_json_depth=settings.max_json_depth,
        cdn_max_age=settings.cdn_max_age_seconds,
        ttls=settings.cache_ttls,
        graphql_ide="graphiql" if settings.graphiql else None,
        graphiql_page=graphiql.page if graphiql is not None else None,
        responses=services.responses,
    )
    operator_console = _console(settings, services, view) if settings.console else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        if listener is not None:
            await listener.start()
        if operator_console is not None:
            await operator_console[0].start()
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        log.info(
            "gateway started",
            database=services.engine.url.render_as_string(hide_password=True),
            redis=bool(services.redis),
            flags_revision=services.flags.snapshot.revision,
        )
        try:
            async with watching():  # event-loop lag, for as long as the app serves
                yield
        finally:
            if operator_console is not None:
                await operator_console[1].close()
                await operator_console[0].stop()
            if listener is not None:
                await listener.stop()
            await services.close()
            if settings.gc_freeze:
                gc.unfreeze()

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            *(graphiql.routes if graphiql is not None else []),
            Route("/health", health.health),
            *(operators if listener is None else []),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.shadow = services.shadow
    # The last added is the outermost: every response has a request id, even a refused
    # oversized body, and a browser on an allowed origin can read a 413 or a 429 too.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.origins:
        app.add_middleware(
            Cors,
            allow_origins=settings.origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST"],
            allow_headers=cors.ALLOWED_HEADERS,
            expose_headers=cors.EXPOSED_HEADERS,
        )
    app.add_middleware(RequestIds)
    return app


def _console(
    settings: Settings, services: Services, view: GatewayView
) -> tuple[internal.InternalListener, Watch]:
    """The operator console on its own port (and so its own origin)."""
    app, watch = console.build(
        services.engine,
        services.tokens,
        view,
        link_minutes=settings.console_link_minutes,
        session_seconds=settings.console_session_seconds,
        watch_seconds=settings.console_watch_seconds,
        max_body_bytes=settings.max_body_bytes,
    )
    port = console.port_of(settings.port, settings.console_port)
    return internal.InternalListener(app, settings.host, port, name="console"), watch


def app_from_environment() -> Starlette:
    """For `uvicorn --factory` and `jewgo serve` workers: settings from the environment."""
    return create_app(load_settings())
