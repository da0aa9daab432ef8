"""The parts of a flag that are records: user overrides, audit events, shadow ignores."""

from __future__ import annotations

from datetime import datetime

import strawberry

from jewgo.flags.admin.users import user_of
from jewgo.flags.store import FlagEvent as StoredEvent
from jewgo.resolvers import policy
from jewgo.schema.context import Info
from jewgo.schema.directory.enums import Stage

ACTOR_USER = (
    "The user an actor `user:<id>` is (staff only); null for any other actor (`cli:<login>` "
    "of the command line without JEWGO_TOKEN, `rollout-controller`) or a user since deleted."
)


@strawberry.type(
    description="A user who changed a flag, as staff see them: the name to ADMIN and "
    "MODERATOR; the email to ADMIN (and to the user), as `User.email`, else null."
)
class ActorUser:
    id: strawberry.ID
    name: str
    email: str | None


async def actor_user(info: Info, actor: str | None) -> ActorUser | None:
    """The person behind `actor`, loaded with the request's others in one query."""
    viewer = policy.staff(info.context.viewer)
    user_id = user_of(actor)
    person = None if user_id is None else await info.context.people.load(user_id)
    if person is None:
        return None
    email = person.email if policy.can_see_email(viewer, person.id) else None
    return ActorUser(id=strawberry.ID(str(person.id)), name=person.name, email=email)


@strawberry.type
class FlagUserOverride:
    user_id: strawberry.ID
    enabled: bool


@strawberry.type
class FlagEvent:
    id: strawberry.ID = strawberry.field(description="Stable: the event's place in the log.")
    at: datetime
    actor: str
    action: str
    from_stage: Stage | None
    to_stage: Stage | None
    from_percentage: float | None
    to_percentage: float | None
    reason: str | None

    @strawberry.field(description=ACTOR_USER)
    async def actor_user(self, info: Info) -> ActorUser | None:
        return await actor_user(info, self.actor)

    @classmethod
    def of(cls, event: StoredEvent) -> FlagEvent:
        return cls(
            id=strawberry.ID(f"FlagEvent:{event.id}"),
            at=event.at,
            actor=event.actor,
            action=event.action,
            from_stage=event.from_stage,
            to_stage=event.to_stage,
            from_percentage=event.from_percentage,
            to_percentage=event.to_percentage,
            reason=event.reason,
        )


@strawberry.type(description="Left out of the flag's shadow comparisons, and why.")
class ShadowIgnore:
    target: str = strawberry.field(
        description="A schema field (`Restaurant.website`) or a response path prefix "
        "(`restaurants.edges.node.website`, without list indexes)."
    )
    reason: str
