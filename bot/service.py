"""The running service: settings, database, clock, channels, dispatcher and scheduler together."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import uuid

from sqlalchemy import text

from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.clock import make_clock
from bot.config import Settings
from handlers.clock import Clock, FakeClock
from handlers.sites import ensure_default_site
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import Scheduler
from scheduler.spool import Spool
from storage.db import create_engine, session_factory
from storage.migrate import upgrade

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_channels(settings: Settings) -> list[Channel]:
    """Every channel whose credentials are set; without Twilio on a loopback host, SMS goes to
    the console."""
    channels: list[Channel] = []
    if settings.twilio_enabled:
        from bot.channels.twilio_sms import TwilioChannel

        channels.append(TwilioChannel(settings))
    elif is_loopback(settings.host):
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
    ) -> None:
        self.settings = settings
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
        self.spool = Spool(settings.spool_path)
        self.scheduler = Scheduler(
            self.sessions, self.clock, self.rules, self.dispatcher, spool=self.spool
        )
        # Webhook stores that outlived their wait (the text was spooled): let them finish.
        self.late_stores: set[asyncio.Task[int | None]] = set()
        self._stop = asyncio.Event()
        self._dispatch_task: asyncio.Task[None] | None = None

    @property
    def fake_clock(self) -> FakeClock | None:
        return self.clock if isinstance(self.clock, FakeClock) else None

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
        async with self.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # several processes starting on a fresh database make one site, not several
                await session.execute(text("SELECT pg_advisory_xact_lock(7406002)"))
            await ensure_default_site(session, self.clock, timezone=self.settings.timezone)

    def start_background(self) -> None:
        """Start the dispatcher loop and the periodic jobs."""
        self._stop.clear()
        self._dispatch_task = asyncio.create_task(self.dispatcher.run_forever(self._stop))
        self.scheduler.start()

    async def close(self) -> None:
        self._stop.set()
        self.scheduler.shutdown()
        if self._dispatch_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._dispatch_task, timeout=10)
        for late in self.late_stores:
            late.cancel()  # each of these texts is in the spool
        for channel in self.channels:
            await channel.close()
        await self.engine.dispose()
