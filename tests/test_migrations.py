"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade(engine)  # already at head: a second run is a no-op
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    assert diff == []


async def test_processes_starting_together_make_one_default_site(database_url: str) -> None:
    from sqlalchemy import func, select

    from bot.config import Settings
    from bot.service import Los
    from storage.models import Site

    many = [Los(Settings(database_url=database_url), channels=[]) for _ in range(3)]
    try:
        await asyncio.gather(*(los.prepare() for los in many))
        async with many[0].sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Site)) == 1
    finally:
        for los in many:
            await los.engine.dispose()


def test_the_migration_helper_numbers_the_next_revision_itself(tmp_path: Path) -> None:
    from storage.new_migration import next_revision_id

    assert next_revision_id(tmp_path) == "0001"
    for name in ("0001_foundation.py", "0007_staff_sites.py", "0013_first_hour.py", "README"):
        (tmp_path / name).write_text("")
    assert next_revision_id(tmp_path) == "0014"
    assert int(next_revision_id()) > 13  # the real folder: past every revision in it
