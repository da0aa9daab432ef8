"""The GraphQL endpoint: Strawberry's ASGI view, with a door for each concern.

Per HTTP request: `Identifier` says who calls and `RequestDecisions` what the flags
decide, once. Each operation (one, or each of a batch) gets a context of its own from
`ContextFactory` (its own request id, versions, errors) and is recorded by `Accounting`
once. The view itself negotiates the media type, refuses malformed HTTP GraphQL-shaped
and cleans up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, cast

import strawberry
import structlog
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from jewgo.db.engine import STATEMENTS
from jewgo.flags.admin.sync import Flags
from jewgo.gateway.execution.accounting import Accounting
from jewgo.gateway.execution.runs import Executed, OperationRunner, ProtocolAnswer
from jewgo.gateway.http import media
from jewgo.gateway.http.refusals import refusal_for, refused
from jewgo.gateway.http.state import RequestState
from jewgo.gateway.operations.persisted import PersistedQueryError
from jewgo.gateway.request import bodies
from jewgo.gateway.request.bodies import BodyTooLarge, TooManyOperations
from jewgo.gateway.request.callers import Callers
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.request.demand import Demand, asks_for_cost
from jewgo.gateway.request.identity import Identifier, Identity
from jewgo.gateway.response_cache import cdn, fast_path
from jewgo.gateway.response_cache.door import Found, ResponseDoor, StoredResult
from jewgo.schema.context import Context
from jewgo.schema.extensions.errors import MASKED_MESSAGE, coded_all

log = structlog.get_logger("jewgo.request")
Execute = Callable[[Context, GraphQLRequestData], Awaitable[ExecutionResult]]


class Stored(dict[str, Any]):
    """A HIT's processed result: the stored answer's bytes, written as they are (Strawberry
    passes processed results on to `create_response` as dicts)."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body


