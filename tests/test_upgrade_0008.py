"""Migration 0008 keeps rows written at 0008 through to head, and is reversible."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from storage.db import create_engine, session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import Message, ProviderLimit, ReplyBudget, Worker
from tests import databases

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade" / "0008.sql"


async def test_rows_at_0008_survive_to_head_and_the_migration_reverses(tmp_path: Path) -> None:
    for url in await fresh_urls(tmp_path):
        engine = create_engine(url)
        try:
            await upgrade(engine, "0008")
            async with engine.begin() as conn:
                for statement in statements(FIXTURE.read_text()):
                    await conn.execute(text(statement))
            await upgrade(engine)
            async with session_factory(engine)() as session:
                assert (await session.get(Message, 9802)).priority == 3  # type: ignore[union-attr]
                budget = await session.get(ReplyBudget, 9801)
                assert budget is not None and budget.answers[0][1] == "0123456789abcdef"
                assert (await session.get(Worker, "host:123:abcdef")) is not None
                limit = await session.get(ProviderLimit, "sms")
                assert limit is not None and limit.held_until is not None
            async with engine.begin() as conn:
                await conn.run_sync(lambda c: downgrade(c, "0007"))
                left = await conn.execute(text("SELECT id FROM messages ORDER BY id"))
                assert [r[0] for r in left] == [9801, 9802]
            await upgrade(engine)
            async with session_factory(engine)() as session:
                rows = await session.scalars(select(Message.priority).order_by(Message.id))
                assert list(rows) == [1, 3]  # priorities are derived again on the way up
        finally:
            await engine.dispose()
            if "postgresql" in url:
                databases.drop_pg_database(url)


def statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.startswith("--")]
    return [s for s in "\n".join(lines).split(";\n") if s.strip()]


def downgrade(connection: object, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(connection), revision)  # type: ignore[arg-type]


async def fresh_urls(tmp_path: Path) -> list[str]:
    """An empty SQLite file, and an empty PostgreSQL database when one is reachable."""
    urls = [f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"]
    pg = await empty_pg_database()
    if pg is not None:
        urls.append(pg)
    return urls


async def empty_pg_database() -> str | None:
    import uuid

    from sqlalchemy.engine import make_url

    admin = create_engine(databases.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"los_upgrade_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        if databases.REQUIRE_POSTGRES:
            raise
        return None
    finally:
        await admin.dispose()
    url = make_url(databases.POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False)
