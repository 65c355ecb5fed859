"""Run the Alembic migrations from inside the program (``los migrate`` and ``los serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _sqlite_foreign_keys(sync_conn: Connection, on: bool) -> None:
    """Outside a transaction (the pragma is ignored inside one): with foreign keys on, SQLite's
    table rebuilds (batch_alter_table) would run ON DELETE actions of the tables that point at the
    rebuilt one."""
    cursor = sync_conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _check_foreign_keys(sync_conn: Connection) -> None:
    broken = sync_conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"a migration broke {len(broken)} foreign keys, first: {broken[0]}")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; on PostgreSQL an advisory lock lets many processes try."""
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.run_sync(_sqlite_foreign_keys, False)
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7406001)")
                await conn.run_sync(
                    lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision)
                )
                if sqlite:
                    await conn.run_sync(_check_foreign_keys)
        finally:
            if sqlite:
                await conn.run_sync(_sqlite_foreign_keys, True)