class GatewayView(GraphQL[Context, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        identifier: Identifier,
        flags: Flags,
        contexts: ContextFactory,
        accounting: Accounting,
        runner: OperationRunner,
        demand: Demand,
        max_batch_size: int,
        max_json_depth: int = 32,
        cdn_max_age: int = 60,
        ttls: Mapping[str, float] | None = None,
        graphiql_page: Callable[[], Response] | None = None,
        responses: ResponseDoor | None = None,
        **options: Any,
    ) -> None:
        """`ttls`: each domain's v4 cache TTL (bounds a CDN's max-age); `responses`: the
        response cache (None: off)."""
        super().__init__(schema, **options)
        self._graphiql_page = graphiql_page
        self._callers = Callers(identifier, flags, contexts)
        self._accounting = accounting
        self._runner = runner
        self._demand = demand
        self._max_batch_size = max_batch_size
        self._max_json_depth = max_json_depth
        self._cdn_max_age = cdn_max_age
        self._ttls = dict(ttls or {})
        self._responses = responses
        self._early = (
            fast_path.FastPath(responses, self._callers.identify, self.decode_json)
            if responses is not None
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        state = RequestState.of(scope)
        headers = state.headers = fast_path.header_map(scope)
        kind = state.media = media.negotiate(headers.get("accept"))
        request_id = state.request_id
        method: str = scope["method"]
        started = time.perf_counter()
        statements = [0]
        counting = STATEMENTS.set(statements)
        response: Response | None = None
        hit: fast_path.Hit | None = None
        try:
            if self._early is not None and method == "POST":
                hit = await self._early.answer(scope, receive, headers, request_id, state.early)
            if hit is None:  # Strawberry's turn (a body read above is given again)
                body, state.early.body = state.early.body, None
                given = receive if body is None else fast_path.replaying(body, receive)
                request = Request(scope, given)
                response = await self.run(request)
                if method == "GET":
                    response = cdn.for_caches(
                        request, response, state.executed, self._cdn_max_age, self._ttls
                    )
        except (HTTPException, TooManyOperations, ProtocolAnswer) as exc:
            response = refusal_for(exc, request_id, kind)
        except BodyTooLarge:
            raise  # BodyLimit answers 413
        except ClientDisconnect:
            # The client went away before its body arrived: nobody to answer, nothing wrong.
            log.info("client disconnected", request_id=request_id)
            return
        except Exception:
            # Whatever escaped Strawberry: masked, coded, and logged with the request id.
            log.exception("request failed outside execution", request_id=request_id)
            hit, response = None, refused(request_id, kind, 500, MASKED_MESSAGE)
            identified = state.early.identified
            if identified is not None and state.context is None:  # the fast path's caller
                state.context = self._callers.context(identified, request_id)
        finally:
            STATEMENTS.reset(counting)
            if (identified := state.early.identified) is not None:
                await identified.db.close()
            seconds = time.perf_counter() - started
            if hit is not None:
                self._accounting.hit(hit.record, seconds=seconds, statements=statements[0])
            else:
                self._accounting.http(
                    method, state.context, state.executed, response, seconds, statements[0]
                )
        if hit is not None:
            await fast_path.send_hit(send, kind, hit.body)
            return
        assert response is not None  # every way out of the try above sets one
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (local assets) when given, else Strawberry's (a CDN's)."""
        if self._graphiql_page is not None:
            return self._graphiql_page()
        return await super().render_graphql_ide(request)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # The fast path (response_cache.fast_path) may have identified the caller already.
        state = RequestState.of(request.scope)
        identified = state.early.identified
        if identified is None:
            identified = state.early.identified = await self._callers.identify(
                request.scope, state.headers, state.request_id
            )
        context = state.context
        if context is None:
            context = state.context = self._callers.context(identified, state.request_id)
        state.sub_response = response
        retry_after = identified.identity.retry_after
        if retry_after is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
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
        state = RequestState.of(request.scope)
        identified = state.early.identified
        if identified is None:  # get_context identifies every caller before this
            raise RuntimeError("execute_operation before get_context")
        identity = identified.identity
        report = asks_for_cost(state.headers)

        execute = partial(
            self._execute, request, request_adapter, sub_response, root_value, state.results
        )
        if not isinstance(request_data, list):
            run = Executed(context, request_data)
            state.executed.append(run)
            await self._runner.resolve(run, identity.viewer)
            door, ticket = self._responses, None
            run.cache_key = state.early.key  # the fast path looked up already, under this key
            if door is not None:
                found = await door.look_up(run, state.headers, state.early.ticket)
                if isinstance(found, Found):  # a HIT: nothing is weighed or run
                    return StoredResult(data=None, errors=None, body=found.body)
                ticket = found
            await self._weigh(context, [run.sent], identity, report, sub_response)
            async with self._runner.timed(run):
                result = await execute(context, run.sent)
            if door is None:
                return result
            return await door.kept(run, result, ticket, state.headers)
        request_id = state.request_id
        runs = [
            Executed(self._callers.context(identified, f"{request_id}:{n}"), sent)
            for n, sent in enumerate(request_data, start=1)
        ]
        state.executed.extend(runs)
        await self._runner.resolve_batch(runs, identity.viewer)
        # A batch is weighed whole: its cost is all its operations', refused or admitted
        # together; each operation then carries the verdict and the parsed documents.
        known = [run.sent for run in runs if run.failure is None]
        await self._weigh(context, known, identity, report, sub_response)
        for run in runs:
            run.context.refusal = run.context.refusal or context.refusal
            run.context.documents = context.documents
            run.context.cost = context.cost
        # Each operation of a batch runs in a task of its own (its own statement count).
        results = list(await asyncio.gather(*(self._batched(run, execute) for run in runs)))
        for run, result in zip(runs, results, strict=True):
            state.results[id(result)] = run.context  # a refused one's too: coded on its own
        return results

    async def _batched(self, run: Executed, execute: Execute) -> ExecutionResult:
        async with self._runner.batched(run):
            if run.failure is not None:
                return self._runner.refused(run, run.failure)
            try:
                return await execute(run.context, run.sent)
            except (HTTPException, PersistedQueryError) as exc:
                return self._runner.refused(run, exc)

    async def _execute(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        root_value: None,
        results: dict[int, Context],
        context: Context,
        sent: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation, by Strawberry; its result's context noted for `process_result`."""
        result = await self.execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=sent,
        )
        results[id(result)] = context
        return result

    async def _weigh(
        self,
        context: Context,
        operations: list[GraphQLRequestData],
        identity: Identity,
        report: bool,
        sub_response: Any,
    ) -> None:
        """The request's cost, before anything runs (gateway.request.demand)."""
        retry_after = await self._demand.admit(
            context, operations, client=identity.client, report=report
        )
        if retry_after is not None:  # the cost budget is spent: refused like too many requests
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(retry_after)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's GET of the bare endpoint (one naming an operation runs)."""
        params = request.query_params
        return (
            request.method == "GET"
            and params.get("query") is None
            and params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
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
        return bodies.checked(parsed, self._max_batch_size)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        state = RequestState.of(request.scope)
        if isinstance(result, StoredResult):
            return cast(GraphQLHTTPResponse, Stored(result.body))  # for create_response
        context = state.results.get(id(result)) or state.context
        for run in state.executed:
            if run.context is context:
                run.data = result.data
        if result.errors:
            # Errors raised around execution (a failing extension hook) skip ErrorCodes.
            result.errors = coded_all(result.errors, context, state.request_id)
        processed = await super().process_result(request, result)
        if state.media == media.GRAPHQL_RESPONSE and media.is_request_error(processed):
            processed.pop("data", None)
            if len(state.executed) <= 1 and state.sub_response is not None:
                state.sub_response.status_code = 400
        return processed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        kind = getattr(sub_response, "graphql_media", media.JSON)
        if isinstance(response_data, Stored):  # a HIT: the stored bytes, as they are
            return Response(response_data.body, status_code=200, media_type=kind)
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = kind
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_media = media.negotiate(  # type: ignore[attr-defined]
            request.headers.get("accept")
        )
        return sub_response
