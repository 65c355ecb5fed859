"""The running service: settings, database, clock, channels, dispatcher and scheduler together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text

from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.clock import make_clock
from bot.config import Settings, is_loopback
from bot.webhook_watch import Arrivals, ArrivalSlots
from handlers.clock import Clock, FakeClock
from handlers.sites import ensure_default_site
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import Scheduler
from scheduler.routing import Router
from scheduler.routing_thread import RoutingThread
from scheduler.spool import Spool
from scheduler.storing import GroupStore
from scheduler.writelock import WriteLock
from storage.db import (
    autovacuum_off,
    checkpoint_now,
    create_engine,
    optimize,
    release,
    session_factory,
    sqlite_file,
)
from storage.migrate import upgrade

log = logging.getLogger(__name__)

ROLES = ("all", "web", "worker")
# The dispatcher loops every second and some job runs every 30 s: a minute of silence is a hang.
ALIVE_SECONDS = 60.0
# A flood of webhooks, in which routing gives them the process first: this many in flight in
# this process, or this many arriving a second per process of this ``los serve`` (they share the
# machine's cores). A process routes about 200-350 texts a second, so beyond 400 routing would
# fall behind anyway; the providers get their answers first, and routing catches up as the flood
# eases (it still routes a text a second per worker meanwhile).
FLOOD_AT = 8
FLOOD_RATE = 400.0
AUTOVACUUM_OFF = (
    "PostgreSQL runs with autovacuum off: statistics go stale and dead rows pile up, so "
    "every text costs more by the hour; turn it on (README, Running it for real)"
)


def free_bytes(path: Path) -> int:
    """Free space on the file system holding ``path`` (or its nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


@dataclass
class BackupState:
    """The nightly backup as this process saw it; /api/ops and /metrics show it."""

    folder: Path | None = None
    last_success: datetime | None = None
    last_error: str | None = None


def url_is_loopback(url: str) -> bool:
    return is_loopback((urlsplit(url).hostname or "").strip("[]"))


def console_allowed(settings: Settings) -> bool:
    """The console lets anyone speak as any number, so it is on only when asked for
    (``LOS_CONSOLE=1``), Twilio is not set, and both the listening address and the public URL
    are loopback: a loopback HOST behind a reverse proxy has a public PUBLIC_URL."""
    return (
        settings.los_console
        and not settings.twilio_enabled
        and is_loopback(settings.host)
        and url_is_loopback(settings.base_url)
    )


def console_state(settings: Settings) -> str:
    """For the start-up line: on, or off and why."""
    if console_allowed(settings):
        return "on (LOS_CONSOLE=1, loopback only)"
    if not settings.los_console:
        return "off (LOS_CONSOLE is not 1)"
    if settings.twilio_enabled:
        return "off (Twilio is set)"
    return "off (HOST and PUBLIC_URL must both be loopback)"


def build_channels(settings: Settings) -> list[Channel]:
    """Every channel whose credentials are set; SMS goes to the console only when
    ``console_allowed``."""
    channels: list[Channel] = []
    if settings.twilio_enabled:
        from bot.channels.twilio_sms import TwilioChannel

        channels.append(TwilioChannel(settings))
        if settings.voice_from:
            from bot.channels.twilio_voice import TwilioVoiceChannel

            channels.append(TwilioVoiceChannel(settings))
    elif console_allowed(settings):
        channels.append(ConsoleChannel())
    if settings.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(settings))
    return channels


