"""Test databases: a migrated SQLite file copied per test, and PostgreSQL when reachable.

PostgreSQL tests run against a fresh database created for this test run (one for each
pytest-xdist worker) on the server named by ``LOS_TEST_POSTGRES`` (default: the local ``test``
database as ``postgres``); they are skipped, saying why, when it cannot be reached, unless
``LOS_TEST_REQUIRE_POSTGRES=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "LOS_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("LOS_TEST_REQUIRE_POSTGRES") == "1"


def run_in_thread(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to the end on its own loop, even when called from inside a running one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


def make_sqlite_template(folder: Path) -> Path:
    template = folder / "template.db"
    run_in_thread(lambda: _migrate(f"sqlite+aiosqlite:///{template}"))
    return template


def sqlite_copy(template: Path, folder: Path) -> str:
    target = folder / f"{uuid.uuid4().hex}.db"
    shutil.copy(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _create_pg_database() -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    # Each pytest-xdist worker (gw0, gw1, ...) its own; other runs on the same server too.
    name = f"los_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    await _migrate(url)
    return url


def create_pg_database() -> tuple[str | None, str]:
    """A migrated database for this run, or (None, why not)."""
    try:
        return run_in_thread(lambda: asyncio.wait_for(_create_pg_database(), 30)), ""
    except Exception as exc:
        return None, f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc!r}"


def drop_pg_database(url: str) -> None:
    async def drop() -> None:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
        name = make_url(url).database
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await admin.dispose()

    run_in_thread(drop)


async def truncate_all(url: str) -> None:
    """Empty every table between tests and restart their ids at 1, as ``TRUNCATE ... RESTART
    IDENTITY`` would. ``DELETE`` children first instead: a test leaves a few rows in a few of the
    50 tables, and ``TRUNCATE`` replaces every table's files whether it holds rows or not (a
    second a test on a loaded machine, against milliseconds)."""
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in reversed(Base.metadata.sorted_tables))
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            # asyncpg's simple protocol: the whole script in one round trip and one transaction.
            await raw.execute(f"BEGIN;{deletes}{RESTART_SEQUENCES}COMMIT;")
    finally:
        await engine.dispose()


RESTART_SEQUENCES = (
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema();"
)
