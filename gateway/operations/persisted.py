"""Persisted operations: Apollo's automatic persisted queries and a safelist.

`PERSISTED_QUERIES` says what a request may send:
- `apq` (the default): a document, or only its SHA-256 in `extensions.persistedQuery`
  (`{"version": 1, "sha256Hash": "<64 hex>"}`). A hash the fleet does not know is
  PERSISTED_QUERY_NOT_FOUND, and the client sends the document with its hash, which
  registers it; a hash that is not the document's is a 400.
- `safelist`: only documents in the operation registry run (imported from a manifest, or
  recorded in staging); anything else is PERSISTED_QUERY_NOT_IN_LIST. An ADMIN may still
  run any document (GraphiQL, incident work).
- `off`: a hash alone is PERSISTED_QUERY_NOT_SUPPORTED (Apollo's link then sends full
  documents).

Known documents are looked up in this process's memory, then Redis (fleet-wide), then the
registry in the database.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

import structlog
from redis.asyncio import Redis
from strawberry.http import GraphQLRequestData

from jewgo.gateway.data_cache.tiers import Breaker
from jewgo.gateway.operations.registry import OperationRegistry, document_hash
from jewgo.resolvers.domain import Viewer

log = structlog.get_logger("jewgo.persisted")
_HASH = re.compile(r"[0-9a-f]{64}")
# Documents kept in memory by hash; larger documents are looked up in Redis each time.
MEMORY_DOCUMENTS = 2000
MEMORY_DOCUMENT_BYTES = 64 * 1024
REDIS_DAYS = 30


class Mode(StrEnum):
    OFF = "off"
    APQ = "apq"
    SAFELIST = "safelist"


class PersistedQueryError(Exception):
    """A request the protocol refuses: `code` for `extensions.code`, and whether it is a
    malformed request (HTTP 400) or a protocol answer the client acts on."""

    def __init__(self, message: str, code: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.malformed = malformed


def persisted_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The sha256Hash of a well-formed `extensions.persistedQuery`; None without one."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    given = extensions["persistedQuery"]
    if (
        not isinstance(given, dict)
        or given.get("version") != 1
        or not isinstance(given.get("sha256Hash"), str)
        or not _HASH.fullmatch(given["sha256Hash"])
    ):
        raise PersistedQueryError(
            'extensions.persistedQuery must be {"version": 1, "sha256Hash": <64 lower-case '
            "hex digits>}",
            "BAD_USER_INPUT",
            malformed=True,
        )
    return str(given["sha256Hash"])


class PersistedQueries:
    def __init__(
        self,
        mode: Mode,
        registry: OperationRegistry,
        redis: Redis | None = None,
        *,
        namespace: str = "jewgo",
        timeout: float = 0.25,
        breaker: Breaker | None = None,
    ) -> None:
        self.mode = mode
        self._registry = registry
        self._redis = redis
        self._prefix = f"{namespace}:pq:"
        self._timeout = timeout
        self._breaker = breaker or Breaker(5.0)
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._listed: OrderedDict[str, None] = OrderedDict()

    def _remember(self, digest: str, document: str) -> None:
        if len(document) > MEMORY_DOCUMENT_BYTES:
            return
        self._memory[digest] = document
        self._memory.move_to_end(digest)
        while len(self._memory) > MEMORY_DOCUMENTS:
            self._memory.popitem(last=False)

    async def _from_redis(self, digest: str) -> str | None:
        if self._redis is None or self._breaker.is_open:
            return None
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._redis.get(self._prefix + digest)
        except Exception as exc:  # the registry in the database answers instead
            self._breaker.trip()
            log.warning("persisted queries: redis unavailable", error=type(exc).__name__)
            return None
        return raw.decode("utf-8") if isinstance(raw, bytes) else None

    async def _to_redis(self, digest: str, document: str) -> None:
        if self._redis is None or self._breaker.is_open:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(self._prefix + digest, document, ex=REDIS_DAYS * 86400)
        except Exception as exc:
            self._breaker.trip()
            log.warning("persisted queries: redis unavailable", error=type(exc).__name__)

    async def document(self, digest: str) -> str | None:
        """The document with this hash, if the fleet knows it."""
        found = self._memory.get(digest)
        if found is None:
            found = await self._from_redis(digest)
            if found is None:
                registered = await self._registry.get(digest)
                if registered is None:
                    return None
                found = registered.document
                await self._to_redis(digest, found)
            self._remember(digest, found)
        return found

    async def listed(self, digest: str) -> bool:
        """Whether the registry in the database holds this document: the safelist is the
        registry alone, not what Redis or memory learnt from clients."""
        if digest in self._listed:
            self._listed.move_to_end(digest)
            return True
        if await self._registry.get(digest) is None:
            return False
        self._listed[digest] = None
        while len(self._listed) > MEMORY_DOCUMENTS:
            self._listed.popitem(last=False)
        return True

    async def resolve(self, sent: GraphQLRequestData, viewer: Viewer | None) -> GraphQLRequestData:
        """`sent` with its document, as the mode allows; PersistedQueryError otherwise."""
        digest = persisted_hash(sent.extensions)
        document = sent.query
        if digest is not None:
            if self.mode is Mode.OFF:
                raise PersistedQueryError(
                    "Persisted queries are not supported here (PERSISTED_QUERIES=off)",
                    "PERSISTED_QUERY_NOT_SUPPORTED",
                )
            if document is None:
                document = await self.document(digest)
                if document is None:
                    raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            elif document_hash(document) != digest:
                raise PersistedQueryError(
                    "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                    "BAD_USER_INPUT",
                    malformed=True,
                )
        admin = viewer is not None and viewer.is_admin
        if (
            self.mode is Mode.SAFELIST
            and document is not None
            and not admin
            and not await self.listed(digest or document_hash(document))
        ):
            raise self._not_in_list()
        if self.mode is Mode.APQ and digest is not None and sent.query is not None:
            # Registered for the fleet at once; the registry counts it once it has run.
            self._remember(digest, sent.query)
            await self._to_redis(digest, sent.query)
        return sent if document is sent.query else replace(sent, query=document)

    async def records(self, digest: str) -> bool:
        """Whether a run of this document goes into the registry: always, except in
        safelist mode, where the registry is the list (an ADMIN's own documents stay out)."""
        return self.mode is not Mode.SAFELIST or await self.listed(digest)

    @staticmethod
    def _not_in_list() -> PersistedQueryError:
        return PersistedQueryError(
            "This operation is not in the safelist (PERSISTED_QUERIES=safelist): only "
            "registered operations run here",
            "PERSISTED_QUERY_NOT_IN_LIST",
        )
