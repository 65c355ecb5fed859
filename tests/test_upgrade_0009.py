"""Migration 0009 (attachments, edits, delivery failures) upgrades with data and reverses."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade
from tests import databases

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade" / "0009.sql"


def before_0009() -> str:
    """The revision 0009 follows (the integrator chains migrations, so it is not hard-coded)."""
    down = ScriptDirectory.from_config(alembic_config()).get_revision("0009").down_revision
    assert isinstance(down, str)
    return down


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def test_0009_fixture_survives_the_upgrade_and_the_migration_reverses(
    database_url: str,
) -> None:
    if database_url.startswith("postgresql"):
        await databases.truncate_all(database_url)
    engine = create_engine(database_url)
    try:
        await downgrade(engine, before_0009())
        await upgrade(engine, "0009")
        async with engine.begin() as conn:
            for statement in FIXTURE.read_text().split(";\n"):
                if statement.strip():
                    await conn.execute(text(statement))
        await upgrade(engine)
        async with engine.connect() as conn:
            kinds = (
                await conn.execute(
                    text("SELECT kind, provider_ref FROM message_attachments ORDER BY id")
                )
            ).all()
            assert [k for k, _ in kinds] == ["photo", "photo", "voice"]
            edited = await conn.scalar(text("SELECT edited_at FROM messages WHERE id = 9002"))
            assert edited is not None
            failed = await conn.scalar(
                text("SELECT failed_in_row FROM contact_points WHERE id = 9001")
            )
            assert failed == 3
        await downgrade(engine, before_0009())
        await upgrade(engine)
        async with engine.connect() as conn:
            count = await conn.scalar(text("SELECT count(*) FROM message_attachments"))
            assert count == 0
            assert await conn.scalar(text("SELECT count(*) FROM messages WHERE id = 9002")) == 1
    finally:
        await engine.dispose()
