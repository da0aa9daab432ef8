"""The GraphQL endpoint: Strawberry's ASGI view, with a door for each concern.

Per request: `Identifier` says who calls, `RequestDecisions` what the flags decide,
`ContextFactory` builds the context, and `Accounting` records the outcome once. The view
itself only refuses malformed HTTP GraphQL-shaped and cleans up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import strawberry
import structlog
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from jewgo.db.engine import STATEMENTS
from jewgo.db.session import RequestDatabase
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.sync import Flags
from jewgo.gateway import bodies
from jewgo.gateway.accounting import Accounting, Operation
from jewgo.gateway.context import ContextFactory
from jewgo.gateway.identity import Identifier
from jewgo.gateway.middleware import BodyTooLarge
from jewgo.schema.context import Context
from jewgo.schema.errors import INTERNAL, MASKED_MESSAGE, coded

log = structlog.get_logger("jewgo.request")


class AsciiJSONResponse(JSONResponse):
    """JSON with everything outside ASCII escaped: a refusal may echo what the client sent,
    lone surrogates included, which UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


class TooManyOperations(Exception):
    """A batch over MAX_BATCH_SIZE."""


class GatewayView(GraphQL[Context, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        identifier: Identifier,
        flags: Flags,
        contexts: ContextFactory,
        accounting: Accounting,
        max_batch_size: int,
        max_json_depth: int = 32,
        graphiql_page: Callable[[], Response] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self._graphiql_page = graphiql_page
        self._identifier = identifier
        self._flags = flags
        self._contexts = contexts
        self._accounting = accounting
        self._max_batch_size = max_batch_size
        self._max_json_depth = max_json_depth

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
        except ClientDisconnect:
            # The client went away before its body arrived: nobody to answer, nothing wrong.
            log.info("client disconnected", request_id=request.state.request_id)
            return
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
        return AsciiJSONResponse(body, status_code=status)

    def _account(
        self, request: Request, response: Response | None, seconds: float, statements: int
    ) -> None:
        context: Context | None = getattr(request.state, "context", None)
        if context is None or request.method not in ("GET", "POST"):
            return
        if request.method == "GET" and context.operation_type is None and not context.error_codes:
            return  # GraphiQL's page, not an operation
        sent = getattr(request.state, "operation", None)
        operation = None
        if isinstance(sent, GraphQLRequestData):
            operation = Operation(sent.query, sent.variables, getattr(request.state, "data", None))
        self._accounting.request(
            context,
            status=response.status_code if response is not None else 500,
            seconds=seconds,
            statements=statements,
            operation=operation,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (local assets) when given, else Strawberry's (a CDN's)."""
        if self._graphiql_page is not None:
            return self._graphiql_page()
        return await super().render_graphql_ide(request)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        db = RequestDatabase(self._contexts.engine)
        request.state.db = db
        request_id: str = request.state.request_id
        snapshot = self._flags.snapshot
        identity = await self._identifier.identify(
            request.headers,
            request.client.host if request.client is not None else None,
            db.reads,
            salt=snapshot.salt,
            request_id=request_id,
        )
        if identity.retry_after is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(identity.retry_after)
        context = self._contexts.build(
            db,
            request_id=request_id,
            viewer=identity.viewer,
            decisions=RequestDecisions(snapshot, identity.subject, identity.forced),
            refusal=identity.refusal,
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

    def decode_json(self, data: str | bytes) -> object:
        return bodies.decode(data, max_depth=self._max_json_depth)

    async def parse_http_body(self, request: Any) -> Any:
        try:
            parsed = await super().parse_http_body(request)
        except (AttributeError, TypeError) as exc:
            # A JSON body that is neither an object nor a list of objects.
            raise HTTPException(
                400, "The request body must be a JSON object (or a list of them)"
            ) from exc
        if isinstance(parsed, list) and len(parsed) > self._max_batch_size:
            raise TooManyOperations(f"A batch may hold at most {self._max_batch_size} operations")
        for operation in parsed if isinstance(parsed, list) else [parsed]:
            bodies.check_operation_name(operation.operation_name)
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
