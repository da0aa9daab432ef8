"""The response cache's door in the view: a lone query's answer from the cache, before
anything is parsed, and an executed answer kept for the next caller.

The key is the document's hash (so a persisted operation costs nothing more), the
operation name, the variables in canonical JSON and the caller's visibility class
(`schema.visibility`: `anon`, `role:<ROLE>`, or `user:<id>` for a selection with a
viewer-dependent field). An answer is kept only when it has no errors and every domain
it touched was served by v4 with `api_v4_cache` on; its entry names those domains, and a
lookup serves it only when this request's decisions choose v4 for each of them again (so
the versions are part of what must match, as `extensions.versions` reports them). A HIT
is the stored `{"data": …}` bytes with this request's `extensions` spliced in.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.stages import Variant
from jewgo.gateway.execution.runs import Executed
from jewgo.gateway.request.demand import asks_for_cost
from jewgo.gateway.response_cache import cdn
from jewgo.gateway.response_cache.cache import ResponseCache, Ticket
from jewgo.gateway.response_cache.store import Entry
from jewgo.resolvers.domain import Viewer
from jewgo.schema.extensions.documents import Documents
from jewgo.schema.refusal import Refusal
from jewgo.schema.visibility import Reach, reach

CACHE_HEADER = "x-response-cache"


class Unset:
    """Not looked up yet."""


UNSET = Unset()
HIT, MISS = "HIT", "MISS"
Shape = tuple[str, Reach]
_REACHES = 10_000


def asks_for_cache(headers: Mapping[str, str]) -> bool:
    """Whether the caller asks for `extensions.cache` (`X-Response-Cache: 1`)."""
    return headers.get(CACHE_HEADER, "").strip().lower() in ("1", "true", "yes")


@dataclass
class StoredResult(ExecutionResult):
    """A HIT on the normal path: the stored answer's bytes, ready; nothing ran. Strawberry
    hands it back to the view, which writes `body` as the response."""

    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Found:
    """A lookup's HIT: the response body, ready."""

    body: bytes


_COMPACT = json.JSONEncoder(separators=(",", ":"))


def splice(body: bytes, extensions: Mapping[str, Any]) -> bytes:
    """`{"data": …}` with `extensions` added, the stored bytes left as they are (and
    copied once)."""
    tail = _COMPACT.encode(extensions).encode()
    return b"".join((memoryview(body)[:-1], b',"extensions":', tail, b"}"))


def hit_body(entry: Entry, request_id: str, report: bool) -> bytes:
    """A HIT's response: the stored answer with this request's `extensions`."""
    extensions: dict[str, Any] = {"requestId": request_id, "versions": dict(entry.versions)}
    if report:
        extensions["cache"] = HIT
    return splice(entry.body, extensions)


