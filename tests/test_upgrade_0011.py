"""Rows in the shape 0011 made (tests/fixtures/upgrade/0011.sql) survive an upgrade to head."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import InboxNote, InboxThread, StaffSession, StaffUser
from tests import databases

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade" / "0011.sql"


async def load_and_upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine, "0011")
        async with engine.begin() as conn:
            for statement in FIXTURE.read_text().split(";\n"):
                lines = [ln for ln in statement.splitlines() if not ln.startswith("--")]
                if "".join(lines).strip():
                    await conn.execute(text("\n".join(lines)))
        await upgrade(engine)
        async with session_factory(engine)() as session:
            kari = await session.get(StaffUser, 901)
            assert kari is not None and kari.language == "en" and kari.totp_enrolled_at
            nina = await session.get(StaffUser, 902)
            assert nina is not None and nina.password_hash is None and nina.failed_sign_ins == 3
            stored = await session.get(StaffSession, 901)
            assert stored is not None and stored.stage == "full"
            thread = await session.get(InboxThread, 901)
            assert thread is not None and thread.assigned_staff_id == 901
            notes = list(await session.scalars(select(InboxNote.kind).order_by(InboxNote.id)))
            assert notes == ["note", "assigned"]
    finally:
        await engine.dispose()


async def test_the_0011_fixture_upgrades_to_head_on_sqlite(tmp_path: Path) -> None:
    await load_and_upgrade(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")


async def test_the_0011_fixture_upgrades_to_head_on_postgresql() -> None:
    url, why = databases.create_pg_database()
    if url is None:
        if databases.REQUIRE_POSTGRES:
            pytest.fail(why)
        pytest.skip(why)
    try:
        engine = create_engine(url)
        async with engine.begin() as conn:  # our own database: start from nothing
            await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            await conn.exec_driver_sql("CREATE SCHEMA public")
        await engine.dispose()
        await load_and_upgrade(url)
    finally:
        databases.drop_pg_database(url)
