"""Starting ``los serve``: wait for the database, migrate, listen; every failure is one line.

A start-up failure (database unreachable or locked, a schema newer than the code, a bad HOST, a
port in use, a bad setting) prints one line naming the cause and the variable, and exits 2, so
that an operator or a supervisor reads the cause instead of a 140-line traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import time
from typing import NoReturn

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.logs import CURRENT, PathOnlyAccessLogger
from bot.webhook_watch import ArrivalSlots
from scheduler.outage import is_unavailable, reason
from storage.db import create_engine
from storage.migrate import MigrationError, upgrade

log = logging.getLogger("bot.startup")

EXIT_STARTUP = 2
FIRST_DELAY = 0.5
MAX_DELAY = 5.0


def fail(line: str) -> NoReturn:
    """One line on standard error (a JSON object with ``LOS_LOG_FORMAT=json``), then exit 2."""
    if CURRENT["format"] == "json":
        log.critical("%s", line)
    else:
        print(line, file=sys.stderr, flush=True)
    raise SystemExit(EXIT_STARTUP)


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def wait_for_database(settings: Settings) -> None:
    """Try the database with back-off until ``LOS_DB_WAIT`` seconds have passed."""
    engine = create_engine(settings.database_url)
    deadline = time.monotonic() + settings.los_db_wait
    delay = FIRST_DELAY
    waiting = False
    try:
        while True:
            try:
                async with engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=10)
                if waiting:
                    log.warning("database reachable; starting")
                return
            except Exception as exc:
                if not is_unavailable(exc) and not isinstance(exc, asyncio.TimeoutError):
                    fail(
                        f"cannot use DATABASE_URL {shown_url(settings.database_url)}: {reason(exc)}"
                    )
                if time.monotonic() + delay > deadline:
                    fail(
                        f"database unreachable after {settings.los_db_wait:.0f} s "
                        f"(DATABASE_URL {shown_url(settings.database_url)}, LOS_DB_WAIT): "
                        f"{reason(exc)}"
                    )
                if not waiting:
                    waiting = True
                    log.warning(
                        "waiting up to %.0f s (LOS_DB_WAIT) for the database: %s",
                        settings.los_db_wait,
                        reason(exc),
                    )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
    finally:
        await engine.dispose()


async def preflight(settings: Settings) -> None:
    """Wait for the database, then bring the schema up to date (or say in a line why not)."""
    await wait_for_database(settings)
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    except MigrationError as exc:
        fail(f"cannot start: {exc} (DATABASE_URL)")
    except Exception as exc:
        if "locked" in str(exc):
            fail(
                f"the database {shown_url(settings.database_url)} is locked by another program "
                "(DATABASE_URL); stop it or wait"
            )
        if is_unavailable(exc):
            fail(f"database failed during migration (DATABASE_URL): {reason(exc)}")
        raise
    finally:
        await engine.dispose()


def listen_error(settings: Settings, exc: OSError) -> str:
    where = f"{settings.host}:{settings.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is in use (PORT)"
    unresolved = isinstance(exc, socket.gaierror) or (exc.errno or 0) < 0  # getaddrinfo codes
    if unresolved or exc.errno in (errno.EADDRNOTAVAIL, errno.EINVAL):
        return f"cannot listen on {where}: {exc.strerror or exc} (HOST)"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied; use a PORT above 1023 (PORT)"
    return f"cannot listen on {where}: {exc.strerror or exc} (HOST, PORT)"


def check_listen(settings: Settings) -> None:
    """Bind and let go at once, so that a bad HOST or a taken PORT is found before anything
    else starts."""
    try:
        with socket.create_server((settings.host, settings.port)):
            pass
    except OSError as exc:
        fail(listen_error(settings, exc))


def serve(settings: Settings, role: str = "all", workers: int = 1) -> None:
    """Check, migrate once, then serve in one process or, on PostgreSQL, ``workers``."""
    from bot.processes import run_processes
    from storage.db import is_sqlite

    if workers > 1 and is_sqlite(settings.database_url):
        fail("--workers needs PostgreSQL: SQLite has one writer and is served by one process")
    if workers > 1 and role == "worker":
        fail("--workers starts web processes; run more workers as more `los serve --role worker`")
    for warning in settings.warnings():
        log.warning("%s", warning)
    check_listen(settings)
    asyncio.run(preflight(settings))
    if workers == 1:
        run_one(settings, role, False, None)
    else:
        run_processes(settings, role, workers, run_one)
    log.info("stopped")


def run_one(
    settings: Settings, role: str, reuse_port: bool, arrival_slots: ArrivalSlots | None
) -> None:
    """One process: the aiohttp app with this role, on uvloop unless turned off."""
    from bot.app import make_app
    from bot.logs import configure_logging
    from bot.processes import new_loop, settle_memory, stop_once
    from bot.service import Los, console_state

    configure_logging(settings.los_log_format)  # again: a process of --workers starts afresh
    loop = new_loop(settings)
    asyncio.set_event_loop(loop)
    los = Los(settings, role=role, arrival_slots=arrival_slots)
    channels = ", ".join(
        f"{c.channel} ({type(c).__name__.removesuffix('Channel').lower()})" for c in los.channels
    )
    print(
        f"Los ({role}) on http://{settings.host}:{settings.port} — channels: {channels or 'none'}; "
        f"console channel {console_state(settings)}; event loop {type(loop).__module__}",
        flush=True,
    )
    app = make_app(los)
    # After aiohttp's own signal handlers and Los's start (the cleanup context's start):
    app.on_startup.append(stop_once)
    app.on_startup.append(settle_memory)
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=None,
            access_log_class=PathOnlyAccessLogger,
            # Requests get a few seconds; then Los's own grace for texts in hand (close()).
            shutdown_timeout=min(5.0, settings.los_shutdown_grace),
            reuse_port=reuse_port or None,
            loop=loop,
        )
    except OSError as exc:
        fail(listen_error(settings, exc))
