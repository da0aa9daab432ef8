"""Building the response cache of one process from the settings: the door the view
asks, and the sink every write (v3's and v4's) reports its changes to."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLSchema
from redis.asyncio import Redis

from jewgo.gateway.data_cache.tiers import Breaker, TieredCache
from jewgo.gateway.request.roles import RoleCache
from jewgo.gateway.response_cache.cache import Purging, ResponseCache
from jewgo.gateway.response_cache.door import ResponseDoor
from jewgo.gateway.settings import Settings
from jewgo.resolvers.ports import ChangeSink
from jewgo.resolvers.v4.cache.entries import CacheInvalidator
from jewgo.schema.extensions.documents import Documents


def response_door(
    settings: Settings,
    redis: Redis | None,
    breaker: Breaker,
    retry: Callable[[], None],
    schema: GraphQLSchema,
    documents: Documents,
) -> ResponseDoor | None:
    """The response cache of one process, or None when RESPONSE_CACHE is off."""
    if not settings.response_cache:
        return None
    cache = ResponseCache(
        redis,
        namespace=settings.redis_namespace,
        budget_bytes=settings.response_cache_bytes,
        max_ttl=settings.response_cache_ttl_seconds,
        check_seconds=settings.response_cache_check_seconds,
        fallback_ttl=settings.cache_fallback_ttl_seconds,
        timeout=settings.redis_timeout_seconds,
        breaker=breaker,
        retry=retry,
    )
    ttls = settings.cache_ttls
    return ResponseDoor(
        cache,
        schema,
        documents,
        ttl=settings.response_cache_ttl_seconds,
        ttls=ttls,
        max_tokens=settings.max_tokens,
        max_key_bytes=settings.response_cache_max_variables_bytes,
        max_entry_bytes=settings.response_cache_max_entry_bytes,
    )


def purging(inner: ChangeSink, door: ResponseDoor | None) -> ChangeSink:
    """The sink every write (v3's and v4's) reports to: `inner`, then the response cache."""
    return inner if door is None else Purging(inner, door.cache)


def response_parts(
    settings: Settings,
    redis: Redis | None,
    cache: TieredCache,
    schema: GraphQLSchema,
    documents: Documents,
) -> tuple[ResponseDoor | None, ChangeSink]:
    """The response cache (None when off) and the sink every write reports to."""
    door = response_door(settings, redis, cache.breaker, cache.start_recovery, schema, documents)
    return door, purging(CacheInvalidator(cache, settings.max_page_size), door)


def role_cache(settings: Settings, door: ResponseDoor | None) -> RoleCache | None:
    """The role cache, watching the response cache's purges; None without the response
    cache (no purge path to invalidate it) or with ROLE_CACHE_SECONDS at 0: every
    request then reads its caller's role."""
    if door is None or settings.role_cache_seconds <= 0:
        return None
    roles = RoleCache(settings.role_cache_seconds, settings.role_cache_entries)
    door.cache.watch(roles)
    return roles
