"""The v4 backend: every domain's service for one request, sharing its loaders; each
service is made when the request first uses its domain."""

from __future__ import annotations

from functools import cached_property

from jewgo.resolvers.ports import ChangeSink
from jewgo.resolvers.v4.loaders import Loaders
from jewgo.resolvers.v4.reads import Reads
from jewgo.resolvers.v4.services.layer import UnitOfWorkFactory
from jewgo.resolvers.v4.services.restaurants import RestaurantService
from jewgo.resolvers.v4.services.reviews import ReviewService
from jewgo.resolvers.v4.services.statistics import StatisticsService
from jewgo.resolvers.v4.services.users import UserService
from jewgo.resolvers.v4.validation import BasicChecks, Checks


class V4Backend:
    """The v4 implementation of every domain for one request."""

    def __init__(
        self,
        reads: Reads,
        uow: UnitOfWorkFactory,
        changes: ChangeSink,
        loaders: Loaders,
        checks: Checks | None = None,
    ) -> None:
        """`checks`: v4's strict validation when `api_v4_validation` is on, else the basics."""
        self.loaders = loaders
        self._reads, self._uow, self._changes = reads, uow, changes
        self._checks = checks or BasicChecks()

    @cached_property
    def restaurants(self) -> RestaurantService:
        return RestaurantService(self._reads, self._uow, self.loaders, self._changes, self._checks)

    @cached_property
    def reviews(self) -> ReviewService:
        return ReviewService(self._reads, self._uow, self.loaders, self._changes, self._checks)

    @cached_property
    def users(self) -> UserService:
        return UserService(self._reads, self._uow, self.loaders, self._changes, self._checks)

    @cached_property
    def statistics(self) -> StatisticsService:
        return StatisticsService(self._reads)
