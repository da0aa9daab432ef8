"""What the app does to the process around its life: after start-up, what start-up
built is left out of garbage collections (`gc.freeze`), and given back at shutdown."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import Templates, clone
from tests.support import Database, gateway_client


@pytest.fixture
async def sqlite_db(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("sqlite", templates, tmp_path)
    yield database
    await database.close()


async def test_start_up_is_frozen_out_of_collections_until_shutdown(
    sqlite_db: Database, data_dir: Path
) -> None:
    assert gc.get_freeze_count() == 0
    async with gateway_client(sqlite_db, data_dir, {}, gc_freeze=True) as client:
        assert gc.get_freeze_count() > 10_000  # the schema, the engine, the services
        assert (await client("{ __typename }")).ok() == {"__typename": "Query"}
    assert gc.get_freeze_count() == 0


async def test_freezing_can_be_turned_off(sqlite_db: Database, data_dir: Path) -> None:
    async with gateway_client(sqlite_db, data_dir, {}, gc_freeze=False):
        assert gc.get_freeze_count() == 0
