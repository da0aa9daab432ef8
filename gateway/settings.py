"""Settings: one typed object from the environment (or handed in by tests).

`Settings` gathers its fields by concern: the gateway's own, then `CacheSettings` (the v4
data cache and the response cache), `AlertSettings` (alerts, decommission readiness) and
`ConsoleSettings` (the operator console), each a section of this one module, which is
also how docs/configuration.md groups them. A setting that is refused is named with the
rule it breaks, never with its value (it may be a secret): `load_settings` turns
pydantic's errors into such lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jewgo.flags.alerts.rules import Rule, Timing, parse_rules, timings

_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)
_DRIVERS = ("postgresql+asyncpg://", "sqlite+aiosqlite://")
# Off in production unless set explicitly (GRAPHIQL=true, INTROSPECTION=true).
_DEVELOPMENT_ONLY = ("graphiql", "introspection")


class SettingsError(ValueError):
    """Settings that cannot be used; the message names each setting and its rule."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jewgo"


# The v4 data cache and the response cache.
class CacheSettings(BaseSettings):
    cache_ttl_restaurants_seconds: float = Field(default=1800, gt=0)
    cache_ttl_reviews_seconds: float = Field(default=900, gt=0)
    cache_ttl_users_seconds: float = Field(default=3600, gt=0)
    cache_ttl_statistics_seconds: float = Field(default=300, gt=0)
    cache_retry_seconds: float = Field(
        default=5.0, gt=0, description="Pause before trying an unreachable Redis again."
    )
    cache_fallback_ttl_seconds: float = Field(
        default=10.0, gt=0, description="Longest life of a memory entry while Redis is away."
    )
    cache_memory_entries: int = Field(default=10_000, ge=100)
    cache_near_entries: int = Field(
        default=10_000,
        ge=0,
        description="Values read from Redis kept in process, dropped on the fleet's "
        "invalidations (0: none).",
    )
    cache_near_seconds: float = Field(
        default=60.0, gt=0, description="Longest life of a near copy of a Redis value."
    )
    cache_near_check_seconds: float = Field(
        default=1.0, gt=0, description="Staleness bound of the near tier if a message is lost."
    )

    response_cache: bool = Field(
        default=False, description="Cache whole query answers served by v4 (docs/operations.md)."
    )
    response_cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="The near cache's budget per process."
    )
    response_cache_ttl_seconds: float = Field(
        default=300, gt=0, description="Longest life of an answer (each domain's TTL bounds it)."
    )
    response_cache_check_seconds: float = Field(
        default=1.0, gt=0, description="Staleness bound of the near cache if a purge is lost."
    )
    role_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Longest life of a caller's role read from the database (0: off).",
    )
    role_cache_entries: int = Field(default=10_000, ge=1)
    response_cache_max_entry_bytes: int = Field(default=1024 * 1024, ge=1024)
    response_cache_max_variables_bytes: int = Field(
        default=4096, ge=2, description="Longer variables (canonical JSON) are not cached."
    )

    @property
    def cache_ttls(self) -> dict[str, float]:
        """Each domain's v4 cache TTL, by domain name."""
        return {
            "restaurants": self.cache_ttl_restaurants_seconds,
            "reviews": self.cache_ttl_reviews_seconds,
            "users": self.cache_ttl_users_seconds,
            "statistics": self.cache_ttl_statistics_seconds,
        }


