"""Settings: one typed object from the environment (or handed in by tests).

A setting that is refused is named with the rule it breaks, never with its value (it may
be a secret): `load_settings` turns pydantic's errors into such lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from jewgo.gateway.alert_settings import AlertSettings
from jewgo.gateway.console.settings import ConsoleSettings
from jewgo.gateway.response_settings import CacheSettings

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
