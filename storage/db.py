"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.sqlite_driver import one_hop_dbapi

SessionFactory = async_sessionmaker[AsyncSession]
# SQLite: the driver connections each engine has handed out right now (see ``interrupt``).
_IN_USE: weakref.WeakKeyDictionary[Any, set[Any]] = weakref.WeakKeyDictionary()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> bool:
    """A SQLite database in a file, which a second engine (another thread's) shares."""
    return is_sqlite(url) and make_url(url).database not in (None, "", ":memory:")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; SQLite gets WAL, foreign keys and a busy timeout.

    The folder of a SQLite file is created, so the embedded default works on a fresh machine.
    """
    # Statement parameters hold phone numbers and message texts: never in an error or a log.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        kwargs.setdefault("module", one_hop_dbapi())
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # The driver's own transaction handling begins only at the first write, so a read
            # followed by a write could act on a stale read; we begin transactions ourselves.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Erased or blanked data is overwritten with zeros, not left in free space.
            cursor.execute("PRAGMA secure_delete=ON")
            # After a checkpoint the WAL file is cut back to this, not left at its largest.
            cursor.execute("PRAGMA journal_size_limit=67108864")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock at the start: read-then-write is serialised, as
            # FOR UPDATE does on PostgreSQL. One site's traffic is far below what this limits.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        in_use: set[Any] = set()
        _IN_USE[engine.sync_engine] = in_use

        @event.listens_for(engine.sync_engine, "checkout")
        def _out(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
            in_use.add(dbapi_conn)

        @event.listens_for(engine.sync_engine, "checkin")
        def _in(dbapi_conn: Any, _record: Any) -> None:
            in_use.discard(dbapi_conn)

        @event.listens_for(engine.sync_engine, "close")
        def _closed(dbapi_conn: Any, _record: Any) -> None:
            in_use.discard(dbapi_conn)

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def interrupt(engine: AsyncEngine) -> int:
    """SQLite: stop the statement each connection in use is running (it fails with
    "interrupted"), so that a job stopped at shutdown ends now instead of after a long query.
    ``sqlite3``'s ``interrupt()`` is safe from any thread. PostgreSQL needs none of this: a
    cancelled asyncpg query is cancelled on the server."""
    count = 0
    for adapted in list(_IN_USE.get(engine.sync_engine, ())):
        raw = getattr(getattr(adapted, "_connection", None), "_connection", None)
        if raw is not None:  # the aiosqlite connection's sqlite3 connection, while open
            raw.interrupt()
            count += 1
    return count


def release(engine: AsyncEngine) -> None:
    """SQLite, last resort at exit: close the connections still handed out, so that their
    worker threads end and the process can exit."""
    for adapted in list(_IN_USE.get(engine.sync_engine, ())):
        driver = getattr(adapted, "_connection", None)
        if driver is not None:
            driver.stop()


def upsert_for(session: AsyncSession) -> Any:
    """The database's own ``insert``, the one with ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (PostgreSQL's or SQLite's)."""
    return insert_for(session.get_bind().dialect.name)


def insert_for(dialect: str) -> Any:
    """:func:`upsert_for` by the dialect's name, for a statement built once per database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def checkpoint(engine: AsyncEngine) -> None:
    """Copy SQLite's write-ahead log into the database file and empty it, so that erased data
    does not linger in ``-wal``; PostgreSQL keeps old row versions until VACUUM (see README)."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        # Outside a transaction (ours begin with BEGIN IMMEDIATE, which would block it).
        await conn.run_sync(_checkpoint)


def _checkpoint(sync_conn: Any) -> None:
    cursor = sync_conn.connection.dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cursor.close()


async def optimize(engine: AsyncEngine, *, first: bool = False) -> int:
    """Keep SQLite's query planner informed: ``PRAGMA optimize`` analyses the tables whose
    statistics are missing or stale (``first``: every table, as SQLite advises when a process
    starts), reading at most ``analysis_limit`` rows of each index, so it is quick at any size.
    PostgreSQL's autovacuum does this itself."""
    if engine.dialect.name != "sqlite":
        return 0
    # SQLite before 3.46 ignores 0x10000 ("every table") and analyses only the tables this
    # connection has queried since its schema last changed: at start, that may be none.
    everything = "ANALYZE" if sqlite3.sqlite_version_info < (3, 46) else "PRAGMA optimize=0x10002"
    async with engine.connect() as conn:
        await conn.run_sync(
            _pragmas_now,
            ["PRAGMA analysis_limit=1000", everything if first else "PRAGMA optimize"],
        )
    return 1


async def autovacuum_off(engine: AsyncEngine) -> bool:
    """Whether PostgreSQL runs without autovacuum. Los counts on it: without it the planner
    keeps the statistics of empty tables (it read a routing batch by scanning every message)
    and dead rows pile up, so each text costs more by the hour. SQLite: never."""
    if engine.dialect.name != "postgresql":
        return False
    async with engine.connect() as conn:
        return str(await conn.scalar(text("SHOW autovacuum"))).lower() == "off"


async def checkpoint_now(engine: AsyncEngine) -> int:
    """Copy the WAL into the database file without waiting for anyone (``PASSIVE``), so a
    reader that stays long never lets the WAL grow without bound between automatic ones."""
    if engine.dialect.name != "sqlite":
        return 0
    async with engine.connect() as conn:
        await conn.run_sync(_pragmas_now, ["PRAGMA wal_checkpoint(PASSIVE)"])
    return 1


def _pragmas_now(sync_conn: Any, statements: list[str]) -> None:
    cursor = sync_conn.connection.dbapi_connection.cursor()
    for statement in statements:
        cursor.execute(statement)
        cursor.fetchall()
    cursor.close()
