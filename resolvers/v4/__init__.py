"""v4: the new data layer. Repositories (SQLAlchemy) behind ports with in-memory fakes,
a unit of work, services holding the business rules, and per-request DataLoaders so
that nested fields cost a constant number of statements."""