# The operators' settings: alerts and decommission readiness. Each rule's thresholds
# come from the flag's rollout config (rollback threshold, latency ratio, shadow
# mismatch limit, minRequests, the window); these add the rest. Each rule's pending and
# keep-firing durations are its own (flags.alerts.rules.TIMINGS); ALERT_PENDING_SECONDS
# and ALERT_KEEP_FIRING_SECONDS replace the non-zero ones fleet-wide.
class AlertSettings(BaseSettings):
    alert_rules: str = Field(
        default="all", description="`all`, or the rule names to evaluate, comma-separated."
    )
    alert_webhook_urls: str = Field(
        default="", description="Receivers of Alertmanager-format webhooks, comma-separated."
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="Signs each webhook body (HMAC-SHA256, X-Jewgo-Signature)."
    )
    alert_webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    alert_webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    alert_webhook_backoff_seconds: float = Field(
        default=1.0, gt=0, le=3600, description="First pause before a retry; then doubled."
    )
    alert_webhook_max_backoff_seconds: float = Field(default=300.0, gt=0, le=86400)
    alert_warning_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Warning at this fraction of the rollback threshold."
    )
    alert_hysteresis_percent: float = Field(
        default=20.0,
        ge=0,
        lt=100,
        description="A firing alert resolves only this far (%) below its threshold.",
    )
    alert_pending_seconds: float | None = Field(
        default=None,
        ge=0,
        le=86400,
        description="Replaces each rule's non-zero `for` (breached this long before it "
        "fires; 30 s for figures, 15 s for readiness). Unset: each rule's own.",
    )
    alert_keep_firing_seconds: float | None = Field(
        default=None,
        ge=0,
        le=86400,
        description="Replaces each rule's non-zero `keep_firing_for` (clear this long "
        "before a firing alert resolves; 60 s). Unset: each rule's own.",
    )
    alert_window_seconds: int = Field(
        default=300, ge=1, le=86400, description="The window of a flag with no rollout."
    )
    alert_shadow_candidate_errors: int = Field(
        default=0, ge=0, description="Shadow candidate errors in the window allowed."
    )
    alert_min_shadow_comparisons: int = Field(default=20, ge=1)
    alert_rollback_seconds: float = Field(
        default=3600.0, gt=0, description="How long AutoRollback fires after a rollback."
    )
    alert_rollout_held_seconds: float = Field(
        default=3600.0, gt=0, description="A due step not taken for this long: RolloutHeld."
    )
    alert_leaderless_seconds: float = Field(
        default=60.0, gt=0, description="A gap between controller ticks this long alerts."
    )

    decommission_stable_days: int = Field(
        default=30, ge=1, le=3650, description="COMPLETE and no v3 call this long: v3 may go."
    )
    daily_calls_flush_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="How often each process adds its daily counts."
    )

    @field_validator("alert_rules")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        parse_rules(value)
        return value

    @field_validator("alert_webhook_urls")
    @classmethod
    def _urls(cls, value: str) -> str:
        for url in (part.strip() for part in value.split(",")):
            if not url:
                continue
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 (raises on a malformed port)
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    "must list http:// or https:// URLs with a host, separated by commas"
                )
        return value

    @field_validator("alert_webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("needs at least 16 characters")
        return value

    @property
    def webhook_urls(self) -> list[str]:
        return [url.strip() for url in self.alert_webhook_urls.split(",") if url.strip()]

    @property
    def enabled_rules(self) -> frozenset[Rule]:
        return parse_rules(self.alert_rules)

    @property
    def alert_timings(self) -> dict[Rule, Timing]:
        return timings(self.alert_pending_seconds, self.alert_keep_firing_seconds)


# The operator console.
class ConsoleSettings(BaseSettings):
    console: bool = Field(default=True, description="Serve the operator console (/console).")
    console_port: int | None = Field(
        default=None, ge=0, le=65535, description="The console's own port; unset: PORT + 1."
    )
    console_public_url: str | None = Field(
        default=None,
        description="The console's address as browsers reach it (behind a proxy, say), "
        "e.g. https://ops.example.com: `jewgo console-link` prints its links under it; "
        "unset: http://HOST:CONSOLE_PORT (PORT + 1).",
    )
    console_link_minutes: int = Field(
        default=10, ge=1, le=60, description="How long a `jewgo console-link` link works."
    )
    console_session_seconds: int = Field(
        default=8 * 3600, ge=60, le=7 * 24 * 3600, description="Lifetime of a console sign-in."
    )
    console_watch_seconds: float = Field(
        default=0.5,
        gt=0,
        le=10,
        description="How often a process with open consoles checks the fleet for changes.",
    )

    @field_validator("console_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises on a malformed port)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
        ):
            raise ValueError("must be an http:// or https:// URL with a host, and no ? or #")
        return value.rstrip("/")


class Settings(CacheSettings, AlertSettings, ConsoleSettings):
    """Every knob of the gateway. Environment variables are the upper-case field names."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    database_url: str | None = Field(
        default=None, description="Unset: the embedded SQLite file in DATA_DIR."
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    redis_url: str | None = None
    redis_namespace: str = Field(
        default="jewgo", description="Prefix of every Redis key and channel of this fleet."
    )
    redis_timeout_seconds: float = Field(default=0.25, gt=0)
    flag_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often each process checks the flag revision."
    )
    jwt_secret: SecretStr | None = None
    jwt_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    forwarded_allow_ips: str = Field(
        default="",
        description="Proxies whose X-Forwarded-For/-Proto are trusted (comma-separated "
        "addresses or networks, `*` for any); none by default.",
    )
    http_max_header_bytes: int = Field(default=32768, ge=4096, le=1_048_576)
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    http_keep_alive_seconds: float = Field(default=5.0, gt=0, le=300)
    max_connections: int = Field(
        default=1000, ge=10, description="Open connections and requests per worker; then 503."
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="/metrics and /ready on a port of their own."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="/metrics and /ready only with `Authorization: Bearer <it>`."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    gc_freeze: bool = Field(
        default=True,
        description="After start-up, leave what start-up built (schema, engine, caches) out "
        "of garbage collections (`gc.freeze`): they then scan what requests allocate only.",
    )

    cors_origins: str = Field(
        default="",
        description="Comma-separated origins browsers may call from (`*`: any); none by default.",
    )
    cors_allow_credentials: bool = Field(
        default=False, description="Let browsers send cookies; never together with `*`."
    )
    persisted_queries: Literal["off", "apq", "safelist"] = Field(
        default="apq",
        description="Apollo's automatic persisted queries; `safelist` runs registered "
        "operations only (an ADMIN may run any).",
    )
    cdn_max_age_seconds: int = Field(
        default=60,
        ge=0,
        le=86400,
        description="Longest max-age of an anonymous GET of a persisted query.",
    )
    registry_max_document_characters: int = Field(
        default=16_384, ge=256, description="Longer documents are not recorded in the registry."
    )
    registry_max_operations: int = Field(
        default=10_000, ge=10, description="Distinct documents the registry takes at most."
    )
    registry_flush_seconds: float = Field(
        default=5.0, gt=0, description="How often runs are added to the operation registry."
    )
    graphiql: bool = True
    graphiql_assets: Literal["local", "cdn"] = Field(
        default="local",
        description="Where GraphiQL's page loads its assets from: the gateway, or a CDN.",
    )
    introspection: bool = True
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=2000, ge=10)
    max_batch_size: int = Field(default=10, ge=1, description="Operations in one batch.")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_json_depth: int = Field(
        default=32, ge=4, le=512, description="Nesting of request JSON (variables included)."
    )
    query_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="What parsed and validated query texts may retain per process, in bytes.",
    )
    query_cache_max_length: int = Field(
        default=16 * 1024, ge=0, description="The longest query text (characters) kept parsed."
    )
    max_query_cost: int = Field(
        default=10_000,
        ge=1,
        description="The largest estimated cost of a request (a batch: all its operations).",
    )
    query_cost_mode: Literal["enforce", "measure"] = Field(
        default="enforce", description="measure: estimate, log and report; refuse nothing."
    )
    rate_limit_per_minute: int = Field(
        default=3000, ge=0, description="Requests per client per minute; 0 turns it off."
    )
    rate_limit_cost_per_minute: int = Field(
        default=100_000,
        ge=0,
        description="Estimated cost per client per minute (enforce mode); 0 turns it off.",
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    seed_scale: int = Field(default=1, ge=1, description="Scale of the first-start seed.")

    shadow_sample_rate: float = Field(
        default=0.05, ge=0, le=1, description="Share of eligible reads compared with v4."
    )
    shadow_concurrency: int = Field(default=2, ge=1)
    shadow_noise_rate: float = Field(
        default=0.1, ge=0, le=1, description="Share of comparisons that also run v3 twice."
    )
    shadow_noise_relative_percent: float = Field(default=20.0, ge=0, le=10_000)
    shadow_noise_absolute_percent: float = Field(default=0.03, ge=0, le=100)
    replay_max_age_seconds: int = Field(default=86_400, ge=1, le=90 * 86_400)
    confirm_concurrency: int = Field(
        default=4, ge=0, description="v4 read errors re-run on v3 at once (0: never)."
    )
    rollout_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the controller judges running rollouts."
    )
    faults: str | None = Field(
        default=None, description="Drills: domain.version:error=R,latency_ms=M;..."
    )

    metrics_window_seconds: int = Field(
        default=300, ge=1, description="The window of FeatureFlag.metrics."
    )
    metrics_bucket_seconds: int = Field(default=5, ge=1)
    metrics_retention_seconds: int = Field(default=3 * 3600, ge=60)
    metrics_flush_seconds: float = Field(default=1.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_DRIVERS):
            raise ValueError(
                "must name an async driver: postgresql+asyncpg://user@host/db or "
                "sqlite+aiosqlite:///path/to/file.db"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("graphiql_assets", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, data: Any) -> Any:
        """In production, GraphiQL and introspection are off unless set explicitly."""
        if not isinstance(data, dict):
            return data
        given = {str(key).lower(): value for key, value in data.items()}
        if str(given.get("environment", "")).strip().lower() == "production":
            for name in _DEVELOPMENT_ONLY:
                if name not in given:
                    data = {**data, name: False}
        return data

    @model_validator(mode="after")
    def _a_request_within_the_cost_limit_fits_the_budget(self) -> Settings:
        if 0 < self.cost_budget_per_minute < self.max_query_cost:
            raise ValueError(
                "RATE_LIMIT_COST_PER_MINUTE must be 0 or at least MAX_QUERY_COST: a request "
                "the cost limit lets through could never be afforded"
            )
        return self

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else None
        if secret is not None and not secret.strip():
            raise ValueError("JWT_SECRET must not be empty (unset it to generate one)")
        if self.cors_allow_credentials and "*" in self.origins:
            raise ValueError("CORS_ORIGINS of `*` cannot go with CORS_ALLOW_CREDENTIALS")
        for origin in self.origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    "CORS_ORIGINS must list origins such as https://app.example.com "
                    "(scheme, host, optional port; no path)"
                )
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError("METRICS_TOKEN needs at least 16 characters")
        if self.environment == "production":
            if secret is None or len(secret.strip()) < 32:
                raise ValueError("production needs JWT_SECRET of at least 32 characters")
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL (PostgreSQL)")
            if self.embedded:
                raise ValueError("production needs PostgreSQL, not SQLite, in DATABASE_URL")
            if self.faults:
                raise ValueError("FAULTS (fault drills) are refused in production")
            if self.metrics_port is None and self.metrics_token is None:
                raise ValueError(
                    "production needs METRICS_PORT or METRICS_TOKEN: /metrics and /ready "
                    "show flag stages, hosts and pids"
                )
        return self

    @property
    def database(self) -> str:
        """The database URL in force: DATABASE_URL, else the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'jewgo.db'}"

    @property
    def origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def cost_budget_per_minute(self) -> int:
        """The cost budget in force. RATE_LIMIT_PER_MINUTE=0 turns per-client rate limiting
        off altogether, as it did before there was a cost budget."""
        return self.rate_limit_cost_per_minute if self.rate_limit_per_minute > 0 else 0

    @property
    def embedded(self) -> bool:
        return self.database.startswith("sqlite")


def _describe(error: Mapping[str, Any]) -> str:
    """One error as `SETTING: rule`, without the value pydantic would echo."""
    location = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{location.upper()}: {message}" if location else message


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and `values`); SettingsError naming each refused
    setting and its rule, never its value."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        errors = [_describe(error) for error in exc.errors(include_input=False)]
        raise SettingsError("; ".join(errors)) from None
