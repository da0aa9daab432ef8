"""The version seam: chosen once per domain per request, reported, built lazily."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.versions import chooser, environment_versions, forced_version
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


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, set()),
        ({"API_V4_RESTAURANTS": "true"}, set()),  # the master flag is off
        ({"API_V4_ENABLED": "true", "API_V4_RESTAURANTS": "true"}, {Domain.RESTAURANTS}),
        ({"API_V4_ENABLED": "1", "API_V4_USERS": "yes", "API_V4_REVIEWS": "false"}, {Domain.USERS}),
    ],
)
def test_environment_forces_need_the_master_and_the_domain(
    environ: dict[str, str], expected: set[Domain]
) -> None:
    versions = environment_versions(environ)
    assert {d for d, v in versions.items() if v is Version.V4} == expected


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
    defaults = environment_versions({})
    assert chooser(Version.V4, defaults)(Domain.USERS) is Version.V4
    assert chooser(None, defaults)(Domain.USERS) is Version.V3
