"""The GraphQL endpoint: Strawberry's ASGI view with our context, errors and clean-up."""

from __future__ import annotations

from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from db.session import RequestDatabase
from flags.decide import Subject, stickiness_key
from gateway import auth
from gateway.versions import FORCE_HEADER, chooser, forced_version
from gateway.wiring import Services
from resolvers.domain import Version
from resolvers.errors import DomainError
from resolvers.router import VersionRouter
from resolvers.v3.manager import LegacyDataManager
from resolvers.v4.loaders import Loaders
from resolvers.v4.services import V4Backend
from resolvers.v4.sql import SqlRepositories
from resolvers.v4.unit_of_work import SqlUnitOfWork
from schema.context import Context
from schema.errors import INTERNAL, coded

log = structlog.get_logger("jewgo.http")


class GatewayView(GraphQL[Context, None]):
    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(services.schema, **options)
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._refused(request, exc.status_code, exc.reason)
        finally:
            db: RequestDatabase | None = getattr(request.state, "db", None)
            if db is not None:
                await db.close()
        await response(scope, receive, send)

    def _refused(self, request: Request, status: int, reason: str) -> Response:
        """Strawberry refuses malformed HTTP with plain text; we answer GraphQL-shaped."""
        code = "BAD_USER_INPUT" if status < 500 else INTERNAL
        body = {
            "data": None,
            "errors": [{"message": reason, "extensions": {"code": code}}],
            "extensions": {"requestId": request.state.request_id},
        }
        return JSONResponse(body, status_code=status)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = self.services
        db = RequestDatabase(services.engine)
        request.state.db = db
        refusal: DomainError | None = None
        viewer = None
        forced: Version | None = None
        try:
            viewer = await auth.viewer(
                services.tokens, request.headers.get("authorization"), db.reads
            )
            forced = forced_version(request.headers.get(FORCE_HEADER), viewer)
        except DomainError as exc:
            refusal = exc
        snapshot = services.flags.snapshot
        subject = Subject(
            user_id=viewer.id if viewer is not None else None,
            staff=viewer is not None and viewer.is_staff,
            key=stickiness_key(
                viewer.id if viewer is not None else None,
                request.headers.get("x-client-id"),
                request.client.host if request.client is not None else None,
            ),
            salt=snapshot.salt,
        )
        reads = SqlRepositories(db.reads)
        loaders = Loaders(reads)
        router = VersionRouter(
            chooser(forced, snapshot, subject),
            {
                Version.V3: lambda: LegacyDataManager(db, services.changes),
                Version.V4: lambda: V4Backend(
                    reads, lambda: SqlUnitOfWork(services.engine), services.changes, loaders
                ),
            },
        )
        context = Context(
            request_id=request.state.request_id,
            viewer=viewer,
            router=router,
            flags=services.flags,
            snapshot=snapshot,
            subject=subject,
            max_page_size=services.settings.max_page_size,
            refusal=refusal,
        )
        request.state.context = context
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            # Errors raised around execution (a failing extension hook) skip ErrorCodes.
            context: Context | None = getattr(request.state, "context", None)
            codes = context.error_codes if context is not None else []
            result.errors = [coded(e, request.state.request_id, codes) for e in result.errors]
        return await super().process_result(request, result)