class ResponseDoor:
    def __init__(
        self,
        cache: ResponseCache,
        schema: GraphQLSchema,
        documents: Documents,
        *,
        ttl: float,
        ttls: Mapping[str, float],
        max_tokens: int,
        max_key_bytes: int,
        max_entry_bytes: int,
    ) -> None:
        self.cache = cache
        self._schema = schema
        self._documents = documents
        self._ttl = ttl
        self._ttls = dict(ttls)
        self._max_tokens = max_tokens
        self._max_key_bytes = max_key_bytes
        self._max_entry_bytes = max_entry_bytes
        self._reaches: OrderedDict[tuple[str, str | None], Reach | None] = OrderedDict()

    def _reach(self, query: str, digest: str, operation: str | None) -> Reach | None:
        """What the document's selection lets callers share (learnt once per document)."""
        memo = (digest, operation)
        if memo in self._reaches:
            self._reaches.move_to_end(memo)
            return self._reaches[memo]
        found: Reach | None = None
        if self._documents.tokens(query, self._max_tokens) <= self._max_tokens:
            try:
                found = reach(self._schema, self._documents.parse(query), operation)
            except GraphQLError:
                found = None  # a syntax error: execution reports it, nothing is cached
        self._reaches[memo] = found
        if len(self._reaches) > _REACHES:
            self._reaches.popitem(last=False)
        return found

    def shape(self, sent: GraphQLRequestData) -> Shape | None:
        """What a key is made of besides the caller: the document's hash, the operation,
        the variables in canonical JSON (one string), and what the selection lets
        callers share; None when the operation may not be cached at all."""
        query, variables, name = sent.query, sent.variables, sent.operation_name
        if not isinstance(query, str) or not query:
            return None
        if variables is not None and not isinstance(variables, dict):
            return None
        if name is not None and not isinstance(name, str):
            return None  # the normal path refuses it, with the GraphQL-over-HTTP status
        try:
            encoded = query.encode()
        except UnicodeEncodeError:
            return None  # a lone surrogate: not UTF-8, so the normal path refuses it
        try:
            canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        if len(canonical) > self._max_key_bytes:
            return None
        digest = hashlib.sha256(encoded).hexdigest()
        found = self._reach(query, digest, name)
        if found is None:
            return None
        return "\x00".join((digest, name or "", canonical)), found

    def key(self, run: Executed, shape: Shape | Unset | None = UNSET) -> str | None:
        """The run's cache key, or None when it may not be cached at all (`shape`: its
        operation's, when known already)."""
        context = run.context
        if isinstance(shape, Unset):
            if context.refusal is not None or not context.decisions.cache:
                return None
            shape = self.shape(run.sent)
        return self.key_for(context.viewer, context.decisions, context.refusal, shape)

    def key_for(
        self,
        viewer: Viewer | None,
        decisions: RequestDecisions,
        refusal: Refusal | None,
        shape: Shape | None,
    ) -> str | None:
        """The key of an operation of `shape` asked by `viewer`, or None when it may not
        be cached at all."""
        if refusal is not None or not decisions.cache:
            return None  # refused, or api_v4_cache off for this caller: nothing is cached
        if shape is None:
            return None
        parts, found = shape
        if viewer is None:
            klass = "anon"
        elif found is Reach.USER:
            klass = f"user:{viewer.id}"
        else:
            klass = f"role:{viewer.role.value}"
        return hashlib.blake2b(f"{parts}\x00{klass}".encode(), digest_size=20).hexdigest()

    async def look_up(
        self, run: Executed, headers: Mapping[str, str], looked_up: Ticket | Unset | None
    ) -> Found | Ticket | None:
        """A lone operation's answer on a HIT (before its cost is weighed or anything is
        parsed); else the ticket to keep its answer with (None: not cacheable).
        `looked_up`: the fast path's ticket, if it looked up already. A caller asking for
        `extensions.cost` is answered by execution (a HIT has no estimate to report)."""
        if isinstance(looked_up, Unset):
            if asks_for_cost(headers):
                return None
            return await self.answer(run, report=asks_for_cache(headers))
        if looked_up is None:  # the fast path looked up already (and missed), with the key
            run.cache_key = None
        else:
            run.cache_key = run.cache_key or self.key(run)
            run.context.outcome.cache_status = MISS
        return looked_up

    async def kept(
        self,
        run: Executed,
        result: ExecutionResult,
        ticket: Ticket | None,
        headers: Mapping[str, str],
    ) -> ExecutionResult:
        """An executed answer, kept for the next caller when it may be shared; with
        `extensions.cache` when the caller asked for it."""
        await self.keep(run, result, ticket)
        if ticket is not None and asks_for_cache(headers):
            result.extensions = {**(result.extensions or {}), "cache": MISS}
        return result

    async def answer(
        self, run: Executed, *, report: bool, shape: Shape | Unset | None = UNSET
    ) -> Found | Ticket | None:
        """The answer on a HIT; else the ticket to keep the answer with (None: not
        cacheable)."""
        key = self.key(run, shape)
        if key is None:
            return None
        run.cache_key = key
        context = run.context
        entry, ticket = await self.find(key, context.decisions)
        if entry is not None:
            context.outcome.cache_status = HIT
            context.outcome.served_versions = dict(entry.versions)
            context.outcome.operation_type = "query"
            context.outcome.operation_name = entry.operation
            run.etag = entry.etag
            return Found(hit_body(entry, context.request_id, report))
        context.outcome.cache_status = MISS
        return ticket

    async def find(self, key: str, decisions: RequestDecisions) -> tuple[Entry | None, Ticket]:
        """The entry stored under `key`, if this request's decisions choose v4 again for
        each domain that computed it; and the ticket to keep a new answer with."""
        entry, ticket = await self.cache.lookup(key)
        if entry is not None and all(
            decisions.version(domain) is Variant.V4 for domain in entry.versions
        ):
            return entry, ticket
        return None, ticket

    async def keep(self, run: Executed, result: ExecutionResult, ticket: Ticket | None) -> None:
        """Store an executed answer if it may be shared: a query without errors, served
        wholly by v4 with its cache on."""
        context, key = run.context, run.cache_key
        if ticket is None or key is None or result.errors or result.data is None:
            return
        versions = dict(context.versions)
        if context.outcome.operation_type != "query" or not versions or not context.outcome.tags:
            return
        if any(v != Variant.V4.value for v in versions.values()) or not context.decisions.cache:
            return
        body = json.dumps({"data": result.data}, separators=(",", ":")).encode()
        if len(body) > self._max_entry_bytes:
            return
        ttl = min([self._ttl, *(self._ttls.get(d, self._ttl) for d in versions)])
        now = self.cache.clock()
        tag = cdn.etag(result.data, versions)
        tags = frozenset(context.outcome.tags)
        entry = Entry(body, versions, tags, tag, now + ttl, now, context.outcome.operation_name)
        await self.cache.store(key, entry, ticket, ttl)
