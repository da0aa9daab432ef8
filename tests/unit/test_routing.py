"""The version seam: chosen once per domain per request, reported, built lazily."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.versions import forced_version
from resolvers.domain import Domain, Role, Version, Viewer
from resolvers.errors import Forbidden, InvalidInput
from resolvers.router import VersionRouter


class Named:
    def __init__(self, name: str) -> None:
        self.restaurants = self.reviews = self.users = self.statistics = name


def test_each_domain_is_decided_once_and_reported() -> None:
    asked: list[Domain] = []

    def choose(domain: Domain) -> Version:
        asked.append(domain)
        return Version.V4 if domain is Domain.REVIEWS else Version.V3

    built: list[str] = []

    def build(name: str) -> Any:
        built.append(name)
        return Named(name)

    router = VersionRouter(
        choose, {Version.V3: lambda: build("v3"), Version.V4: lambda: build("v4")}
    )
    served: list[Any] = [router.reviews(), router.reviews()]
    assert served == ["v4", "v4"]
    assert built == ["v4"]  # v3 not built until used
    served.append(router.restaurants())
    assert served[-1] == "v3"
    assert asked == [Domain.REVIEWS, Domain.RESTAURANTS]
    assert router.versions == {"reviews": "v4", "restaurants": "v3"}


def test_a_forced_header_wins_for_admins_only() -> None:
    admin, user = Viewer(1, Role.ADMIN), Viewer(3, Role.USER)
    assert forced_version(None, user) is None
    assert forced_version(" V4 ", admin) is Version.V4
    with pytest.raises(Forbidden):
        forced_version("v4", user)
    with pytest.raises(Forbidden):
        forced_version("v3", None)
    with pytest.raises(InvalidInput):
        forced_version("v9", admin)
