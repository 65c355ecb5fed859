"""The periodic jobs, and the APScheduler that runs them.

A job is a function over a session, the clock and the rules that finds due work in the database;
there is never one APScheduler job per reminder. Every job is safe to run in several processes at
once (idempotency keys), and an ``exclusive`` job takes a PostgreSQL advisory lock so that only
one process runs it at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers import activities, broadcasts, checkins, figures, retention, surveys
from handlers.clock import Clock
from handlers.context import Rules
from handlers.followup import assignments as followup_assignments
from handlers.followup import reminders as followup_reminders
from handlers.followup import signs as followup_signs
from handlers.rota import offers as rota_offers
from scheduler import inbound, outage
from scheduler.dispatcher import Dispatcher
from scheduler.metrics import JOB_RUNS
from scheduler.spool import Spool, replay
from storage.db import interrupt
from storage.models import JobRun as JobRunRow

log = logging.getLogger(__name__)

JobFunction = Callable[[AsyncSession, Clock, Rules], Awaitable[int]]
SweepFunction = Callable[[async_sessionmaker[AsyncSession], Clock, Rules], Awaitable[int]]
# How often dead workers' claims are looked for: with 30 s without a heartbeat, within 35 s.
RECOVER_SECONDS = 5


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: JobFunction
    exclusive: bool = False


@dataclass(frozen=True)
class Sweep:
    """A job that takes its own transactions, one per item, so one bad item spoils nothing."""

    name: str
    every_seconds: float
    run: SweepFunction


async def blank_in_batches(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules
) -> int:
    """Retention, one transaction per batch: the write lock is never held for long, and a stop
    between batches loses nothing (the next run goes on where this one ended)."""
    done = 0
    while True:
        async with sessions.begin() as session:
            changed = await retention.blank_old_texts(session, clock, rules)
        done += changed
        if changed == 0:
            return done


# Feature modules add their jobs here, one line each.
JOBS: list[Job] = [
    Job("figures", 300, figures.fold, exclusive=True),
    Job("resume_paused", 60, checkins.resume_paused),
    Job("checkins_due", 60, checkins.ask_due, exclusive=True),
    Job("checkin_nudges", 300, checkins.nudge_silent, exclusive=True),
    Job("activity_series", 3600, activities.extend_all_series, exclusive=True),
    Job("activities_held", 600, activities.mark_held),
    Job("rota_offers", 60, rota_offers.offer_sweep),
    Job("rota_finish_shifts", 300, rota_offers.finish_shifts),
    Job("everyday_reminders", 60, followup_reminders.send_due, exclusive=True),
    Job("everyday_reminders_missed", 600, followup_reminders.mark_missed),
    Job("assignment_reviews", 3600, followup_assignments.ask_reviews, exclusive=True),
    Job("signs_of_life", 900, followup_signs.step_along, exclusive=True),
    Job("survey_reminders", 300, surveys.remind_and_expire, exclusive=True),
    Job("survey_after_events", 300, surveys.ask_after_events, exclusive=True),
]
SWEEPS: list[Sweep] = [
    Sweep("inbound_sweep", 30, inbound.sweep),
    Sweep("retention", 3600, blank_in_batches),
]


async def record_run(
    sessions: async_sessionmaker[AsyncSession], name: str, run: JobRun, worker: str
) -> None:
    """Write one job's last run to ``job_runs`` (a lost race between processes is harmless)."""
    values = {
        "every_seconds": run.every_seconds,
        "last_run_at": run.last_run,
        "last_error": run.last_error,
        "worker": worker,
    }
    if run.last_error is None:
        values["last_success_at"] = run.last_success
    async with sessions.begin() as session:
        result = await session.execute(
            update(JobRunRow).where(JobRunRow.name == name).values(**values)
        )
        if not getattr(result, "rowcount", 0):
            with contextlib.suppress(IntegrityError):
                async with session.begin_nested():
                    session.add(JobRunRow(name=name, **values))


@dataclass
class JobRun:
    """What /api/ops shows of a periodic job in this process (times from the Clock)."""

    last_run: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    every_seconds: float = 0


Task = Callable[[], Awaitable[int]]


