"""Migration 0013 on an empty database: its fixture rows survive the upgrade to head, and the
migration can be undone and done again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade
from tests import databases

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade" / "0013.sql"


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema at all, of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    admin = create_engine(databases.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"los_test_{uuid.uuid4().hex[:10]}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(databases.POSTGRES_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    databases.drop_pg_database(url.render_as_string(hide_password=False))


def statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";")]


async def test_0013_is_reversible_and_its_rows_survive_the_upgrade_to_head(
    empty_database: str,
) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, "0013")
        async with engine.begin() as conn:  # undone and done again, before any later revision
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0007"))
        await upgrade(engine, "0013")
        async with engine.begin() as conn:
            for statement in statements(FIXTURE.read_text()):
                await conn.execute(text(statement.rstrip(";")))
        await upgrade(engine)
        async with engine.connect() as conn:
            numbers = await conn.execute(
                text("SELECT id, list_number FROM open_questions ORDER BY id")
            )
            assert [tuple(row) for row in numbers] == [(1301, 1), (1302, 2), (1303, None)]
            cut = await conn.execute(
                text("SELECT more_list, more_from FROM contact_points WHERE id = 1301")
            )
            assert tuple(cut.one()) == ("activities", 4)
    finally:
        await engine.dispose()
