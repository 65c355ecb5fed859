"""SIGTERM stops Los within its grace however large the database: a job mid-query is cancelled
and its statement stopped, and the nightly backup (the long job at start) is abandoned."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.sigterm import fill, serve_env, stop_after
from handlers.clock import Clock, FakeClock
from handlers.context import Rules
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import Job, Scheduler
from storage.db import create_engine, release, session_factory

# A statement that runs for minutes unless stopped.
LONG = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 10000000000) SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(600)",
}


async def test_a_job_mid_query_is_stopped_at_shutdown(database_url: str) -> None:
    async def slow(session: AsyncSession, clock: Clock, rules: Rules) -> int:
        await session.execute(text(LONG[session.get_bind().dialect.name]))
        return 1

    job = Job("slow", 3600, slow)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    idle = Dispatcher(sessions, clock, Rules(), {}, "shutdown")  # no senders: never woken here
    scheduler = Scheduler(sessions, clock, Rules(), idle, jobs=[job])
    try:
        running = asyncio.create_task(scheduler.run_job(job))
        await asyncio.sleep(1.0)  # well inside its statement
        assert not running.done()
        started = time.monotonic()
        assert await scheduler.stop_running(engine, within=10) == 0
        assert time.monotonic() - started < 5
        assert running.cancelled()
        assert scheduler.stopping.is_set()  # what the backup's thread checks
        release(engine)  # what close() does next
    finally:
        await engine.dispose()


def test_sigterm_during_the_backup_of_a_large_database_exits_0_within_the_grace(
    tmp_path: Path,
) -> None:
    path = tmp_path / "los.db"
    fill(path, 400_000)  # a copy and check that take seconds, longer than the grace
    env = serve_env(path, grace=1.0)
    stopped = stop_after(env, 0.5, tmp_path / "serve.log")  # the backup runs from the start
    log = (tmp_path / "serve.log").read_text(errors="replace")[-2000:]
    assert stopped.code == 0, log
    assert stopped.seconds < 1.0 + 2.0, log  # the grace, and the interpreter's exit
    assert not list((tmp_path / "backups").glob(".*.partial")), "the partial copy is removed"
