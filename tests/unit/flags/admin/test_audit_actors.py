"""Which audit actors are users: `user:<id>`, and nothing else."""

from __future__ import annotations

import pytest

from jewgo.flags.admin.users import user_actor, user_of


@pytest.mark.parametrize(
    ("actor", "user_id"),
    [("user:1", 1), ("user:2147483647", 2147483647), ("user:2147483648", None),
     ("user:01", None), ("user:", None), ("user:1 ", None), ("user:\u0661", None),
     ("cli:root", None), ("rollout-controller", None), ("", None), (None, None)],
)  # fmt: skip
def test_an_actor_is_a_user_only_as_user_and_a_plain_id(
    actor: str | None, user_id: int | None
) -> None:
    assert user_of(actor) == user_id


def test_a_users_actor_reads_back() -> None:
    assert user_of(user_actor(42)) == 42
