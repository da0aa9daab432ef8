"""The v4 backend: every domain's service for one request, sharing its loaders."""

from __future__ import annotations

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
        checks = checks or BasicChecks()
        self.loaders = loaders
        self.restaurants = RestaurantService(reads, uow, self.loaders, changes, checks)
        self.reviews = ReviewService(reads, uow, self.loaders, changes, checks)
        self.users = UserService(reads, uow, self.loaders, changes, checks)
        self.statistics = StatisticsService(reads)
