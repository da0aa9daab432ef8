"""The one reading of stored timestamps: aware, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from jewgo.db.timestamps import utc

NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(datetime(2024, 5, 1, 12), id="naive, as SQLite returns it"),
        pytest.param(NOON, id="aware UTC"),
        pytest.param(
            datetime(2024, 5, 1, 14, tzinfo=timezone(timedelta(hours=2))),
            id="aware in another zone, as PostgreSQL may return it",
        ),
    ],
)
def test_every_stored_timestamp_reads_as_the_same_utc_instant(stored: datetime) -> None:
    read = utc(stored)
    assert read == NOON
    assert read.tzinfo is UTC


def test_a_missing_timestamp_stays_missing() -> None:
    assert utc(None) is None
