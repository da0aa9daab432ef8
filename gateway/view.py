"""The GraphQL endpoint: Strawberry's ASGI view, with a door for each concern.

Per request: `Identifier` says who calls, `RequestDecisions` what the flags decide,
`ContextFactory` builds the context, `Demand` weighs the operations' cost before any
runs, and `Accounting` records the outcome once. The view itself only refuses malformed
HTTP GraphQL-shaped and cleans up.
"""

from __future__ import annotations

import time
from typing import Any

import strawberry
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
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.sync import Flags
from jewgo.gateway.accounting import Accounting, Operation
from jewgo.gateway.context import ContextFactory
from jewgo.gateway.demand import Demand, asks_for_cost
from jewgo.gateway.identity import Identifier
from jewgo.gateway.middleware import BodyTooLarge
from jewgo.schema.context import Context
from jewgo.schema.errors import INTERNAL, MASKED_MESSAGE, coded

log = structlog.get_logger("jewgo.request")


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
        demand: Demand,
        max_batch_size: int,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self._identifier = identifier
        self._flags = flags
        self._contexts = contexts
        self._accounting = accounting
        self._demand = demand
        self._max_batch_size = max_batch_size

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
        request.state.client = identity.client
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
        operations = request_data if isinstance(request_data, list) else [request_data]
        retry_after = await self._demand.admit(
            context, operations, client=request.state.client, report=asks_for_cost(request.headers)
        )
        if retry_after is not None:  # the cost budget is spent: refused like too many requests
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(retry_after)
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

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
