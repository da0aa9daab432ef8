"""The walks of docs/architecture.md, as the code runs them: an anonymous page of
restaurants and an admin's `setFlagStage` go one way through our modules (no call back
into a module above), through no more modules than recorded there.

`.venv/bin/python -m tests.walks` prints both walks, module by module."""

from __future__ import annotations

from pathlib import Path

from tests.support import Database
from tests.walks import walks

# The modules each walk passes today (docs/architecture.md, "Two walks"). A change that
# adds a module to a walk raises its figure here and there, on purpose.
PAGE_MODULES = 69
SET_STAGE_MODULES = 53


async def test_the_walks_go_one_way_through_a_known_number_of_modules(
    fresh_db: Database, data_dir: Path
) -> None:
    page, stage = await walks(fresh_db, data_dir)
    assert page.back == [], page.describe()
    assert stage.back == [], stage.describe()
    assert len(page.modules) <= PAGE_MODULES, page.describe()
    assert len(stage.modules) <= SET_STAGE_MODULES, stage.describe()
    # The page reaches the SQL of all three domains it reads; the flag change none of v4.
    assert {"jewgo.resolvers.v4.sql.restaurants", "jewgo.resolvers.v4.sql.reviews"} <= set(
        page.modules
    )
    assert not any(module.startswith("jewgo.resolvers.v4") for module in stage.modules)
