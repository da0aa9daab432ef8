"""The vocabulary of flags: names, stages, variants and the reasons of a decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    DISABLED = "DISABLED"
    TESTING = "TESTING"
    PARTIAL = "PARTIAL"
    FULL = "FULL"
    COMPLETE = "COMPLETE"


class Variant(StrEnum):
    """Which implementation a flag picks (the GraphQL `ResolverVersion`)."""

    V3 = "v3"
    V4 = "v4"


class Reason(StrEnum):
    """Why a decision came out as it did (OpenFeature's vocabulary, plus ours)."""

    ENV = "ENV"  # an environment variable forced it
    STATIC = "STATIC"  # FULL or COMPLETE: everyone
    DISABLED = "DISABLED"  # DISABLED: no one
    OVERRIDE = "OVERRIDE"  # a per-user override
    TARGETING_MATCH = "TARGETING_MATCH"  # TESTING, and the caller is staff
    DEFAULT = "DEFAULT"  # TESTING, and the caller is not staff
    SPLIT = "SPLIT"  # PARTIAL: the caller's bucket against the percentage
    ERROR = "ERROR"  # a fault: the safe default, v3


@dataclass(frozen=True, slots=True)
class Decision:
    variant: Variant
    reason: Reason


MASTER = "api_v4_enabled"
DOMAIN_FLAGS = {
    "restaurants": "api_v4_restaurants",
    "reviews": "api_v4_reviews",
    "users": "api_v4_users",
    "statistics": "api_v4_statistics",
}
CACHE = "api_v4_cache"
VALIDATION = "api_v4_validation"
ERROR_HANDLING = "api_v4_error_handling"
FLAG_NAMES = (MASTER, *DOMAIN_FLAGS.values(), CACHE, VALIDATION, ERROR_HANDLING)


def env_name(flag: str) -> str:
    """`api_v4_restaurants` → `API_V4_RESTAURANTS`; the master is `API_V4_ENABLED`."""
    return flag.upper()
