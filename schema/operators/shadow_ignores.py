"""Ignoring a field in a flag's shadow comparisons, with a reason (ADMIN only, audited):
a field that differs by design (a new normalisation in v4, say) stops hiding the
differences that matter. Listed as `FeatureFlag.shadowIgnores`."""

from __future__ import annotations

import strawberry
from graphql import GraphQLInterfaceType, GraphQLObjectType

from jewgo.resolvers import policy
from jewgo.resolvers.errors import InvalidInput
from jewgo.schema.context import Info
from jewgo.schema.internals import graphql_schema
from jewgo.schema.operators.migration import FeatureFlag


def _actor(info: Info) -> str:
    return f"user:{policy.admin(info.context.viewer).id}"


def _known_field(info: Info, target: str) -> None:
    """A `Type.field` target must name a field of the schema (a path is any prefix)."""
    type_name, dot, field = target.partition(".")
    if not (dot and type_name[:1].isupper()):
        return
    found = graphql_schema(info.schema).get_type(type_name)
    if not isinstance(found, GraphQLObjectType | GraphQLInterfaceType) or field not in found.fields:
        raise InvalidInput(f"No field {target[:200]} in the schema", {"target": "unknown field"})


@strawberry.type
class ShadowIgnoreMutation:
    @strawberry.mutation(
        description="ADMIN only. Leaves `target` (a schema field such as Restaurant.website, "
        "or a response path prefix) out of the flag's shadow comparisons; audited."
    )
    async def ignore_shadow_field(
        self, info: Info, name: str, target: str, reason: str
    ) -> FeatureFlag:
        actor = _actor(info)
        _known_field(info, target)
        context = info.context
        state = await context.app.admin.set_shadow_ignore(name, target, reason, actor=actor)
        return FeatureFlag.of(state, context.app.flags.snapshot)

    @strawberry.mutation(description="ADMIN only. Compares `target` again; audited.")
    async def unignore_shadow_field(self, info: Info, name: str, target: str) -> FeatureFlag:
        actor = _actor(info)
        context = info.context
        state = await context.app.admin.set_shadow_ignore(name, target, None, actor=actor)
        return FeatureFlag.of(state, context.app.flags.snapshot)
