"""The settings of the response cache (part of `gateway.settings.Settings`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class ResponseCacheSettings(BaseSettings):
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
    response_cache_max_entry_bytes: int = Field(default=1024 * 1024, ge=1024)
    response_cache_max_variables_bytes: int = Field(
        default=4096, ge=2, description="Longer variables (canonical JSON) are not cached."
    )
