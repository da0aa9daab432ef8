"""Identity: HS256 bearer tokens whose `sub` is a user id; the role comes from the database."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
import structlog
from sqlalchemy import select

from db.models import UserRow
from db.session import Executor
from gateway.settings import Settings
from resolvers.domain import Role, Viewer
from resolvers.errors import Unauthenticated

log = structlog.get_logger("jewgo.auth")
SECRET_FILE = "jwt-secret"


def resolve_secret(settings: Settings) -> str:
    """JWT_SECRET, or (development only) a generated secret kept in DATA_DIR."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    path: Path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    log.warning("generated a development JWT secret; set JWT_SECRET in production", path=str(path))
    return secret


@dataclass(frozen=True)
class Tokens:
    secret: str
    ttl_seconds: int

    def issue(self, user_id: int, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {"sub": str(user_id), "iat": issued, "exp": issued + self.ttl_seconds}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def subject(self, token: str) -> int:
        """The user id in a valid token; UNAUTHENTICATED for anything else."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}
            )
            subject = claims["sub"]
            if not isinstance(subject, str) or not subject.isdigit() or len(subject) > 18:
                raise jwt.InvalidTokenError("sub is not a user id")
            return int(subject)
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


async def viewer(tokens: Tokens, header: str | None, db: Executor) -> Viewer | None:
    """Who is calling: None when anonymous; UNAUTHENTICATED for a bad or orphaned token."""
    token = bearer(header)
    if token is None:
        return None
    user_id = tokens.subject(token)
    result = await db.execute(select(UserRow.role).where(UserRow.id == user_id))
    role = result.scalar_one_or_none()
    if role is None:
        raise Unauthenticated("The token's user no longer exists")
    return Viewer(id=user_id, role=Role(role))
