"""Faults in PostgreSQL: connections killed under load, a mutation failing half-way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests import seeded
from tests.conftest import POSTGRES_ADMIN_URL, Templates, clone, environ_for
from tests.support import ADMIN_ID, Database, GraphQL, Reply, eventually, gateway_client

READ = """query($id: ID!) { restaurant(id: $id) { name reviews(first: 3) {
  edges { node { author { name } } } } } }"""


@pytest.fixture
async def postgres_db(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("postgres", templates, tmp_path)
    yield database
    await database.close()


async def kill_connections(database: Database) -> int:
    """pg_terminate_backend on every connection the gateway holds to its database."""
    name = database.url.rsplit("/", 1)[1]
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            return int(result.scalar_one())
    finally:
        await admin.dispose()


async def test_the_pool_recovers_when_postgres_kills_its_connections(
    postgres_db: Database, data_dir: Path, version: str
) -> None:
    async with gateway_client(postgres_db, data_dir, environ_for(version), version) as gql:
        replies: list[Reply] = []
        killed_after: list[int] = []

        def done() -> bool:
            # Load before the kill, and as much again after it (bounded by a deadline).
            return bool(killed_after) and len(replies) >= 2 * killed_after[0]

        async def client(n: int) -> None:
            deadline = time.monotonic() + 30
            while not done() and time.monotonic() < deadline:
                replies.append(await gql(READ, {"id": str(n % 50 + 1)}))

        async def killer() -> None:
            async def loaded() -> bool:
                return len(replies) >= 60

            await eventually(loaded)
            killed_after.append(len(replies))
            assert await kill_connections(postgres_db) > 0

        await asyncio.gather(*(client(n) for n in range(6)), killer())
        for reply in replies:  # while it happened: never a 500, never an unmasked error
            assert reply.status == 200
            assert set(reply.codes) <= {"INTERNAL_SERVER_ERROR"}
            for error in reply.errors:
                assert error["message"] == "Internal server error"
        after = [await gql(READ, {"id": str(n + 1)}) for n in range(30)]
    assert all(not r.errors for r in after), [r.errors for r in after if r.errors][:1]
    failed = sum(bool(r.errors) for r in replies)
    print(f"\n{len(replies)} requests under the kill, {failed} failed; all 30 after it succeeded")


FAIL_ON_REVIEW_DELETE = """
CREATE FUNCTION refuse_review_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.restaurant_id = {restaurant} OR OLD.author_id = {author} THEN
    RAISE EXCEPTION 'refused by the test';
  END IF;
  RETURN OLD;
