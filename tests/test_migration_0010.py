"""Migration 0010: tokens move to api_tokens, button presses to their own column, states get
CHECK constraints; its fixture rows survive the upgrade to head; and it can be undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from storage.db import create_engine
from storage.migrate import upgrade

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade" / "0010.sql"


async def fresh(database_url: str) -> None:
    """An empty schema (the test databases come migrated to head)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240
        return
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        await conn.exec_driver_sql("CREATE SCHEMA public")
    await engine.dispose()


async def test_0007_data_moves_into_the_new_columns(database_url: str) -> None:
    await fresh(database_url)
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0007")
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO sites (id, name, timezone, opening_hours, default_reminders, "
                "created_at) VALUES (1, 'S', 'Europe/Oslo', '{}', '[]', '2026-01-05 09:00:00')",
                "INSERT INTO staff_users (id, name, email, role, token_hash, created_at) VALUES "
                "(1, 'A', 'a@los.test', 'admin', 'hash-of-the-old-token', '2026-01-05 09:00:00')",
                "INSERT INTO people (id, site_id, name, language, status, created_at) VALUES "
                "(1, 1, 'P', 'nb', 'active', '2026-01-05 09:00:00')",
                "INSERT INTO open_questions (id, person_id, kind, answer_type, asked_at, status) "
                "VALUES (7, 1, 'appointment', 'yesno', '2026-01-06 09:00:00', 'open')",
                "INSERT INTO messages (id, direction, channel, status, kind, attempts, urgent, "
                "created_at) VALUES (1, 'in', 'telegram', 'received', 'button:7:yes', 0, FALSE, "
                "'2026-01-06 09:05:00')",
            ):
                await conn.execute(text(statement))
        await upgrade(engine, "0010")
        async with engine.connect() as conn:
            token = (
                await conn.execute(text("SELECT staff_user_id, name, token_hash FROM api_tokens"))
            ).all()
            assert token == [(1, "default", "hash-of-the-old-token")]
            press = (
                await conn.execute(text("SELECT kind, question_id, button_answer FROM messages"))
            ).all()
            assert press == [("button", 7, "yes")]
        with pytest.raises(IntegrityError):  # a state the enum does not know
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE people SET status = 'pasued'"))
        await upgrade(engine)
    finally:
        await engine.dispose()


async def test_the_fixture_upgrades_to_head(database_url: str) -> None:
    await fresh(database_url)
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0010")
        async with engine.begin() as conn:
            for statement in FIXTURE.read_text().split(";\n"):
                lines = [s for s in statement.splitlines() if not s.startswith("--")]
                if "".join(lines).strip():
                    await conn.execute(text("\n".join(lines)))
        await upgrade(engine)
        async with engine.connect() as conn:
            names = (await conn.execute(text("SELECT name FROM api_tokens ORDER BY id"))).all()
            assert names == [("default",), ("regneark",)]
            answer = await conn.scalar(text("SELECT button_answer FROM messages WHERE id = 10001"))
            assert answer == "yes"
    finally:
        await engine.dispose()
