"""Settings: one typed object from the environment (or handed in by tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "jewgo"


class Settings(BaseSettings):
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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    graphiql: bool = True
    introspection: bool = True
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=2000, ge=10)
    max_batch_size: int = Field(default=10, ge=1, description="Operations in one batch.")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
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

    shadow_sample_rate: float = Field(
        default=0.05, ge=0, le=1, description="Share of eligible reads compared with v4."
    )
    shadow_concurrency: int = Field(default=2, ge=1)
    rollout_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the controller judges running rollouts."
    )
    rollout_lease_seconds: float = Field(
        default=15.0, gt=0, description="How long the controller's lease outlives its holder."
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

    @model_validator(mode="after")
    def _a_request_within_the_cost_limit_fits_the_budget(self) -> Settings:
        if 0 < self.cost_budget_per_minute < self.max_query_cost:
            raise ValueError(
                "RATE_LIMIT_COST_PER_MINUTE must be 0 or at least MAX_QUERY_COST: a request "
                "the cost limit lets through could never be afforded"
            )
        return self

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.environment == "production":
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret) < 32:
                raise ValueError("production needs JWT_SECRET of at least 32 characters")
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL (PostgreSQL)")
        return self

    @property
    def database(self) -> str:
        """The database URL in force: DATABASE_URL, else the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'jewgo.db'}"

    @property
    def cost_budget_per_minute(self) -> int:
        """The cost budget in force. RATE_LIMIT_PER_MINUTE=0 turns per-client rate limiting
        off altogether, as it did before there was a cost budget."""
        return self.rate_limit_cost_per_minute if self.rate_limit_per_minute > 0 else 0

    @property
    def embedded(self) -> bool:
        return self.database.startswith("sqlite")
