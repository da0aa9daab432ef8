"""How a request's version is chosen per domain (before the feature flags exist)."""

from __future__ import annotations

from resolvers.domain import Domain, Version, Viewer
from resolvers.errors import Forbidden, InvalidInput
from resolvers.router import Chooser

FORCE_HEADER = "x-resolver-version"


def forced_version(header: str | None, viewer: Viewer | None) -> Version | None:
    """The version an ADMIN forces with `X-Resolver-Version`; FORBIDDEN for anyone else."""
    if header is None:
        return None
    if viewer is None or not viewer.is_admin:
        raise Forbidden("Only an ADMIN may force a resolver version")
    try:
        return Version(header.strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            "X-Resolver-Version must be v3 or v4", {"X-Resolver-Version": "must be v3 or v4"}
        ) from exc


def chooser(forced: Version | None) -> Chooser:
    def choose(domain: Domain) -> Version:
        return forced or Version.V3

    return choose
