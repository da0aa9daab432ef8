"""Settings refuse what is unsafe, name the setting and the rule, and never echo a value."""

from __future__ import annotations

import pytest

from jewgo.gateway.settings import SettingsError, load_settings

PG = "postgresql+asyncpg://db/jewgo"
SECRET = "p" * 40


def test_a_refused_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hunter2-" + "s" * 23  # 31 characters: one too few
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", secret)
    monkeypatch.setenv("DATABASE_URL", PG)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert "JWT_SECRET" in message and "32" in message
    assert secret[:6] not in message and "sssss" not in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_a_bad_value_names_its_setting_and_rule_without_the_value() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(port="not-a-port-but-a-secret", max_page_size=0)
    message = str(refused.value)
    assert "PORT:" in message and "MAX_PAGE_SIZE:" in message
    assert "not-a-port-but-a-secret" not in message


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"jwt_secret": " " * 40, "database_url": PG}, "JWT_SECRET must not be empty"),
        ({"jwt_secret": "x" * 31 + " ", "database_url": PG}, "production needs JWT_SECRET"),
        ({"jwt_secret": SECRET}, "production needs DATABASE_URL"),
        ({"jwt_secret": SECRET, "database_url": "sqlite+aiosqlite:///x.db"}, "not SQLite"),
        ({"jwt_secret": SECRET, "database_url": PG, "faults": "restaurants.v4:error=1"}, "FAULTS"),
        ({"jwt_secret": SECRET, "database_url": PG}, "METRICS_PORT or METRICS_TOKEN"),
        (
            {"jwt_secret": SECRET, "database_url": PG, "metrics_token": "short"},
            "METRICS_TOKEN needs at least 16",
        ),
    ],
)
def test_production_refuses(values: dict[str, str], rule: str) -> None:
    with pytest.raises(SettingsError, match=rule):
        load_settings(environment="production", **values)


@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_secret_is_refused_everywhere(secret: str) -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET must not be empty"):
        load_settings(jwt_secret=secret, database_url=PG)


def test_production_turns_graphiql_and_introspection_off_unless_set_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production = {"environment": "production", "jwt_secret": SECRET, "database_url": PG}
    quiet = load_settings(**production, metrics_port=9100)
    assert (quiet.graphiql, quiet.introspection) == (False, False)
    monkeypatch.setenv("GRAPHIQL", "true")
    chosen = load_settings(**production, metrics_port=9100)
    assert (chosen.graphiql, chosen.introspection) == (True, False)
    assert load_settings().graphiql is True  # development keeps both on


@pytest.mark.parametrize("level", ["warning", "Warning", " info ", "DEBUG"])
def test_the_log_level_is_accepted_in_any_case(level: str) -> None:
    assert load_settings(log_level=level).log_level == level.strip().upper()