class Los:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        channels: list[Channel] | None = None,
        role: str = "all",
        arrival_slots: ArrivalSlots | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.rules = settings.rules()
        self.clock = clock or make_clock(settings.los_fake_clock)
        self.engine = create_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        self.channels = build_channels(settings) if channels is None else channels
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.dispatcher = Dispatcher(
            self.sessions,
            self.clock,
            self.rules,
            {c.channel: c for c in self.channels},
            self.worker_id,
        )
        # SQLite has one writer: this process's writers take turns, webhooks first.
        self.write_lock = WriteLock() if self.engine.dialect.name == "sqlite" else None
        # Webhook requests being answered right now (bot/webhook_watch.py counts them).
        self.webhooks_in_flight = 0
        self.webhook_arrivals = Arrivals(slots=arrival_slots)
        if self.write_lock is not None:
            self.dispatcher._write_lock = self.write_lock  # type: ignore[assignment]
        self.router: Router | RoutingThread = self.make_router()
        # Webhooks store their texts here: the texts of one moment share one commit.
        self.texts_in = GroupStore(self.sessions, self.storing)
        self.spool = Spool(settings.spool_path)
        self.scheduler = Scheduler(
            self.sessions, self.clock, self.rules, self.dispatcher, spool=self.spool
        )
        # Webhook stores that outlived their wait (the text was spooled): let them finish.
        self.late_stores: set[asyncio.Future[int | None]] = set()
        # Broadcasts being queued after their request answered (the sweep resumes them).
        self.queueing: set[asyncio.Task[int]] = set()
        self._stop = asyncio.Event()
        self._dispatch_task: asyncio.Task[None] | None = None
        # time.monotonic() when the dispatcher and jobs started; None while they do not run here
        self.background_since: float | None = None
        # Injectable for tests: free bytes on the disk holding a path.
        self.free_bytes: Callable[[Path], int] = free_bytes
        self.backups = BackupState()

    def make_router(self) -> Router | RoutingThread:
        """SQLite (a file): the router on a thread of its own, so that a batch holds the one
        writer only as long as its work takes (scheduler/routing_thread.py). PostgreSQL: in this
        loop, where the round trips of several batches overlap."""
        if self.write_lock is not None and sqlite_file(self.settings.database_url):
            return RoutingThread(
                self.settings.database_url,
                self.clock,
                self.rules,
                self.write_lock,
                wake=self.dispatcher.wake_answers,
                flooded=self.flooded,
            )
        return Router(
            self.sessions,
            self.clock,
            self.rules,
            self.dispatcher.writing,
            wake=self.dispatcher.wake_answers,
            contended=self.write_lock.contended if self.write_lock else lambda: False,
            budget=0.01 if self.write_lock else None,
            flooded=self.flooded,
            workers=1 if self.write_lock else 4,
        )

    def flooded(self) -> bool:
        """So many webhooks at once that routing should wait (scheduler/routing.py)."""
        return (
            self.webhooks_in_flight >= FLOOD_AT or self.webhook_arrivals.per_process() >= FLOOD_RATE
        )

    @property
    def fake_clock(self) -> FakeClock | None:
        return self.clock if isinstance(self.clock, FakeClock) else None

    def storing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Where a webhook stores a text: ahead of every other writer on SQLite."""
        return self.write_lock.first() if self.write_lock else contextlib.nullcontext()

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.channel == name), None)

    async def telegram_username(self) -> str | None:
        """The bot's @name for invite links, if Telegram is on."""
        from bot.channels.telegram import TelegramChannel

        channel = self.channel("telegram")
        return await channel.username() if isinstance(channel, TelegramChannel) else None

    async def prepare(self) -> None:
        """Migrate the schema and make sure a site exists."""
        await upgrade(self.engine)
        await optimize(self.engine, first=True)
        if await autovacuum_off(self.engine):
            log.warning(AUTOVACUUM_OFF)
        async with self.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # several processes starting on a fresh database make one site, not several
                await session.execute(text("SELECT pg_advisory_xact_lock(7406002)"))
            await ensure_default_site(session, self.clock, timezone=self.settings.timezone)

    @property
    def runs_background(self) -> bool:
        return self.role in ("all", "worker")

    @property
    def runs_web(self) -> bool:
        return self.role in ("all", "web")

    def start_background(self) -> None:
        """Start the dispatcher loop and the periodic jobs (and the nightly SQLite backup)."""
        from bot.nightly import nightly_backup_task

        self._stop.clear()
        task = nightly_backup_task(self)
        if task is not None:
            self.scheduler.add_task("backup", 3600, task)
        if self.engine.dialect.name == "sqlite":
            self.scheduler.add_task("sqlite_optimize", 86400, lambda: optimize(self.engine))
            self.scheduler.add_task("sqlite_checkpoint", 600, lambda: checkpoint_now(self.engine))
        self._dispatch_task = asyncio.create_task(self.dispatcher.run_forever(self._stop))
        self.scheduler.start()
        self.background_since = time.monotonic()

    def queue_broadcasts_soon(self) -> None:
        """Queue the rest of a broadcast now, after the request that made it has answered."""
        task = asyncio.create_task(self.scheduler.run_sweep(self.scheduler.broadcast_queueing))
        self.queueing.add(task)
        task.add_done_callback(self.queueing.discard)

    def alive(self, last: float | None) -> bool:
        """A loop of this process ran within the last minute (or started less than one ago)."""
        if self.background_since is None:
            return True  # not run in this process (a web process, or tests driving it)
        return time.monotonic() - (last or self.background_since) < ALIVE_SECONDS

    async def close(self, grace: float | None = None) -> None:
        """Stop taking work; give texts in the providers' hands ``grace`` seconds to finish;
        mark what is still unfinished for immediate recovery by the next process."""
        grace = self.settings.los_shutdown_grace if grace is None else grace
        self._stop.set()
        self.dispatcher.begin_shutdown()
        self.scheduler.shutdown()
        # Jobs mid-query (retention, daily counts, the backup) stop alongside the dispatcher's
        # grace rather than after it; one that will not is abandoned (issue 21).
        jobs = asyncio.create_task(self.scheduler.stop_running(self.engine, max(grace, 1.0)))
        task = self._dispatch_task
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=grace)
            if not done:
                in_hand = list(self.dispatcher.in_flight)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                try:
                    marked = await self.dispatcher.abandon_in_flight(in_hand)
                except Exception as exc:  # the database may be what is slow
                    log.warning("could not mark unfinished texts: %s", type(exc).__name__)
                else:
                    log.warning(
                        "stopped after %.0f s with %d texts unfinished; they are recovered at "
                        "the next start",
                        grace,
                        marked,
                    )
        await jobs
        for late in self.late_stores:
            late.cancel()  # each of these texts is in the spool
        await self.router.stop()  # what it had not routed yet is stored: the sweep routes it
        for queueing in self.queueing:
            queueing.cancel()  # the next start goes on after the last chunk queued
        for channel in self.channels:
            await channel.close()
        release(self.engine)  # what an abandoned job still holds, so that the process can exit
        await self.engine.dispose()
