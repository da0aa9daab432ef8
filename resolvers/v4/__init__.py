"""v4: the new data layer. Ports with a SQLAlchemy adapter (their in-memory fakes live
under tests/fakes/, contract-tested against it), a unit of work per write, services
holding the business rules, a read-through cache, and per-request DataLoaders so that
nested fields cost a constant number of statements.

    reads.py  writes.py  unit_of_work.py  exceptions.py     the ports and what they raise
    sql/       adapters.py  <domain>.py  tables.py         on SQLAlchemy Core
    cache/     entries.py  reads.py  tags.py               the cache in front of reads
    services/  layer.py  <domain>.py; backend.py           the rules, per domain
    loaders.py  validation.py                              batching; the strict checks
"""
