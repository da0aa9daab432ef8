"""The console's settings (a part of gateway.settings.Settings, kept apart for size)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings


class ConsoleSettings(BaseSettings):
    console: bool = Field(default=True, description="Serve the operator console (/console).")
    console_port: int | None = Field(
        default=None, ge=0, le=65535, description="The console's own port; unset: PORT + 1."
    )
    console_public_url: str | None = Field(
        default=None,
        description="The console's address as browsers reach it (behind a proxy, say), "
        "e.g. https://ops.example.com: `jewgo console-link` prints its links under it; "
        "unset: http://HOST:CONSOLE_PORT (PORT + 1).",
    )
    console_link_minutes: int = Field(
        default=10, ge=1, le=60, description="How long a `jewgo console-link` link works."
    )
    console_session_seconds: int = Field(
        default=8 * 3600, ge=60, le=7 * 24 * 3600, description="Lifetime of a console sign-in."
    )
    console_watch_seconds: float = Field(
        default=0.5,
        gt=0,
        le=10,
        description="How often a process with open consoles checks the fleet for changes.",
    )

    @field_validator("console_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises on a malformed port)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
        ):
            raise ValueError("must be an http:// or https:// URL with a host, and no ? or #")
        return value.rstrip("/")
