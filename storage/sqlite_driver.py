"""SQLite through aiosqlite at one thread hop a statement instead of four.

aiosqlite runs each call on the connection's own thread and hands the result back to the event
loop: about 60–70 µs a hop on this kind of machine. SQLAlchemy's adapter makes four hops a
statement (make a cursor, execute, fetch the rows, close the cursor). Routing a text costs 12–29
statements, so the hops alone were a third of its time (issue 17).

``OneHopCursor`` does all four in one call on the connection's thread and keeps what SQLAlchemy
reads afterwards (the description, the row count, the last row id, the rows). It is plugged in
as the engine's DBAPI module (``create_async_engine(..., module=one_hop_dbapi())``), so URLs,
the dialect and everything above them stay as they are. Server-side cursors (``stream()``) keep
aiosqlite's own cursor: they fetch in chunks on purpose.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, int | None, list[Any]]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """On the connection's thread: run one statement and take everything SQLAlchemy will read."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _executemany(connection: sqlite3.Connection, operation: str, rows: Any) -> Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, rows)
        return cursor.description, cursor.rowcount, cursor.lastrowid, []
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in a single call on the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # there is no driver cursor left open to close

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is made here (the base class makes one: a hop of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._run(_execute, operation, parameters)
        self._keep(outcome)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._run(_executemany, operation, seq_of_parameters)
        self._keep(outcome)

    async def _run(self, fn: Any, operation: Any, parameters: Any) -> Outcome:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return await driver._execute(lambda: fn(driver._conn, operation, parameters))

    def _keep(self, outcome: Outcome) -> None:
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows)

    def close(self) -> None:
        self._rows.clear()


class InlineCursor(OneHopCursor):
    """Runs its statement right here, on the calling thread: no hop at all.

    Only for a thread that does nothing but database work (the router's on SQLite,
    scheduler/routing_thread.py): the statement holds that thread, and SQLite releases the GIL
    while it works. The connection is opened with ``check_same_thread=False``; aiosqlite's
    thread still opens, commits and closes it, never at the same time as a statement here.
    """

    __slots__ = ()

    async def _run(self, fn: Any, operation: Any, parameters: Any) -> Outcome:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return fn(driver._conn, operation, parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor  # type: ignore[assignment]


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = InlineCursor  # type: ignore[assignment]


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's adapter presents it, with ``OneHopCursor`` for statements."""

    connection_cls: type[AsyncAdapt_aiosqlite_connection] = OneHopConnection

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = self.aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # a hung statement must not keep the process
        return self.connection_cls(self, await_(connection))


class InlineDbapi(OneHopDbapi):
    connection_cls = InlineConnection


def one_hop_dbapi() -> OneHopDbapi:
    return OneHopDbapi(aiosqlite, sqlite3)


def inline_dbapi() -> InlineDbapi:
    return InlineDbapi(aiosqlite, sqlite3)
