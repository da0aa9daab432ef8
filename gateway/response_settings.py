"""The settings of the v4 data cache and of the response cache (part of
`gateway.settings.Settings`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


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
        default=False, description="Cache whole query answers served by v4 (README)."
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
