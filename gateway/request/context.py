"""Building a request's context from who asks and what the flags decided.

The view builds one per HTTP request; the shadow builds more for the same caller with
pinned versions. The versions behind a context (`resolvers.versions`: repositories, cache,
loaders) and its router are built on first use only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from jewgo.db.session import RequestDatabase
from jewgo.flags.admin.users import Person
from jewgo.flags.decisions import RequestDecisions
from jewgo.resolvers.domain import Viewer
from jewgo.resolvers.versions import Sources, Versions
from jewgo.schema.context import Context, Dependencies, Outcome
from jewgo.schema.refusal import Refusal


@dataclass(frozen=True)
class ContextFactory:
    """What a request's context is made of (built once by the wiring)."""

    engine: AsyncEngine
    # What each request's two versions are made of.
    sources: Sources
    # What every request's resolvers share.
    app: Dependencies
    people: Callable[[list[int]], Awaitable[Mapping[int, Person]]]

    def build(
        self,
        db: RequestDatabase,
        *,
        request_id: str,
        viewer: Viewer | None,
        decisions: RequestDecisions,
        refusal: Refusal | None = None,
        caller: str | None = None,
    ) -> Context:
        tags: set[str] = set()
        return Context(
            request_id=request_id,
            viewer=viewer,
            decisions=decisions,
            backends=Versions(self.sources, db, decisions, tags),
            app=self.app,
            people=DataLoader(self._people),
            refusal=refusal,
            caller=caller,
            outcome=Outcome(tags=tags),
        )

    async def _people(self, user_ids: list[int]) -> list[Person | None]:
        found = await self.people(user_ids)
        return [found.get(user_id) for user_id in user_ids]
