"""A request's flag decisions: each version and capability decided once, from one snapshot."""

from __future__ import annotations

from typing import Any

import pytest

from jewgo.flags.decide import Subject, decide
from jewgo.flags.decisions import RequestDecisions
from jewgo.flags.stages import CACHE, DOMAIN_FLAGS, ERROR_HANDLING, MASTER, VALIDATION, Stage
from jewgo.flags.stages import Variant as V
from tests.flag_snapshots import SALT, snapshot

ANYONE = Subject(user_id=3, staff=False, key="user:3", salt=SALT)
FULL = (Stage.FULL, 0.0)


@pytest.mark.parametrize(
    ("stages", "forced", "expected"),
    [
        ({}, None, V.V3),
        ({DOMAIN_FLAGS["reviews"]: FULL}, None, V.V3),  # the master flag is off
        ({MASTER: FULL}, None, V.V3),  # the domain's flag is off
        ({MASTER: FULL, DOMAIN_FLAGS["reviews"]: FULL}, None, V.V4),
        ({MASTER: FULL, DOMAIN_FLAGS["reviews"]: FULL}, V.V3, V.V3),  # an ADMIN forced v3
        ({}, V.V4, V.V4),  # ... or v4, whatever the flags say
    ],
)
def test_a_domain_is_on_v4_iff_the_master_and_its_flag_both_say_so_unless_forced(
    stages: dict[str, tuple[Stage, float]], forced: V | None, expected: V
) -> None:
    decisions = RequestDecisions(snapshot(stages), ANYONE, forced)
    assert decisions.version("reviews") is expected
    assert decisions.version("restaurants") is (forced or V.V3)


@pytest.mark.parametrize(
    ("flag", "attribute"),
    [(CACHE, "cache"), (VALIDATION, "validation"), (ERROR_HANDLING, "error_handling")],
)
def test_capabilities_follow_their_own_flag(flag: str, attribute: str) -> None:
    assert getattr(RequestDecisions(snapshot({flag: FULL}), ANYONE), attribute) is True
    assert getattr(RequestDecisions(snapshot(), ANYONE), attribute) is False


def test_each_question_is_decided_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def counting(snap: Any, name: str, subject: Subject) -> Any:
        asked.append(name)
        return decide(snap, name, subject)

    monkeypatch.setattr("jewgo.flags.decisions.decide", counting)
    decisions = RequestDecisions(snapshot({MASTER: FULL, CACHE: FULL}), ANYONE)
    for _ in range(3):
        decisions.version("restaurants")
        decisions.version("users")
        _ = decisions.cache
    assert sorted(asked) == sorted(
        [MASTER, DOMAIN_FLAGS["restaurants"], DOMAIN_FLAGS["users"], CACHE]
    )


def test_nothing_is_decided_before_it_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jewgo.flags.decisions.decide", lambda *_: pytest.fail("unasked"))
    RequestDecisions(snapshot(), ANYONE)


def test_a_pinned_twin_keeps_the_subject_and_capabilities_but_fixes_versions_and_cache() -> None:
    flags = snapshot({MASTER: FULL, VALIDATION: FULL, CACHE: FULL, DOMAIN_FLAGS["users"]: FULL})
    twin = RequestDecisions(flags, ANYONE).pinned({"reviews": V.V4}, cache=False)
    assert twin.subject is ANYONE
    assert [twin.version(d) for d in DOMAIN_FLAGS] == [V.V3, V.V4, V.V3, V.V3]
    assert (twin.cache, twin.validation, twin.error_handling) == (False, True, False)
