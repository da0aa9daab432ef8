"""A busy, small pool serves every request: no request holds one connection while it
waits for another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import Templates, clone, environ_for
from tests.support import ADMIN_ID, Database, gateway_client

CREATE = """mutation($name: String!) {
  createRestaurant(input: {name: $name, kosherCategory: PAREVE}) { id reviews { totalCount } } }"""


@pytest.fixture
async def postgres_db(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


@pytest.mark.parametrize("pool_size", [1, 3])
async def test_concurrent_mutations_on_a_small_pool_all_succeed(
    postgres_db: Database, data_dir: Path, version: str, pool_size: int
) -> None:
    async with gateway_client(
        postgres_db, data_dir, environ_for(version), version,
        db_pool_size=pool_size, db_max_overflow=0, db_pool_timeout_seconds=20,
    ) as gql:  # fmt: skip
        replies = await asyncio.gather(
            *(gql(CREATE, {"name": f"Busy {n}"}, as_user=ADMIN_ID) for n in range(24)),
            *(gql("{ migration { flags { name history { action } } } }", as_user=ADMIN_ID,
                  touches=()) for _ in range(8)),
        )  # fmt: skip
    for reply in replies:
        reply.ok()
