"""The one place where a request's version is chosen, per domain, and remembered."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from resolvers.domain import Domain, Version
from resolvers.ports import Backend, RestaurantsPort, ReviewsPort, StatisticsPort, UsersPort

Chooser = Callable[[Domain], Version]


class VersionRouter:
    """Hands each resolver the implementation of its domain for this request.

    `choose` decides once per domain (flags, a forced header, ...); the answer holds for
    the rest of the request and is reported in `versions` (`extensions.versions`).
    Backends are built on first use, so a request served by v3 never builds v4.
    """

    def __init__(self, choose: Chooser, backends: Mapping[Version, Callable[[], Backend]]) -> None:
        self._choose = choose
        self._factories = backends
        self._backends: dict[Version, Backend] = {}
        self.versions: dict[str, str] = {}

    def version(self, domain: Domain) -> Version:
        chosen = self.versions.get(domain.value)
        if chosen is None:
            version = self._choose(domain)
            self.versions[domain.value] = version.value
            return version
        return Version(chosen)

    def backend(self, version: Version) -> Backend:
        backend = self._backends.get(version)
        if backend is None:
            backend = self._backends[version] = self._factories[version]()
        return backend

    def restaurants(self) -> RestaurantsPort:
        return self.backend(self.version(Domain.RESTAURANTS)).restaurants

    def reviews(self) -> ReviewsPort:
        return self.backend(self.version(Domain.REVIEWS)).reviews

    def users(self) -> UsersPort:
        return self.backend(self.version(Domain.USERS)).users

    def statistics(self) -> StatisticsPort:
        return self.backend(self.version(Domain.STATISTICS)).statistics
