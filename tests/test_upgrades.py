"""Every schema version upgrades to the newest with its data, on SQLite and PostgreSQL.

Each ``tests/fixtures/upgrade/<rev>.sql`` holds INSERTs that are valid right after migrating an
empty database to ``<rev>``. The test migrates to that revision, loads the file, upgrades to head
and checks that every row is still there, that no reference is broken and that the service
answers on the upgraded database. A new migration comes with its own file; it is found here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.clock import FakeClock
from storage.db import create_engine, session_factory
from storage.migrate import MigrationError, pending, upgrade
from storage.models import InboxNote, InboxThread
from tests import databases, harness
from tests import thread_figures_check as figures_check
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

FIXTURES = Path(__file__).parent / "fixtures" / "upgrade"
REVISIONS = sorted(p.stem for p in FIXTURES.glob("*.sql"))


EXTENDS = re.compile(r"^-- extends: (\d+)$", re.MULTILINE)


def fixture_statements(revision: str) -> list[str]:
    """The fixture's own statements, valid right after migrating to ``revision``."""
    return statements((FIXTURES / f"{revision}.sql").read_text())


def fixture_base(revision: str) -> str | None:
    """The revision whose fixture this one extends (``-- extends: 0007``), if any."""
    base = EXTENDS.search((FIXTURES / f"{revision}.sql").read_text())
    return base.group(1) if base else None


async def load_fixture(engine: AsyncEngine, revision: str) -> None:
    """Migrate to ``revision`` with its fixture loaded. A fixture that extends another is loaded
    on top of that one's data, migrated forward from its own revision: a migration that adds a
    little keeps the representative data of the ones before it, as a real database would."""
    base = fixture_base(revision)
    if base is not None:
        await load_fixture(engine, base)
    await upgrade(engine, revision)
    async with engine.begin() as conn:
        for statement in fixture_statements(revision):
            await conn.exec_driver_sql(statement)
    if engine.dialect.name == "postgresql":
        await reset_sequences(engine)


def statements(sql: str) -> list[str]:
    """The file's statements: comment lines dropped, split at a semicolon ending a line."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip()]


async def table_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        counts = {}
        for name in sorted(set(names) - {"alembic_version"}):
            counts[name] = int(
                (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
            )
        return counts


async def reset_sequences(engine: AsyncEngine) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move each past the largest id."""
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
                "AND table_schema = 'public' AND column_default LIKE 'nextval%'"
            )
        )
        for (table,) in rows.all():
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
                )
            )


