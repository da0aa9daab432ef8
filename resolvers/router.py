"""The one place where a request's version is chosen, per domain, and remembered."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from jewgo.db.session import connection_lost
from jewgo.resolvers.domain import Domain, Version
from jewgo.resolvers.errors import DomainError, Unavailable
from jewgo.resolvers.ports import (
    Backend,
    Interceptor,
    RestaurantsPort,
    ReviewsPort,
    StatisticsPort,
    UsersPort,
)

Chooser = Callable[[Domain], Version]


@dataclass
class Use:
    """How one request used one domain: the span of its calls and whether any failed
    inside the implementation (a DomainError is the caller's, not the implementation's)."""

    version: Version
    started: float = 0.0
    finished: float = 0.0
    calls: int = 0
    user_error: bool = False
    internal_error: bool = False
    # The database connection was lost: neither the caller's fault nor the version's.
    unavailable: bool = False
    # The domain errors its calls raised, as raised (the error codes ask who served one).
    raised: list[DomainError] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.internal_error:
            return "internal_error"
        if self.unavailable:
            return "unavailable"
        return "user_error" if self.user_error else "ok"

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished - self.started)


class _Recorded:
    """A port whose every method call is timed and classified into the domain's Use."""

    def __init__(self, port: Any, use: Use, domain: Domain, intercept: Interceptor | None) -> None:
        self._port = port
        self._use = use
        self._domain = domain
        self._intercept = intercept

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._port, name)
        use, domain, intercept = self._use, self._domain, self._intercept

        async def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            if not use.calls:
                use.started = started
            use.calls += 1
            try:
                if intercept is not None and (pending := intercept(domain, use.version)):
                    await pending
                return await method(*args, **kwargs)
            except DomainError as exc:
                use.user_error = True
                use.raised.append(exc)
                raise
            except Exception as exc:
                if connection_lost(exc):
                    use.unavailable = True
                    raise Unavailable(
                        "The database connection was lost during the request; try again"
                    ) from exc
                use.internal_error = True
                raise
            finally:
                use.finished = max(use.finished, time.perf_counter())

        self.__dict__[name] = call  # later calls skip __getattr__
        return call


class VersionRouter:
    """Hands each resolver the implementation of its domain for this request.

    `choose` decides once per domain (flags, a forced header, ...); the answer holds for
    the rest of the request and is reported in `versions` (`extensions.versions`), and
    each domain's use is measured in `uses`. Backends are built on first use, so a
    request served by v3 never builds v4.
    """

    def __init__(
        self,
        choose: Chooser,
        backends: Mapping[Version, Callable[[], Backend]],
        intercept: Interceptor | None = None,
    ) -> None:
        self._choose = choose
        self._factories = backends
        self._intercept = intercept
        self._backends: dict[Version, Backend] = {}
        self._ports: dict[Domain, Any] = {}
        self.versions: dict[str, str] = {}
        self.uses: dict[Domain, Use] = {}

    def version(self, domain: Domain) -> Version:
        chosen = self.versions.get(domain.value)
        if chosen is None:
            version = self._choose(domain)
            self.versions[domain.value] = version.value
            return version
        return Version(chosen)

    def served_by(self, error: BaseException) -> Version | None:
        """The version whose implementation raised `error`; None if no domain's call did."""
        for use in self.uses.values():
            if any(raised is error for raised in use.raised):
                return use.version
        return None

    def backend(self, version: Version) -> Backend:
        backend = self._backends.get(version)
        if backend is None:
            backend = self._backends[version] = self._factories[version]()
        return backend

    def _port(self, domain: Domain) -> Any:
        port = self._ports.get(domain)
        if port is None:
            version = self.version(domain)
            use = self.uses[domain] = Use(version)
            port = getattr(self.backend(version), domain.value)
            port = self._ports[domain] = _Recorded(port, use, domain, self._intercept)
        return port

    def restaurants(self) -> RestaurantsPort:
        return cast(RestaurantsPort, self._port(Domain.RESTAURANTS))

    def reviews(self) -> ReviewsPort:
        return cast(ReviewsPort, self._port(Domain.REVIEWS))

    def users(self) -> UsersPort:
        return cast(UsersPort, self._port(Domain.USERS))

    def statistics(self) -> StatisticsPort:
        return cast(StatisticsPort, self._port(Domain.STATISTICS))
