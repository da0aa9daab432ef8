"""How a request's version is chosen per domain: the one seam the router asks.

An ADMIN's `X-Resolver-Version` header forces both versions for one request; otherwise
a domain is served by v4 iff the master flag and the domain's flag both decide V4.
"""

from __future__ import annotations

from jewgo.flags.decide import Subject, decide
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import DOMAIN_FLAGS, MASTER, Variant
from jewgo.resolvers.domain import Domain, Version, Viewer
from jewgo.resolvers.errors import Forbidden, InvalidInput
from jewgo.resolvers.router import Chooser

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


def chooser(forced: Version | None, snapshot: Snapshot, subject: Subject) -> Chooser:
    def choose(domain: Domain) -> Version:
        if forced is not None:
            return forced
        if decide(snapshot, MASTER, subject).variant is Variant.V3:
            return Version.V3
        flag = DOMAIN_FLAGS[domain.value]
        return Version.V4 if decide(snapshot, flag, subject).variant is Variant.V4 else Version.V3

    return choose
