"""How a request's version is chosen per domain (before the flag store exists).

For now: an ADMIN's `X-Resolver-Version` header, then the environment forces of SPEC §4
(`API_V4_ENABLED` and `API_V4_<DOMAIN>`, both must say true), else v3.
"""

from __future__ import annotations

from collections.abc import Mapping

from resolvers.domain import Domain, Version, Viewer
from resolvers.errors import Forbidden, InvalidInput
from resolvers.router import Chooser

FORCE_HEADER = "x-resolver-version"
_TRUE = {"1", "true", "yes", "on"}


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


def environment_versions(environ: Mapping[str, str]) -> dict[Domain, Version]:
    """The version the environment forces on each domain (master AND domain say true)."""
    master = environ.get("API_V4_ENABLED", "").strip().lower() in _TRUE
    return {
        domain: Version.V4
        if master and environ.get(f"API_V4_{domain.value.upper()}", "").strip().lower() in _TRUE
        else Version.V3
        for domain in Domain
    }


def chooser(forced: Version | None, defaults: Mapping[Domain, Version]) -> Chooser:
    def choose(domain: Domain) -> Version:
        return forced or defaults[domain]

    return choose