async def expected_after(
    engine: AsyncEngine, before: dict[str, int], revision: str = "0000"
) -> dict[str, int]:
    """Row counts an upgrade should leave: the same, except what a migration adds on purpose."""
    expected = dict(before)
    if "inbox_threads" in before and revision < "0025":  # 0025: a row for every thread
        async with engine.connect() as conn:
            threads = await conn.scalar(
                text(
                    "SELECT count(*) FROM (SELECT DISTINCT person_id, CASE WHEN person_id IS "
                    "NULL THEN contact_point_id END, CASE WHEN person_id IS NULL AND "
                    "contact_point_id IS NULL THEN id END FROM inbox_items) threads"
                )
            )
            # The rows staff made before are kept; a thread with items had one already.
            had_row = await conn.scalar(
                text("SELECT count(*) FROM inbox_threads WHERE staff_at IS NOT NULL AND items > 0")
            )
        expected["inbox_threads"] += int(threads or 0) - int(had_row or 0)
    if "staff_sites" not in before:  # 0007: coordinators keep every site they could see
        async with engine.connect() as conn:
            expected["staff_sites"] = int(
                (
                    await conn.execute(
                        text(
                            "SELECT (SELECT count(*) FROM staff_users WHERE role <> 'admin') "
                            "* (SELECT count(*) FROM sites)"
                        )
                    )
                ).scalar_one()
            )
    return expected


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no schema at all) for one fixture."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    admin = create_engine(databases.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"los_upgrade_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        await admin.dispose()
        if databases.REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL not reachable: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable at {databases.POSTGRES_ADMIN_URL}")
    url = make_url(databases.POSTGRES_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def test_every_revision_has_a_fixture() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    revisions = {rev.revision for rev in script.walk_revisions()}
    missing = sorted(revisions - set(REVISIONS))
    assert not missing, f"add tests/fixtures/upgrade/<rev>.sql for {missing}"


@pytest.mark.parametrize("revision", REVISIONS)
async def test_fixture_upgrades_to_head_with_its_data(empty_database: str, revision: str) -> None:
    engine = create_engine(empty_database)
    try:
        await load_fixture(engine, revision)
        before = await table_counts(engine)
        assert sum(before.values()) > 10, "the fixture should hold representative data"
        current, to_run = await pending(engine)
        assert current == revision
        assert to_run == [r for r in REVISIONS if r > revision] or revision == REVISIONS[-1]

        await upgrade(engine)

        after = await table_counts(engine)
        expected = await expected_after(engine, before, revision)
        assert {t: after[t] for t in expected} == expected
        async with session_factory(engine)() as session:
            assert await figures_check.differences(session) == []
        assert (await pending(engine))[1] == []
        if engine.dialect.name == "sqlite":
            async with engine.connect() as conn:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
            assert broken == []
    finally:
        await engine.dispose()
    await service_answers(empty_database)


async def service_answers(database_url: str) -> None:
    """The upgraded database serves: ready, and the staff API lists the old people."""
    twilio, telegram = FakeTwilio(), FakeTelegram()
    await twilio.start()
    await telegram.start()
    try:
        settings = harness.test_settings(database_url, twilio.url, telegram.url)
        async with harness.running_harness(
            settings, FakeClock(harness.oslo(2026, 3, 2, 10, 0)), twilio, telegram
        ) as h:
            resp = await h.client.get("/readyz")
            assert resp.status == 200, await resp.text()
            people = await h.items("/api/people")
            assert people, "the fixture's people are listed"
            await h.person("Ny Person", phone="+4791999999")  # ids continue past the fixture's
    finally:
        await twilio.stop()
        await telegram.stop()


async def test_0025_fills_a_row_for_every_thread_and_keeps_staffs_own(
    empty_database: str,
) -> None:
    """The three kinds of thread (a person's, an unknown number's, an item about nobody) get
    their figures from their items; rows staff made (assigned, notes) keep their notes."""
    engine = create_engine(empty_database)
    try:
        await load_fixture(engine, "0024")
        items = [s for s in fixture_statements("0025") if s.startswith("INSERT INTO inbox_items")]
        async with engine.begin() as conn:
            for statement in items:
                await conn.exec_driver_sql(statement)
        await upgrade(engine)
        async with session_factory(engine)() as session:
            assert await figures_check.differences(session) == []
            kept = await figures_check.kept(session)
            rows = {r.id: r for r in await session.scalars(select(InboxThread))}
            notes = await session.scalar(select(func.count()).select_from(InboxNote))
    finally:
        await engine.dispose()
    assert kept["p1301"][1:4] == (2, 1, True) and kept["p1301"][5] == 2502
    assert kept["c1302"][1:4] == (1, 1, False) and kept["i2504"][1:4] == (1, 1, False)
    assert kept["p2"][1:4] == (1, 1, False) and kept["c3"][1:4] == (1, 0, False)
    # 0011's rows: an assigned person and a noted number, with no items; staff made them.
    assert rows[901].staff_at is not None and rows[901].assigned_staff_id == 901
    assert rows[901].items == 0 and rows[902].staff_at is not None
    assert [r.id for r in rows.values() if r.staff_at is not None] == [901, 902]
    assert notes == 2


async def test_a_schema_newer_than_the_code_is_refused_in_one_line(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(MigrationError) as raised:
            await upgrade(engine)
        assert "9999" in str(raised.value) and "\n" not in str(raised.value)
    finally:
        await engine.dispose()
