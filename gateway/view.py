"""The GraphQL endpoint: Strawberry's ASGI view with our context, errors, accounting
(metrics and the request log line) and clean-up."""

from __future__ import annotations

import time
from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from jewgo.db.engine import STATEMENTS
from jewgo.db.session import RequestDatabase
from jewgo.flags.decide import Subject, stickiness_key
from jewgo.flags.metrics import Observation
from jewgo.gateway import auth
from jewgo.gateway.context import build_context
from jewgo.gateway.metrics import (
    REQUEST_SECONDS,
    REQUESTS,
    RESOLVER_CALLS,
    RESOLVER_SECONDS,
    SQL_STATEMENTS,
)
from jewgo.gateway.middleware import BodyTooLarge
from jewgo.gateway.shadow import Shadow
from jewgo.gateway.versions import FORCE_HEADER, chooser, forced_version
from jewgo.gateway.wiring import Services
from jewgo.resolvers.domain import Version, Viewer
from jewgo.resolvers.errors import DomainError, RateLimited
from jewgo.schema.context import Context
from jewgo.schema.errors import INTERNAL, MASKED_MESSAGE, USER_CODES, coded

log = structlog.get_logger("jewgo.request")


class TooManyOperations(Exception):
    """A batch over MAX_BATCH_SIZE."""


class GatewayView(GraphQL[Context, None]):
    def __init__(self, services: Services, shadow: Shadow | None = None, **options: Any) -> None:
        super().__init__(services.schema, **options)
        self.services = services
        self.shadow = shadow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        started = time.perf_counter()
        statements = [0]
        counting = STATEMENTS.set(statements)
        response: Response | None = None
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._refused(request, exc.status_code, exc.reason)
        except TooManyOperations as exc:
            response = self._refused(request, 400, str(exc), code="QUERY_TOO_COMPLEX")
        except BodyTooLarge:
            raise  # BodyLimit answers 413
        except Exception:
            # Whatever escaped Strawberry: masked, coded, and logged with the request id.
            log.exception("request failed outside execution", request_id=request.state.request_id)
            response = self._refused(request, 500, MASKED_MESSAGE)
        finally:
            STATEMENTS.reset(counting)
            db: RequestDatabase | None = getattr(request.state, "db", None)
            if db is not None:
                await db.close()
            self._account(request, response, time.perf_counter() - started, statements[0])
        await response(scope, receive, send)

    def _refused(
        self, request: Request, status: int, reason: str, code: str = "BAD_USER_INPUT"
    ) -> Response:
        """Strawberry refuses malformed HTTP with plain text; we answer GraphQL-shaped."""
        request_id = request.state.request_id
        extensions: dict[str, Any] = {"code": code}
        if status >= 500:
            extensions = {"code": INTERNAL, "requestId": request_id}
        body = {
            "data": None,
            "errors": [{"message": reason, "extensions": extensions}],
            "extensions": {"requestId": request_id},
        }
        return JSONResponse(body, status_code=status)

    def _account(
        self, request: Request, response: Response | None, seconds: float, statements: int
    ) -> None:
        """Metrics per domain and per request, and one log line per GraphQL request."""
        context: Context | None = getattr(request.state, "context", None)
        if context is None or request.method not in ("GET", "POST"):
            return
        if request.method == "GET" and context.operation_type is None and not context.error_codes:
            return  # GraphiQL's page, not an operation
        metrics = self.services.metrics
        for domain, use in context.router.uses.items():
            version = use.version.value
            metrics.record(Observation(domain.value, version, use.seconds, use.internal_error))
            RESOLVER_CALLS.labels(domain.value, version, use.outcome).inc()
            RESOLVER_SECONDS.labels(domain.value, version).observe(use.seconds)
        codes = sorted(set(context.error_codes))
        outcome = (
            "internal_error"
            if INTERNAL in codes
            else "user_error"
            if any(code in USER_CODES for code in codes)
            else "ok"
        )
        REQUESTS.labels(context.operation_type or "unknown", outcome).inc()
        REQUEST_SECONDS.observe(seconds)
        SQL_STATEMENTS.observe(statements)
        operation = getattr(request.state, "operation", None)
        if self.shadow is not None and isinstance(operation, GraphQLRequestData):
            self.shadow.consider(
                context, operation.query, operation.variables, getattr(request.state, "data", None)
            )
        log.info(
            "graphql request",
            request_id=context.request_id,
            user_id=context.viewer.id if context.viewer is not None else None,
            operation=context.operation_name,
            type=context.operation_type,
            versions=context.router.versions,
            duration_ms=round(seconds * 1000, 2),
            errors=codes,
            status=response.status_code if response is not None else 500,
            sql_statements=statements,
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self.services
        db = RequestDatabase(services.engine)
        request.state.db = db
        refusal: DomainError | None = None
        viewer: Viewer | None = None
        forced: Version | None = None
        address = request.client.host if request.client is not None else None
        try:
            await self._within_rate(request, response, address)
            viewer = await auth.viewer(
                services.tokens, request.headers.get("authorization"), db.reads
            )
            forced = forced_version(request.headers.get(FORCE_HEADER), viewer)
        except DomainError as exc:
            refusal = exc
        except Exception:  # the database is away (or worse): refuse, masked
            log.exception("could not identify the caller", request_id=request.state.request_id)
            refusal = DomainError(MASKED_MESSAGE)
        snapshot = services.flags.snapshot
        user_id = viewer.id if viewer is not None else None
        subject = Subject(
            user_id=user_id,
            staff=viewer is not None and viewer.is_staff,
            key=stickiness_key(user_id, request.headers.get("x-client-id"), address),
            salt=snapshot.salt,
        )
        context = build_context(
            services,
            db,
            request_id=request.state.request_id,
            viewer=viewer,
            subject=subject,
            snapshot=snapshot,
            chooser=chooser(forced, snapshot, subject),
            refusal=refusal,
        )
        request.state.context = context
        return context

    async def execute_operation(
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        request.state.operation = request_data  # for the shadow, after the response
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def _within_rate(
        self, request: Request | WebSocket, response: Any, address: str | None
    ) -> None:
        """RATE_LIMITED (HTTP 429, Retry-After) past the client's share of the minute."""
        limiter = self.services.limiter
        if not limiter.enabled:
            return
        client = f"address:{address}"
        try:
            token = auth.bearer(request.headers.get("authorization"))
            if token is not None:
                client = f"user:{self.services.tokens.subject(token)}"
        except DomainError:
            pass  # a bad token is refused next, and counted by address meanwhile
        allowed, retry_after = await limiter.allow(client)
        if not allowed:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
            raise RateLimited(f"Too many requests; try again in {retry_after} s")

    async def parse_http_body(self, request: Any) -> Any:
        try:
            parsed = await super().parse_http_body(request)
        except (AttributeError, TypeError) as exc:
            # A JSON body that is neither an object nor a list of objects.
            raise HTTPException(
                400, "The request body must be a JSON object (or a list of them)"
            ) from exc
        limit = self.services.settings.max_batch_size
        if isinstance(parsed, list) and len(parsed) > limit:
            raise TooManyOperations(f"A batch may hold at most {limit} operations")
        return parsed

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request.state.data = result.data
        if result.errors:
            # Errors raised around execution (a failing extension hook) skip ErrorCodes.
            context: Context | None = getattr(request.state, "context", None)
            codes = context.error_codes if context is not None else []
            details = context.detailed_errors if context is not None else False
            result.errors = [
                coded(e, request.state.request_id, codes, details=details) for e in result.errors
            ]
        return await super().process_result(request, result)