END $$"""


async def test_a_mutation_failing_half_way_writes_nothing(
    postgres_db: Database, data_dir: Path, version: str
) -> None:
    restaurant = seeded.busiest_restaurant()
    author = 7
    engine = create_async_engine(postgres_db.url)
    async with engine.begin() as conn:
        await conn.execute(text(FAIL_ON_REVIEW_DELETE.format(restaurant=restaurant, author=author)))
        await conn.execute(
            text(
                "CREATE TRIGGER refuse_review_delete AFTER DELETE ON reviews "
                "FOR EACH ROW EXECUTE FUNCTION refuse_review_delete()"
            )
        )
    await engine.dispose()
    counts = "{ statistics { totalRestaurants totalReviews totalUsers } }"
    async with gateway_client(postgres_db, data_dir, environ_for(version), version) as gql:
        before = (await gql(counts)).ok()
        # Deleting the restaurant deletes its reviews first (cascade): the trigger fails
        # the statement after some rows went; the transaction must undo all of it.
        gone = await gql(
            "mutation($id: ID!) { deleteRestaurant(id: $id) }", {"id": str(restaurant)},
            as_user=ADMIN_ID,
        )  # fmt: skip
        assert gone.codes == ["INTERNAL_SERVER_ERROR"]
        user = await gql('mutation { deleteUser(id: "7") }', as_user=ADMIN_ID)
        assert user.codes == ["INTERNAL_SERVER_ERROR"]
        assert (await gql(counts)).ok() == before
        still = await gql(READ, {"id": str(restaurant)})
        assert still.ok()["restaurant"] is not None
        assert await _reviews_of(gql, restaurant) == sum(
            1 for v in seeded.dataset().reviews
            if v["restaurant_id"] == restaurant and v["status"] == "APPROVED"
        )  # fmt: skip


async def _reviews_of(gql: GraphQL, restaurant: int) -> int:
    reply = await gql(
        "query($id: ID!) { restaurant(id: $id) { reviews { totalCount } } }",
        {"id": str(restaurant)},
    )
    count: int = reply.ok()["restaurant"]["reviews"]["totalCount"]
    return count


CREATE = """mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }"""


async def test_writes_while_postgres_kills_connections_are_retryable_not_internal(
    postgres_db: Database, data_dir: Path, version: str
) -> None:
    """A write whose connection dies is SERVICE_UNAVAILABLE (retry it), and no version is
    blamed for it: the window counts no internal error."""
    async with gateway_client(postgres_db, data_dir, environ_for(version), version) as gql:
        replies: list[Reply] = []
        killed: list[int] = []

        async def writer(user: int) -> None:
            for restaurant in range(1, 41):
                review = {"restaurantId": str(restaurant + user * 40), "rating": 4,
                          "content": "Fine food, fast service."}  # fmt: skip
                replies.append(await gql(CREATE, {"input": review}, as_user=user))

        async def killer() -> None:
            for _ in range(8):

                async def busy() -> bool:
                    return len(replies) >= 10 * (len(killed) + 1)

                await eventually(busy)
                killed.append(await kill_connections(postgres_db))

        await asyncio.gather(*(writer(user) for user in (5, 6, 7)), killer())
        codes = {code for reply in replies for code in reply.codes}
        assert codes <= {"SERVICE_UNAVAILABLE", "CONFLICT"}, codes
        assert sum(killed) > 0
        window = gql.services.metrics.local_window(300)
        assert all(cell.errors == 0 for cell in window.values()), window


@pytest.mark.parametrize(
    ("faults", "v4_errors", "shared"),
    [
        ("restaurants.v4:error=1;restaurants.v3:error=1", 0, 5),  # v3 fails it too
        ("restaurants.v4:error=1", 5, 0),  # only v4 fails: v4's regression
    ],
)
async def test_a_v4_error_that_v3_gives_too_is_not_v4s(
    postgres_db: Database, data_dir: Path, faults: str, v4_errors: int, shared: int
) -> None:
    async with gateway_client(
        postgres_db, data_dir, environ_for("v4"), faults=faults, confirm_concurrency=10
    ) as gql:
        for n in range(5):
            reply = await gql(READ, {"id": str(n + 1)})
            assert reply.codes == ["INTERNAL_SERVER_ERROR"]
        await gql.services.confirmation.drain()
        cell = gql.services.metrics.local_window(300)[("restaurants", "v4")]
    assert (cell.calls, cell.errors, cell.extra.get("shared_error", 0)) == (5, v4_errors, shared)


async def test_a_repeated_failing_read_is_confirmed_once(
    postgres_db: Database, data_dir: Path
) -> None:
    faults = "restaurants.v4:error=1;restaurants.v3:error=1"
    async with gateway_client(postgres_db, data_dir, environ_for("v4"), faults=faults) as gql:
        for _ in range(40):  # the attack's shape: one input, again and again
            assert (await gql(READ, {"id": "1"})).codes == ["INTERNAL_SERVER_ERROR"]
        await gql.services.confirmation.drain()
        cell = gql.services.metrics.local_window(300)[("restaurants", "v4")]
    assert (cell.calls, cell.errors, cell.extra.get("shared_error", 0)) == (40, 0, 40)
