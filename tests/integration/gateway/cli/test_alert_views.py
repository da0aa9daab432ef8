"""Where people see alerts: `migration { alerts }`, `FeatureFlag.alerts`, `jewgo alerts
list` (text and JSON, with each webhook's delivery) and settings refused at start-up."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jewgo.db.engine import create_engine
from jewgo.flags.alerts.rules import TIMINGS, Rule
from jewgo.flags.alerts.store import AlertStore
from jewgo.gateway.cli import main
from jewgo.gateway.settings import SettingsError, load_settings
from tests.integration.alert_world import QUIET, SPIKE, TICK, World, engine_for, ticking
from tests.integration.gateway.cli.test_cli import logging_restored
from tests.support import ADMIN_ID, USER_ID, Database, gateway_client

__all__ = ["logging_restored"]  # the CLI's logging undone after each test

ALERTS = """query($state: AlertState, $first: Int!) { migration {
  alerts(state: $state, first: $first) { id rule flag severity state fingerprint value
    threshold summary figures startsAt at } }
  flag(name: "api_v4_restaurants") { alerts(state: FIRING) { rule } } }"""


@pytest.fixture
async def world(fresh_db: Database) -> World:
    """A spike on restaurants that fired and resolved, then a spike on reviews firing."""
    engine = create_engine(fresh_db.url)
    world = World(health={"api_v4_restaurants": SPIKE})
    alerts = engine_for(AlertStore(engine, ["http://127.0.0.1:9/hook"]), world)
    await alerts.evaluate()
    await ticking(alerts, world, TIMINGS[Rule.V4_ERROR_RATE_WARNING].pending_seconds)
    world.health = {"api_v4_restaurants": QUIET, "api_v4_reviews": SPIKE}
    # Restaurants' clear from the first tick on, resolved once that has lasted its
    # keep_firing_for; reviews' fire meanwhile (the warning after its `for`).
    keep_firing = TIMINGS[Rule.V4_ERROR_RATE_WARNING].keep_firing_seconds
    await ticking(alerts, world, keep_firing + TICK.total_seconds())
    await engine.dispose()
    return world


async def test_graphql_shows_firing_alerts_resolutions_and_each_flags(
    world: World, fresh_db: Database, tmp_path: Path
) -> None:
    # One tick of the gateway's own controller (at start), which judges a quiet window:
    # not clear for long enough to resolve what the test's engine fired.
    async with gateway_client(fresh_db, tmp_path, {}, rollout_interval_seconds=3600) as gql:
        firing = (await gql(ALERTS, {"state": "FIRING", "first": 10}, as_user=ADMIN_ID)).ok()
        rules = {(a["rule"], a["flag"]) for a in firing["migration"]["alerts"]}
        assert rules == {
            ("V4ErrorRateWarning", "api_v4_reviews"), ("V4ErrorRateCritical", "api_v4_reviews"),
        }  # fmt: skip
        assert firing["flag"]["alerts"] == []  # restaurants' have resolved
        critical = next(
            a for a in firing["migration"]["alerts"] if a["rule"] == "V4ErrorRateCritical"
        )
        assert (critical["severity"], critical["value"], critical["threshold"]) == (
            "critical", 25.0, 5.0,
        )  # fmt: skip
        assert critical["figures"]["v4Errors"] == 100 and critical["id"].startswith("Alert:")
        resolved = (await gql(ALERTS, {"state": "RESOLVED", "first": 10}, as_user=ADMIN_ID)).ok()
        assert {a["flag"] for a in resolved["migration"]["alerts"]} == {"api_v4_restaurants"}
        every = (await gql(ALERTS, {"first": 3}, as_user=ADMIN_ID)).ok()
        assert len(every["migration"]["alerts"]) == 3
        too_many = await gql(ALERTS, {"first": 101}, as_user=ADMIN_ID)
        assert too_many.codes == ["BAD_USER_INPUT"]
        assert set((await gql(ALERTS, {"first": 1}, as_user=USER_ID)).codes) == {"FORBIDDEN"}


@pytest.fixture
def jewgo(fresh_db: Database, tmp_path: Path) -> Callable[..., Result]:
    env = {"DATABASE_URL": fresh_db.url, "DATA_DIR": str(tmp_path), "REDIS_URL": None,
           "JWT_SECRET": None, "LOG_LEVEL": "WARNING"}  # fmt: skip

    def run(*args: str) -> Result:
        return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)

    return run


def test_jewgo_alerts_list_shows_the_log_and_the_deliveries(
    world: World, jewgo: Callable[..., Result]
) -> None:
    listing = jewgo("alerts", "list")
    assert listing.exit_code == 0, listing.output
    lines = listing.stdout.splitlines()
    # Newest first: restaurants' resolutions came last.
    assert "RESOLVED critical V4ErrorRateCritical    api_v4_restaurants" in lines[0]
    assert "FIRING   critical V4ErrorRateCritical    api_v4_reviews" in listing.stdout
    assert "webhook http://127.0.0.1:9/hook: pending, 0 attempt(s)" in listing.stdout
    firing = jewgo("alerts", "list", "--state", "firing", "--json")
    found = json.loads(firing.stdout)
    assert {a["flag"] for a in found} == {"api_v4_reviews"}
    assert found[0]["notifications"][0]["state"] == "PENDING"
    assert found[0]["figures"]["v4Calls"] == 400
    only = jewgo("alerts", "list", "--flag", "api_v4_restaurants", "--state", "RESOLVED")
    assert only.stdout.count("RESOLVED") == 2 and "api_v4_reviews" not in only.stdout


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alert_rules": "CacheFallback,NoSuchRule"}, "ALERT_RULES: names an unknown rule"),
        ({"alert_webhook_urls": "https://ok.example/hook,ftp://files"}, "ALERT_WEBHOOK_URLS"),
        ({"alert_webhook_urls": "http://host:notaport/"}, "ALERT_WEBHOOK_URLS"),
        ({"alert_warning_fraction": 1.5}, "ALERT_WARNING_FRACTION"),
        ({"alert_hysteresis_percent": 150}, "ALERT_HYSTERESIS_PERCENT"),
        ({"alert_pending_seconds": -7}, "ALERT_PENDING_SECONDS"),
        ({"alert_keep_firing_seconds": 86401}, "ALERT_KEEP_FIRING_SECONDS"),
        ({"alert_webhook_secret": "short"}, "ALERT_WEBHOOK_SECRET: needs at least 16"),
    ],
)
def test_bad_alert_settings_are_refused_by_name_without_their_value(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(**values)
    assert message in str(refused.value)
    for value in values.values():
        assert str(value) not in str(refused.value)


def test_jewgo_migration_report_in_the_seeds_shape(
    world: World, jewgo: Callable[..., Result]
) -> None:
    started = jewgo("rollout", "start", "api_v4_restaurants", "--initial", "20", "--pause-at", "50")
    assert started.exit_code == 0, started.output
    text = jewgo("migration", "report")
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("Overall status\n  enabled features      1 of 8\n")
    assert "  stages                disabled 7, testing 0, partial 1, full 0, complete 0" in (
        text.stdout
    )
    assert (
        "api_v4_restaurants       RUNNING         20%  error rate 0%  "
        "users 0 (0 signed in, 0 anonymous)  alerts 0"
    ) in text.stdout
    assert "restaurants  not ready: api_v4_restaurants is PARTIAL, not COMPLETE" in text.stdout
    found = json.loads(jewgo("migration", "report", "--json").stdout)
    assert found["overall_status"]["total_features"] == 8
    assert found["flags"]["api_v4_restaurants"] == {"stage": "PARTIAL", "percentage": 20.0}
    [rollout] = found["rollouts"]
    assert set(rollout) >= {
        "current_percentage", "current_stage", "total_users_affected", "is_healthy",
        "error_rate", "alerts_count", "signed_in_users_affected", "anonymous_callers_affected",
    }  # fmt: skip
    # The world's reviews alerts fire; restaurants' resolved: its rollout is healthy.
    assert (rollout["is_healthy"], rollout["alerts_count"]) == (True, 0)
    assert found["alerts_firing"] == 2
    assert {d["domain"] for d in found["decommission"]} == {
        "restaurants", "reviews", "users", "statistics",
    }  # fmt: skip


def test_a_bad_alert_setting_stops_the_start_with_a_clear_error(
    fresh_db: Database, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": fresh_db.url, "DATA_DIR": str(tmp_path), "JWT_SECRET": "s" * 40,
           "ALERT_RULES": "V4ErrorRateCritical,Typo", "LOG_LEVEL": "WARNING"}  # fmt: skip
    refused = CliRunner(env=env).invoke(main, ["serve", "--no-migrate"])
    assert refused.exit_code == 1
    assert "ALERT_RULES: names an unknown rule; known: all, V4ErrorRateWarning" in refused.output
    assert "Typo" not in refused.output
    env |= {"ALERT_RULES": "all", "ALERT_WEBHOOK_URLS": "not a url"}
    refused = CliRunner(env=env).invoke(main, ["serve", "--no-migrate"])
    assert refused.exit_code == 1 and "ALERT_WEBHOOK_URLS: must list" in refused.output


START = """mutation($config: RolloutConfigInput) {
  startRollout(name: "api_v4_users", config: $config) { state } }"""


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"pauseAt": [50, 100]}, "pauseAt"),
        ({"pauseAt": [-5]}, "pauseAt"),
        ({"maxInconclusiveWindows": -1}, "maxInconclusiveWindows"),
        ({"autoRollbackThresholdPercent": 150}, "autoRollbackThresholdPercent"),
    ],
)
async def test_a_rollout_config_out_of_range_is_bad_user_input(
    fresh_db: Database, tmp_path: Path, config: dict[str, object], field: str
) -> None:
    async with gateway_client(fresh_db, tmp_path, {}, rollout_interval_seconds=3600) as gql:
        refused = await gql(START, {"config": config}, as_user=ADMIN_ID)
    assert refused.codes == ["BAD_USER_INPUT"]
    assert field in refused.errors[0]["message"]
