"""The composition root: everything long-lived that one gateway process owns."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import strawberry
import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig

from jewgo.db.engine import dedicated_engine
from jewgo.flags import faults as drills
from jewgo.flags.admin.changes import FlagAdmin
from jewgo.flags.admin.sync import Flags
from jewgo.flags.admin.users import known_users_query, people_query
from jewgo.flags.rollouts.controller import HealthSource, RolloutController
from jewgo.flags.rollouts.lease import Lease, LocalLease, PostgresLease
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.telemetry.noise import NoiseRule
from jewgo.flags.telemetry.window import WindowMetrics
from jewgo.gateway.alerts.operators import Operators, build_operators
from jewgo.gateway.data_cache.tiers import Breaker, TieredCache
from jewgo.gateway.execution.accounting import Accounting, Publisher
from jewgo.gateway.http.health import Readiness
from jewgo.gateway.operations.persisted import Mode, PersistedQueries
from jewgo.gateway.operations.registry import OperationRegistry
from jewgo.gateway.request.auth import Tokens, resolve_secret
from jewgo.gateway.request.context import ContextFactory
from jewgo.gateway.request.demand import Demand
from jewgo.gateway.request.forwarding import ProxyWatch
from jewgo.gateway.request.identity import Identifier
from jewgo.gateway.request.ratelimit import RateLimiter
from jewgo.gateway.response_cache.door import ResponseDoor
from jewgo.gateway.response_cache.parts import response_parts, role_cache
from jewgo.gateway.settings import Settings
from jewgo.gateway.verification.confirmation import ErrorConfirmation
from jewgo.gateway.verification.shadow import Shadow
from jewgo.gateway.wiring import flag_parts
from jewgo.resolvers.ports import ChangeSink
from jewgo.resolvers.v4.cache.entries import Ttl
from jewgo.resolvers.v4.sql.adapters import SqlUnitOfWork
from jewgo.resolvers.versions import Sources
from jewgo.schema import build_schema
from jewgo.schema.context import Dependencies
from jewgo.schema.extensions.cost import CostModel
from jewgo.schema.extensions.cost_report import CostReport
from jewgo.schema.extensions.documents import Documents
from jewgo.schema.extensions.limits import QueryLimits
from jewgo.schema.internals import graphql_schema

log = structlog.get_logger("jewgo.wiring")


@dataclass
class Services:
    """Everything long-lived of one process. Only the composition root (this module, the
    app factory and the CLI) sees it whole; every other part gets what it reads."""

    settings: Settings
    engine: AsyncEngine
    redis: Redis | None
    tokens: Tokens
    schema: strawberry.Schema
    flags: Flags
    admin: FlagAdmin
    cache: TieredCache
    changes: ChangeSink
    metrics: WindowMetrics
    rollouts: RolloutStore
    controller: RolloutController
    readiness: Readiness
    identifier: Identifier
    contexts: ContextFactory
    shadow: Shadow
    confirmation: ErrorConfirmation
    accounting: Accounting
    registry: OperationRegistry
    persisted: PersistedQueries
    demand: Demand
    operators: Operators
    responses: ResponseDoor | None = None

    async def start(self) -> None:
        await self.cache.start()
        if self.responses is not None:
            await self.responses.cache.start()
        await self.registry.start()
        await self.flags.start()
        await self.metrics.start()
        await self.controller.start()
        await self.operators.start()

    async def close(self) -> None:
        await self.shadow.drain()
        await self.confirmation.drain()
        await self.operators.stop()
        await self.controller.stop()
        await self.metrics.stop()
        await self.flags.stop()
        await self.cache.close()
        if self.responses is not None:
            await self.responses.cache.stop()
        await self.registry.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def bootstrap(settings: Settings, environ: Mapping[str, str] | None = None) -> Services:
    """Builds every long-lived object from settings; connects to nothing yet."""
    environ = os.environ if environ is None else environ
    parts = flag_parts.build(settings, environ)
    engine, redis, flags = parts.engine, parts.redis, parts.flags
    rollouts, admin = parts.rollouts, parts.admin
    namespace = settings.redis_namespace
    # One breaker for every request-path user of Redis: whoever meets a dead Redis first
    # keeps the others off it, so no request waits on Redis more than once.
    breaker = Breaker(settings.cache_retry_seconds)
    cache = TieredCache(
        redis,
        breaker=breaker,
        namespace=namespace,
        timeout=settings.redis_timeout_seconds,
        retry_seconds=settings.cache_retry_seconds,
        fallback_ttl=settings.cache_fallback_ttl_seconds,
        memory_entries=settings.cache_memory_entries,
        near_entries=settings.cache_near_entries,
        near_seconds=settings.cache_near_seconds,
        near_check_seconds=settings.cache_near_check_seconds,
    )
    metrics = WindowMetrics(
        redis,
        namespace=namespace,
        bucket_seconds=settings.metrics_bucket_seconds,
        retention_seconds=settings.metrics_retention_seconds,
        flush_seconds=settings.metrics_flush_seconds,
        timeout=settings.redis_timeout_seconds,
    )
    faults = drills.Faults(drills.parse(settings.faults))
    if faults:
        log.warning("FAULT DRILL ACTIVE: injecting failures", faults=settings.faults)
    lease: Lease = LocalLease() if settings.embedded else PostgresLease(
        dedicated_engine(settings.database), f"{namespace}:rollout-controller"
    )  # fmt: skip
    noise = NoiseRule(
        relative=settings.shadow_noise_relative_percent / 100,
        absolute=settings.shadow_noise_absolute_percent / 100,
    )
    # Anonymous traffic from a few addresses with many client ids: a proxy that
    # FORWARDED_ALLOW_IPS does not name (readiness, alerts and the controller say so).
    proxies = ProxyWatch()
    health = HealthSource(metrics, noise, proxy_warning=proxies.suspicion)
    controller = RolloutController(
        rollouts, health, lease, changed=flags.changed,
        interval_seconds=settings.rollout_interval_seconds,
    )  # fmt: skip
    tokens = Tokens(resolve_secret(settings), settings.jwt_ttl_seconds)
    documents = Documents(
        budget_bytes=settings.query_cache_bytes, max_length=settings.query_cache_max_length
    )
    introspection = () if settings.introspection else (DisableIntrospection,)
    schema = build_schema(
        # `costs` is read when a request builds its extensions, after the schema exists.
        extensions=(*introspection, lambda: CostReport(costs)),
        limits=lambda: QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            documents=documents,
        ),
        documents=documents,
        # Strawberry's own cap stays out of the way; the view enforces max_batch_size.
        config=StrawberryConfig(batching_config={"max_operations": 1_000_000}),
    )
    costs = CostModel(graphql_schema(schema), max_page_size=settings.max_page_size)
    responses, changes = response_parts(settings, redis, cache, graphql_schema(schema), documents)
    readiness = Readiness(
        engine,
        cache,
        flags,
        controller,
        redis,
        flag_poll_seconds=settings.flag_poll_seconds,
        redis_timeout_seconds=settings.redis_timeout_seconds,
        proxies=proxies,
    )
    operators = build_operators(
        settings, engine, redis, controller, health=health, rollouts=rollouts.current,
        components=readiness.components,
    )  # fmt: skip
    registry = OperationRegistry(
        engine,
        flush_seconds=settings.registry_flush_seconds,
        max_document_characters=settings.registry_max_document_characters,
        max_operations=settings.registry_max_operations,
    )
    contexts = ContextFactory(
        engine=engine,
        sources=Sources(
            unit_of_work=partial(SqlUnitOfWork, engine),
            cache=cache,
            ttl=Ttl(**settings.cache_ttls),
            changes=changes,
            batched=DataLoader,
            intercept=faults or None,
            tagging=responses is not None,
        ),
        app=Dependencies(
            flags=flags,
            metrics=metrics,
            metrics_window_seconds=settings.metrics_window_seconds,
            health=readiness.components,
            admin=admin,
            operations=registry,
            alerts=operators.store,
            reach=operators.reach,
            decommission=operators.decommission,
            known_users=known_users_query(engine),
            max_page_size=settings.max_page_size,
            noise=noise,
        ),
        people=people_query(engine),
    )
    shadow = Shadow(
        schema,
        contexts,
        metrics,
        sample_rate=settings.shadow_sample_rate,
        concurrency=settings.shadow_concurrency,
        noise_rate=settings.shadow_noise_rate,
        coverage=registry.coverage,
    )
    confirmation = ErrorConfirmation(
        schema, contexts, metrics, concurrency=settings.confirm_concurrency
    )
    limiter = RateLimiter(
        settings.rate_limit_per_minute,
        redis,
        namespace=namespace,
        timeout=settings.redis_timeout_seconds,
        breaker=breaker,
        retry=cache.start_recovery,
    )
    budget = RateLimiter(
        settings.cost_budget_per_minute,
        redis,
        namespace=namespace,
        kind="rl-cost",
        timeout=settings.redis_timeout_seconds,
        breaker=breaker,
        retry=cache.start_recovery,
    )
    demand = Demand(
        documents,
        costs,
        budget,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_query_cost,
        mode=settings.query_cost_mode,
    )
    return Services(
        registry=registry,
        persisted=PersistedQueries(
            Mode(settings.persisted_queries),
            registry,
            redis,
            namespace=namespace,
            timeout=settings.redis_timeout_seconds,
            breaker=breaker,
        ),
        settings=settings,
        engine=engine,
        redis=redis,
        tokens=tokens,
        schema=schema,
        flags=flags,
        admin=admin,
        cache=cache,
        changes=changes,
        metrics=metrics,
        rollouts=rollouts,
        controller=controller,
        readiness=readiness,
        identifier=Identifier(tokens, limiter, role_cache(settings, responses), proxies),
        contexts=contexts,
        shadow=shadow,
        confirmation=confirmation,
        accounting=Accounting(
            metrics,
            operators.reach,
            operators.daily,
            # Verification subscribes: v4's read errors await the verdict of their
            # confirmation on v3; the shadow samples the answered reads.
            answered=Publisher([shadow.answered]),
            v4_errors=Publisher([confirmation.awaiting]),
        ),
        demand=demand,
        operators=operators,
        responses=responses,
    )
