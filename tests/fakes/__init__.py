"""In-memory fakes of v4's ports (reads, writes, unit of work), for the unit tier.

They live with the tests, not in the package: the wheel ships product code only. The
contract tests (`test_repositories.py` and `test_write_ports.py` in
`tests/integration/resolvers/v4/sql/`) run the same cases against these fakes and the SQL
adapters, so the two cannot drift apart.

    memory.py                  MemoryReads, MemoryUnitOfWork
    memory_<domain>.py         one domain's reads and writes
    memory_store.py            the rows they share
"""
