"""v3's answer to a review write that only the database refuses (a concurrent duplicate,
a restaurant deleted meanwhile), on both databases: the words v4 uses for the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from sqlalchemy.engine import Result
from sqlalchemy.sql import Executable

from jewgo.db.engine import create_engine
from jewgo.db.session import RequestDatabase, Transaction
from jewgo.resolvers.domain import NewReview, Role, Viewer
from jewgo.resolvers.errors import Conflict, InvalidInput
from jewgo.resolvers.ports import NoChanges
from jewgo.resolvers.v3.manager import LegacyDataManager
from tests import seeded
from tests.support import Database


class Blindfolded(Transaction):
    """A transaction whose duplicate check finds nothing, as if the other writer had not
    committed yet when it ran."""

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        if "SELECT id FROM reviews WHERE restaurant_id" in str(statement):
            parameters = dict(parameters or {}) | {"r": -1}
        return await super().execute(statement, parameters)


class RacingDatabase(RequestDatabase):
    def transaction(self) -> Transaction:
        return Blindfolded(self.engine)


@pytest.fixture
async def legacy(fresh_db: Database) -> AsyncIterator[LegacyDataManager]:
    engine = create_engine(fresh_db.url)
    db = RacingDatabase(engine)
    yield LegacyDataManager(db, NoChanges())
    await db.close()
    await engine.dispose()


async def test_a_duplicate_only_the_database_sees_conflicts(legacy: LegacyDataManager) -> None:
    first = seeded.dataset().reviews[0]
    author = Viewer(first["author_id"], Role.USER)
    with pytest.raises(Conflict) as raised:
        await legacy.create_review(author, NewReview(first["restaurant_id"], 4, "Again"))
    assert raised.value.message == "You have already reviewed this restaurant"


async def test_a_restaurant_deleted_while_it_is_reviewed_is_bad_input(
    legacy: LegacyDataManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def still_there(*_: Any) -> int:
        return 1  # the existence check ran before the restaurant was deleted

    monkeypatch.setattr(legacy, "_scalar", still_there)
    user = Viewer(seeded.dataset().users[-1]["id"], Role.USER)
    with pytest.raises(InvalidInput) as raised:
        await legacy.create_review(user, NewReview(10**6, 4, "Gone"))
    assert raised.value.message == "The restaurant no longer exists"
    assert raised.value.fields == {"restaurantId": "no such restaurant"}
