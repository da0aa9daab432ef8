"""The version seam: chosen once per domain per request, reported, built lazily, measured."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from jewgo.flags.stages import Variant
from jewgo.gateway.request.identity import forced_version
from jewgo.resolvers.domain import Domain, Role, Version, Viewer
from jewgo.resolvers.errors import Forbidden, InvalidInput, NotFound
from jewgo.resolvers.router import VersionRouter


class Port:
    def __init__(self, name: str) -> None:
        self.name = name

    async def which(self) -> str:
        return self.name

    async def slow(self) -> str:
        await asyncio.sleep(0.02)
        return self.name

    async def missing(self) -> None:
        raise NotFound("nothing here")

    async def broken(self) -> None:
        raise RuntimeError("bug")


class Named:
    def __init__(self, name: str) -> None:
        self.restaurants = self.reviews = self.users = self.statistics = Port(name)


def router(choose: Any, built: list[str] | None = None, **options: Any) -> VersionRouter:
    def build(name: str) -> Any:
        if built is not None:
            built.append(name)
        return Named(name)

    return VersionRouter(
        choose, {Version.V3: lambda: build("v3"), Version.V4: lambda: build("v4")}, **options
    )


async def test_each_domain_is_decided_once_and_reported() -> None:
    asked: list[Domain] = []

    def choose(domain: Domain) -> Version:
        asked.append(domain)
        return Version.V4 if domain is Domain.REVIEWS else Version.V3

    built: list[str] = []
    seam = router(choose, built)
    reviews: Any = seam.reviews()
    assert [await reviews.which(), await seam.reviews().which()] == ["v4", "v4"]  # type: ignore[attr-defined]
    assert built == ["v4"]  # v3 not built until used
    restaurants: Any = seam.restaurants()
    assert await restaurants.which() == "v3"
    assert asked == [Domain.REVIEWS, Domain.RESTAURANTS]
    assert seam.versions == {"reviews": "v4", "restaurants": "v3"}


async def test_each_domains_use_is_measured_and_classified() -> None:
    seam = router(lambda d: Version.V4)
    users: Any = seam.users()
    await asyncio.gather(users.slow(), users.slow())
    with pytest.raises(NotFound):
        await users.missing()
    use = seam.uses[Domain.USERS]
    assert (use.calls, use.internal_error) == (3, False)  # NOT_FOUND is the caller's error
    assert 0.02 <= use.seconds < 0.5
    stats: Any = seam.statistics()
    with pytest.raises(RuntimeError):
        await stats.broken()
    assert seam.uses[Domain.STATISTICS].internal_error is True


async def test_the_version_that_raised_a_domain_error_is_recorded_not_written_on_it() -> None:
    seam = router(lambda d: Version.V4 if d is Domain.USERS else Version.V3)
    users: Any = seam.users()
    with pytest.raises(NotFound) as caught:
        await users.missing()
    restaurants: Any = seam.restaurants()
    with pytest.raises(NotFound) as other:
        await restaurants.missing()
    assert vars(caught.value) == {"message": "nothing here"}  # the exception as raised
    assert seam.served_by(caught.value) is Version.V4
    assert seam.served_by(other.value) is Version.V3
    assert seam.served_by(NotFound("raised by no port")) is None


async def test_an_interceptor_runs_before_every_call() -> None:
    seen: list[tuple[Domain, Version]] = []

    def intercept(domain: Domain, version: Version) -> None:
        seen.append((domain, version))

    seam = router(lambda d: Version.V3, intercept=intercept)
    reviews: Any = seam.reviews()
    await reviews.which()
    await reviews.which()
    assert seen == [(Domain.REVIEWS, Version.V3)] * 2


def test_a_forced_header_wins_for_admins_only() -> None:
    admin, user = Viewer(1, Role.ADMIN), Viewer(3, Role.USER)
    assert forced_version(None, user) is None
    assert forced_version(" V4 ", admin) is Variant.V4
    with pytest.raises(Forbidden):
        forced_version("v4", user)
    with pytest.raises(Forbidden):
        forced_version("v3", None)
    with pytest.raises(InvalidInput):
        forced_version("v9", admin)
