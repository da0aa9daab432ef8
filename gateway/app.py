"""The Starlette application factory and its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.routing import Route

from jewgo.gateway import health
from jewgo.gateway.logs import configure
from jewgo.gateway.metrics import metrics_endpoint
from jewgo.gateway.middleware import BodyLimit, RequestIds
from jewgo.gateway.settings import Settings
from jewgo.gateway.view import GatewayView
from jewgo.gateway.wiring import Services, bootstrap

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
    settings = settings or Settings()
    configure(settings.log_level, settings.log_format)
    services = services or bootstrap(settings, environ)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        log.info(
            "gateway started",
            database=services.engine.url.render_as_string(hide_password=True),
            redis=bool(services.redis),
            flags_revision=services.flags.snapshot.revision,
        )
        try:
            yield
        finally:
            await services.close()

    view = GatewayView(
        services.schema,
        identifier=services.identifier,
        flags=services.flags,
        contexts=services.contexts,
        accounting=services.accounting,
        demand=services.demand,
        max_batch_size=settings.max_batch_size,
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/health", health.health),
            Route("/ready", services.readiness.ready),
            Route("/metrics", metrics_endpoint(services.flags)),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.shadow = services.shadow
    # Outermost first: every response has a request id, even a refused oversized body.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIds)
    return app


def app_from_environment() -> Starlette:
    """For `uvicorn --factory` and `jewgo serve` workers: settings from the environment."""
    return create_app(Settings())
