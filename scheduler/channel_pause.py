"""Pausing a channel whose provider refuses every send (wrong credentials, suspended account).

Without this the dispatcher burns through the whole queue marking every text failed. Instead the
first fatal error pauses the channel: one ERROR line, one urgent inbox item for admins, and the
channel is tried again with back-off (30 s, 1 min, 2 min ... at most 30 min) with one text at a
time until the provider accepts one; then sending resumes and one line says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.ops import alert_admins, meaning
from scheduler.outage import Outage

log = logging.getLogger(__name__)

FIRST = timedelta(seconds=30)
CAP = timedelta(minutes=30)


@dataclass
class Pause:
    code: str
    since: datetime
    until: datetime
    failures: int


class ChannelPauses:
    """Which channels are paused in this process, and until when (Clock time)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.paused: dict[str, Pause] = {}
        self._outages: dict[str, Outage] = {}

    def _outage(self, channel: str) -> Outage:
        if channel not in self._outages:
            self._outages[channel] = Outage(f"sending on {channel}", log)
        return self._outages[channel]

    async def fatal(self, channel: str, code: str, error: BaseException) -> datetime:
        """The provider refused in a way every send will repeat: pause, and say so once."""
        now = self.clock.now()
        pause = self.paused.get(channel)
        if pause is not None and now < pause.until:
            return pause.until  # another text of the same batch: the pause is already set
        failures = pause.failures + 1 if pause else 1
        until = now + min(FIRST * 2 ** (failures - 1), CAP)
        self.paused[channel] = Pause(code, pause.since if pause else now, until, failures)
        self._outage(channel).failed(error)
        if pause is None:
            summary = (
                f"Sending on {channel} is paused: {meaning(code)} (error {code}). "
                "Fix the setting and restart, or wait: Los tries again by itself."
            )
            try:
                async with self.sessions.begin() as session:
                    await alert_admins(session, self.clock, "provider_down", summary)
            except Exception:
                log.warning("could not add the inbox item about %s being paused", channel)
        return until

    def ok(self, channel: str) -> None:
        """A send went through: the channel works again."""
        if self.paused.pop(channel, None) is not None:
            self._outage(channel).ok()

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {
            channel: {
                "code": p.code,
                "meaning": meaning(p.code),
                "since": p.since.isoformat(),
                "retry_at": p.until.isoformat(),
                "failures": p.failures,
            }
            for channel, p in self.paused.items()
        }
