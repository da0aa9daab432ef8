"""The contract's enums are the domain enums (same names and values), registered with
Strawberry before any type uses them; that spares a mapping on every object.
The domain's Role is `UserRole` in the contract."""

from __future__ import annotations

import strawberry

from jewgo.flags.rollouts.model import RolloutState
from jewgo.flags.stages import Stage, Variant
from jewgo.resolvers.domain import (
    KosherCategory,
    RestaurantOrder,
    RestaurantStatus,
    ReviewStatus,
    Role,
)

for _enum, _name in (
    (Stage, "MigrationStage"),
    (Variant, "ResolverVersion"),
    (RolloutState, "RolloutState"),
    (KosherCategory, "KosherCategory"),
    (RestaurantStatus, "RestaurantStatus"),
    (ReviewStatus, "ReviewStatus"),
    (Role, "UserRole"),
    (RestaurantOrder, "RestaurantOrder"),
):
    strawberry.enum(_enum, name=_name)

__all__ = [
    "KosherCategory",
    "RestaurantOrder",
    "RestaurantStatus",
    "ReviewStatus",
    "Role",
    "RolloutState",
    "Stage",
    "Variant",
]
