"""Identity: HS256 bearer tokens whose `sub` is a user id; the role comes from the database."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import structlog
from sqlalchemy import select

from jewgo.db.models import UserRow
from jewgo.db.session import Executor
from jewgo.gateway.settings import Settings
from jewgo.resolvers.domain import Role, Viewer
from jewgo.resolvers.errors import Unauthenticated

log = structlog.get_logger("jewgo.auth")
SECRET_FILE = "jwt-secret"
_USER_ID = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)
MAX_USER_ID = 2_147_483_647
HELD_TOKENS = 10_000


class MissingSecret(RuntimeError):
    """A shared database needs a shared JWT_SECRET: every instance must accept a token."""


def existing_secret(settings: Settings) -> str | None:
    """The secret tokens are signed with, if there is one yet: JWT_SECRET, or the embedded
    database's generated one; None rather than generating one (to check a token)."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path: Path = settings.data_dir / SECRET_FILE
    if settings.embedded and path.exists():
        return path.read_text().strip()
    return None


def resolve_secret(settings: Settings) -> str:
    """JWT_SECRET; or, for the embedded database only, a generated secret kept beside it."""
    found = existing_secret(settings)
    if found is not None:
        return found
    if not settings.embedded:
        raise MissingSecret(
            "JWT_SECRET is required with DATABASE_URL: instances sharing a database must "
            "share the secret their tokens are signed with"
        )
    path: Path = settings.data_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Created readable by its owner only, before a byte is written.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    log.warning(
        "generated a development JWT secret beside the embedded database; "
        "set JWT_SECRET for anything else",
        path=str(path),
    )
    return secret


@dataclass(frozen=True)
class Tokens:
    secret: str
    ttl_seconds: int
    clock: Callable[[], float] = time.time
    # Tokens whose signature and claims were checked: user id and expiry, so a caller's
    # next requests skip the signature (most of a signed-in HIT's cost); the expiry is
    # checked at every use. Bounded: the oldest are forgotten first.
    _held: dict[str, tuple[int, float]] = field(default_factory=dict, compare=False, repr=False)
    _counts: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)

    @property
    def verified(self) -> int:
        """How many times a signature was checked (tests)."""
        return self._counts[0]

    def issue(self, user_id: int, *, now: float | None = None) -> str:
        issued = int(now if now is not None else self.clock())
        claims = {"sub": str(user_id), "iat": issued, "exp": issued + self.ttl_seconds}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def subject(self, token: str) -> int:
        """The user id in a valid token; UNAUTHENTICATED for anything else."""
        held = self._held.get(token)
        now = self.clock()
        if held is not None and held[1] > now:
            return held[0]
        user_id, expires = self._verify(token, now)
        if len(self._held) >= HELD_TOKENS:
            for stale in list(self._held)[: HELD_TOKENS // 10]:
                del self._held[stale]
        self._held[token] = (user_id, expires)
        return user_id

    def _verify(self, token: str, now: float) -> tuple[int, float]:
        self._counts[0] += 1
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["sub", "exp"], "verify_exp": False},
            )
            subject, expires = claims["sub"], claims["exp"]
            # Only the canonical decimal form of an id that can exist: not "01", not "\\u0661"
            # (an Arabic-Indic digit that int() reads as 1), nothing past int32.
            if not isinstance(subject, str) or not _USER_ID.fullmatch(subject):
                raise jwt.InvalidTokenError("sub is not a user id")
            user_id = int(subject)
            if user_id > MAX_USER_ID:
                raise jwt.InvalidTokenError("sub is not a user id")
            if isinstance(expires, bool) or not isinstance(expires, int | float):
                raise jwt.InvalidTokenError("exp is not a time")
            # Checked here, on the injected clock, as PyJWT would (expired at `exp`).
            if expires <= now:
                raise jwt.ExpiredSignatureError("Signature has expired")
            return user_id, float(expires)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("The token is not valid") from exc


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None without a header."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be `Bearer <token>`")
    return token.strip()


async def viewer_of(user_id: int, db: Executor) -> Viewer:
    """The user of a valid token as the database knows it now; UNAUTHENTICATED when the
    user no longer exists (the role is never taken from the token)."""
    result = await db.execute(select(UserRow.role).where(UserRow.id == user_id))
    role = result.scalar_one_or_none()
    if role is None:
        raise Unauthenticated("The token's user no longer exists")
    return Viewer(id=user_id, role=Role(role))