class Scheduler:
    """Runs ``JOBS`` and ``SWEEPS`` on intervals, the spool's replay, and the dispatcher's
    stale-claim recovery."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        rules: Rules,
        dispatcher: Dispatcher,
        jobs: list[Job] | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.rules = rules
        self.dispatcher = dispatcher
        self.jobs = list(JOBS if jobs is None else jobs)
        # Broadcasts left queueing (a request answered with its first chunk, or a restart):
        # their chunks take turns with this process's other writers (SQLite).
        self.broadcast_queueing = Sweep(
            "broadcast_queueing",
            5,
            functools.partial(broadcasts.queue_rest, writing=dispatcher.writing),
        )
        self.sweeps = [*SWEEPS, self.broadcast_queueing]
        if spool is not None:
            self.sweeps.append(Sweep("spool_replay", 5, functools.partial(replay, spool)))
        names = [job.name for job in self.jobs] + [sweep.name for sweep in self.sweeps]
        self._locks = {name: asyncio.Lock() for name in names}
        self._recovery_lock = asyncio.Lock()
        self._aps: AsyncIOScheduler | None = None
        self.runs: dict[str, JobRun] = {
            job.name: JobRun(every_seconds=job.every_seconds) for job in self.jobs
        }
        for sweep in self.sweeps:
            self.runs[sweep.name] = JobRun(every_seconds=sweep.every_seconds)
        self.runs["recover_stale"] = JobRun(every_seconds=RECOVER_SECONDS)
        # Jobs of the shell (the nightly backup): name -> (every_seconds, function)
        self.tasks: dict[str, tuple[int, Task]] = {}
        # time.monotonic() when any job last finished, for /readyz
        self.last_tick: float | None = None
        # Jobs running now, and the flag that work in threads (the backup) checks to stop.
        self._running: set[asyncio.Task[Any]] = set()
        self.stopping = threading.Event()

    def add_task(self, name: str, every_seconds: int, run: Task) -> None:
        """A periodic job that needs more than a session (a backup); recorded like the rest."""
        self.tasks[name] = (every_seconds, run)
        self.runs[name] = JobRun(every_seconds=every_seconds)

    def start(self) -> None:
        self._aps = AsyncIOScheduler(timezone="UTC")
        for job in self.jobs:
            self._aps.add_job(
                self.run_job,
                "interval",
                seconds=job.every_seconds,
                args=[job],
                id=job.name,
                max_instances=1,
                coalesce=True,
            )
        for sweep in self.sweeps:
            self._aps.add_job(
                self.run_sweep,
                "interval",
                seconds=sweep.every_seconds,
                args=[sweep],
                id=sweep.name,
                max_instances=1,
                coalesce=True,
            )
        self._aps.add_job(
            self.recover,
            "interval",
            seconds=RECOVER_SECONDS,
            id="recover_stale",
            max_instances=1,
            coalesce=True,
        )
        for name, (every, run) in self.tasks.items():
            self._aps.add_job(
                self.run_task,
                "interval",
                seconds=every,
                args=[name, run],
                id=name,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now().astimezone(),  # at start, then on the interval
            )
        self._aps.start()

    async def record(self, name: str, error: BaseException | None) -> None:
        """Remember this run here and in the database (so that every process can show it); a
        database that is down is one outage story, not a line per job."""
        run = self.runs.setdefault(name, JobRun())
        run.last_run = self.clock.now()
        self.last_tick = time.monotonic()
        if error is None:
            run.last_success = run.last_run
            run.last_error = None
            outage.DATABASE.ok()
        else:
            run.last_error = outage.reason(error)
            if outage.is_unavailable(error):
                outage.DATABASE.failed(error)
                return  # nowhere to write it down
            log.error("job %s failed", name, exc_info=error)
        try:
            await record_run(self.sessions, name, run, self.dispatcher.worker_id)
        except Exception as exc:
            if not outage.is_unavailable(exc):
                log.warning("could not record the run of job %s: %s", name, outage.reason(exc))

    async def run_task(self, name: str, run: Task) -> int:
        with self._tracked():
            return await self._run_task(name, run)

    async def _run_task(self, name: str, run: Task) -> int:
        try:
            done = await run()
        except asyncio.CancelledError:  # stopped by shutdown: the next start runs it again
            return 0
        except Exception as exc:
            await self.record(name, exc)
            return 0
        await self.record(name, None)
        return done

    def shutdown(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """The task running a job is known while it runs, so that shutdown can stop it."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            self._running.discard(task)

    async def stop_running(self, engine: AsyncEngine, within: float) -> int:
        """At shutdown: cancel the jobs still running and stop their statements (SQLite runs a
        query to its end otherwise, holding the process however large the database); wait at
        most ``within`` seconds. Answers how many did not end (they are abandoned)."""
        self.stopping.set()
        running = {t for t in self._running if not t.done()}
        for task in running:
            task.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while running and loop.time() < deadline:
            interrupt(engine)
            _, running = await asyncio.wait(running, timeout=0.1)
        if running:
            log.warning("%d jobs did not stop within %.0f s: abandoned", len(running), within)
        return len(running)

    async def run_job(self, job: Job) -> int:
        with self._tracked():
            return await self._run_job(job)

    async def _run_job(self, job: Job) -> int:
        """Run one job in its own transaction; an error is logged and counted, never raised."""
        async with self._locks[job.name]:
            try:
                async with self.sessions.begin() as session:
                    if job.exclusive and session.get_bind().dialect.name == "postgresql":
                        key = zlib.crc32(job.name.encode())
                        got = await session.scalar(
                            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}
                        )
                        if not got:
                            return 0
                    done = await job.run(session, self.clock, self.rules)
                JOB_RUNS.labels(job.name, "ok").inc()
            except Exception as exc:
                await self.record(job.name, exc)
                JOB_RUNS.labels(job.name, "error").inc()
                return 0
            await self.record(job.name, None)
        if done:
            self.dispatcher.wake()
        return done

    async def run_sweep(self, sweep: Sweep) -> int:
        with self._tracked():
            return await self._run_sweep(sweep)

    async def _run_sweep(self, sweep: Sweep) -> int:
        """Run one sweep; failures are counted, and logged once a minute during an outage."""
        async with self._locks[sweep.name]:
            try:
                done = await sweep.run(self.sessions, self.clock, self.rules)
                JOB_RUNS.labels(sweep.name, "ok").inc()
            except Exception as exc:
                await self.record(sweep.name, exc)
                JOB_RUNS.labels(sweep.name, "error").inc()
                return 0
            await self.record(sweep.name, None)
        if done:
            self.dispatcher.wake()
        return done

    async def recover(self) -> int:
        with self._tracked():
            return await self._recover()

    async def _recover(self) -> int:
        async with self._recovery_lock:
            try:
                recovered = await self.dispatcher.recover_stale()
            except Exception as exc:
                await self.record("recover_stale", exc)
                return 0
            await self.record("recover_stale", None)
            return recovered

    async def run_due(self) -> None:
        """Run every job once now, then send what is due: what the controllable clock calls."""
        await self.recover()
        for sweep in self.sweeps:
            await self.run_sweep(sweep)
        for job in self.jobs:
            await self.run_job(job)
        await self.dispatcher.drain()
