"""Environment overrides are read exactly, and nonsense refuses to start."""

from __future__ import annotations

import pytest

from jewgo.flags import summary
from jewgo.flags.env import EnvOverride, FlagEnvironmentError, parse
from jewgo.flags.stages import Stage
from tests.flag_snapshots import snapshot


def test_forces_rollouts_and_user_overrides() -> None:
    found = parse(
        {
            "API_V4_ENABLED": "true",
            "API_V4_RESTAURANTS": "false",
            "API_V4_RESTAURANTS_ROLLOUT": "12.5",
            "API_V4_RESTAURANTS_USER_3": "on",
            "API_V4_RESTAURANTS_USER_4": "0",
            "API_V4_ERROR_HANDLING_USER_9": "yes",
            "PATH": "/usr/bin",
        }
    )
    assert found == {
        "api_v4_enabled": EnvOverride(forced=True),
        "api_v4_restaurants": EnvOverride(forced=False, percentage=12.5, users={3: True, 4: False}),
        "api_v4_error_handling": EnvOverride(users={9: True}),
    }


@pytest.mark.parametrize(
    "environ",
    [
        {"API_V4_USERS": "maybe"},
        {"API_V4_USERS_ROLLOUT": "101"},
        {"API_V4_USERS_ROLLOUT": "nan"},
        {"API_V4_USERS_ROLLOUT": "ten"},
        {"API_V4_USERS_USER_abc": "true"},
    ],
)
def test_nonsense_is_refused(environ: dict[str, str]) -> None:
    with pytest.raises(FlagEnvironmentError):
        parse(environ)


def test_an_override_is_described_in_words() -> None:
    described = EnvOverride(forced=True, percentage=5, users={7: False}).describe("api_v4_users")
    assert described == (
        "forced to V4 by API_V4_USERS; rollout 5% by API_V4_USERS_ROLLOUT; "
        "user 7 V3 by API_V4_USERS_USER_7"
    )
    assert EnvOverride().describe("api_v4_users") is None


def test_migration_percentage_is_capped_by_the_master_flag() -> None:
    snap = snapshot(
        {
            "api_v4_enabled": (Stage.PARTIAL, 50.0),
            "api_v4_restaurants": (Stage.FULL, 0.0),
            "api_v4_reviews": (Stage.PARTIAL, 20.0),
            "api_v4_users": (Stage.TESTING, 0.0),
        },
        env={"api_v4_statistics": EnvOverride(forced=True)},
    )
    # restaurants 50 (capped), reviews 20, users 0 (staff only), statistics 50 (capped)
    assert summary.migration_percentage(snap) == (50 + 20 + 0 + 50) / 4
    assert summary.enabled(snap, "api_v4_users") is True
    assert summary.enabled(snap, "api_v4_cache") is False
    assert summary.enabled(snap, "api_v4_statistics") is True


def test_a_domain_flags_v4_share_is_capped_by_the_master_and_the_others_are_their_own() -> None:
    snap = snapshot(
        {
            "api_v4_enabled": (Stage.PARTIAL, 50.0),
            "api_v4_restaurants": (Stage.FULL, 0.0),
            "api_v4_reviews": (Stage.PARTIAL, 20.0),
            "api_v4_cache": (Stage.FULL, 0.0),
        },
        env={"api_v4_users": EnvOverride(forced=False)},
    )
    assert summary.effective_share(snap, "api_v4_restaurants") == 50.0  # the master's
    assert summary.effective_share(snap, "api_v4_reviews") == 20.0  # its own, below
    assert summary.effective_share(snap, "api_v4_users") == 0.0  # forced off
    assert summary.effective_share(snap, "api_v4_enabled") == 50.0
    assert summary.effective_share(snap, "api_v4_cache") == 100.0  # a capability: its own
