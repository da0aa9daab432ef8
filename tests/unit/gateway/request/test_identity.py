"""Tokens, the development secret and settings that refuse unsafe production."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from jewgo.gateway.request.auth import MissingSecret, Tokens, bearer, resolve_secret
from jewgo.gateway.settings import Settings
from jewgo.resolvers.errors import Unauthenticated

TOKENS = Tokens("s" * 40, ttl_seconds=60)


def test_a_token_names_its_user_and_expires() -> None:
    token = TOKENS.issue(7, now=1_000_000)
    claims = jwt.decode(token, "s" * 40, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"sub": "7", "iat": 1_000_000, "exp": 1_000_060}
    assert TOKENS.subject(TOKENS.issue(7)) == 7
    with pytest.raises(Unauthenticated, match="expired"):
        TOKENS.subject(token)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        Tokens("t" * 40, 60).issue(7),
        jwt.encode({"sub": "7"}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "seven", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "7", "exp": 2**40}, "s" * 64, algorithm="HS512"),
        # Signed, but not the canonical decimal form of an id that can exist.
        jwt.encode({"sub": "2147483648", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "9" * 18, "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "01", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "\u0661", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": "0", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": " 1", "exp": 2**40}, "s" * 40, algorithm="HS256"),
        jwt.encode({"sub": 1, "exp": 2**40}, "s" * 40, algorithm="HS256"),
    ],
)
def test_anything_but_a_valid_token_is_unauthenticated(token: str) -> None:
    with pytest.raises(Unauthenticated):
        TOKENS.subject(token)


@pytest.mark.parametrize(
    ("header", "token"), [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc")]
)
def test_bearer_headers(header: str | None, token: str | None) -> None:
    assert bearer(header) == token


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Token abc"])
def test_other_authorization_schemes_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated):
        bearer(header)


def test_development_generates_and_keeps_a_secret_beside_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = resolve_secret(settings)
    assert len(first) >= 32
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600
    assert resolve_secret(settings) == first
    assert resolve_secret(Settings(data_dir=tmp_path, jwt_secret=SecretStr("x" * 32))) == "x" * 32


@pytest.mark.parametrize(
    "values",
    [
        {"environment": "production", "database_url": "postgresql+asyncpg://db/jewgo"},
        {"environment": "production", "jwt_secret": "short", "database_url": "postgresql://x/y"},
        {"environment": "production", "jwt_secret": "x" * 40},
    ],
)
def test_production_refuses_to_start_without_a_secret_and_a_database(
    values: dict[str, str],
) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]


def test_the_embedded_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.embedded
    assert settings.database == f"sqlite+aiosqlite:///{tmp_path / 'jewgo.db'}"


def test_a_shared_database_needs_a_shared_secret(tmp_path: Path) -> None:
    shared = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://db/jewgo")
    with pytest.raises(MissingSecret):
        resolve_secret(shared)
    assert not (tmp_path / "jwt-secret").exists()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_is_verified_once_and_its_expiry_checked_at_every_use() -> None:
    clock = Clock(2_000_000.0)
    tokens = Tokens("s" * 40, ttl_seconds=60, clock=clock)
    token = tokens.issue(7, now=clock.now)
    assert tokens.subject(token) == 7
    assert tokens.verified == 1
    for _ in range(3):
        assert tokens.subject(token) == 7
    assert tokens.verified == 1  # the signature was not checked again
    clock.now += 60
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.subject(token)


def test_a_refused_token_is_refused_every_time() -> None:
    tokens = Tokens("s" * 40, ttl_seconds=60)
    forged = Tokens("t" * 40, 60).issue(7)
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="not valid"):
            tokens.subject(forged)
    assert tokens.verified == 2
