"""Run the Alembic migrations from inside the program (``los migrate`` and ``los serve``).

On SQLite a migration that rebuilds a table (``batch_alter_table``) drops the old one, which
foreign keys from other tables forbid; so foreign keys are off while migrations run, and
``PRAGMA foreign_key_check`` must find nothing before the transaction commits.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(Exception):
    """The schema cannot be brought up to date; the message is one line for the operator."""


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script() -> ScriptDirectory:
    """The migration scripts, read once a process: every start (each test's Los too) asks."""
    return ScriptDirectory.from_config(alembic_config())


def _pending(sync_conn: Connection) -> tuple[str | None, list[str]]:
    """The database's revision and the revisions an upgrade to head would run, oldest first."""
    script = _script()
    current = MigrationContext.configure(sync_conn).get_current_revision()
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise MigrationError(
            f"the database is at schema {current}, newer than this version of Los knows "
            f"(newest {script.get_current_head()}); run the newer Los or restore a backup"
        )
    revisions = [rev.revision for rev in script.iterate_revisions("head", current)]
    return current, list(reversed(revisions))


async def pending(engine: AsyncEngine) -> tuple[str | None, list[str]]:
    """What ``los migrate`` would run: (current revision, revisions to run)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_pending)


async def _foreign_keys(conn: AsyncConnection, on: bool) -> None:
    """Outside any transaction (SQLite ignores this pragma inside one)."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; on PostgreSQL an advisory lock lets many processes try."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await _foreign_keys(conn, False)
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7406001)")
                # Refuses a schema newer than the code, in a line.
                _, to_run = await conn.run_sync(_pending)
                if revision == "head" and not to_run:
                    return  # up to date: Alembic would only read its scripts again
                await conn.run_sync(
                    lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision)
                )
                if sqlite:
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        table, rowid, parent = list(broken[0])[:3]
                        raise MigrationError(
                            f"the upgrade would leave {len(broken)} broken references "
                            f"(e.g. {table} row {rowid} -> {parent}); nothing was changed"
                        )
        finally:
            if sqlite:
                await _foreign_keys(conn, True)
