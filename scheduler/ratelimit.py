"""Provider rate limits and 429 holds, shared by every process through the database.

Each channel's next free send slot lives in ``provider_limits``; taking one is a single UPDATE,
so any number of processes together send at one provider rate, not N times it. Slots are counted
on the database's clock (seconds since the epoch), the one clock every process shares: this is
about the provider's rate, not about what people see, so it is not the Clock. A 429's hold is on
the Clock, like every other "not before" in the outbox.

At high rates (100 a second or more) a process takes a tenth of a second's slots at once (at
most 100) and spends them in order itself: one UPDATE per hundred texts instead of one per text.
Below that (a long code sends 10 a second) it takes them one at a time.

The least gap to one address (Telegram: a text a second per chat) stays in each process: the
texts to one address go out in order from one batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy import ColumnElement, Float, case, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.sending import Limits
from storage.models import ProviderLimit

Writing = Callable[[], AbstractAsyncContextManager[object]]
# Slots taken at once: a tenth of a second's worth of the channel's rate, at most 100; below
# RESERVE_FROM texts a second one at a time, exactly as the shared rate is kept.
RESERVE_SECONDS = 0.1
RESERVE_MAX = 100
RESERVE_FROM = 100
# Reserved slots left unused this long after their time are given up, not sent in a burst.
RESERVE_STALE = 0.5
# A slot reached this many intervals late is given up for a new one (at most LATE_TRIES times),
# so that a stalled process never sends a second's texts on top of the next second's.
LATE_SLOTS = 2
LATE_TRIES = 3


def database_epoch(dialect: str) -> ColumnElement[float]:
    """Now, in seconds since the epoch, on the database server's clock."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", func.now()), Float)
    return cast((func.julianday("now") - 2440587.5) * 86400.0, Float)


class SharedRateLimiter:
    """Waits (in real time) until a send to ``address`` fits the channel's shared rate."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channel: str,
        limits: Limits,
        writing: Writing,
    ) -> None:
        self.sessions = sessions
        self.channel = channel
        self.limits = limits
        self.writing = writing
        bind = sessions.kw.get("bind")
        self.dialect = bind.dialect.name if bind is not None else "sqlite"
        self._lock = asyncio.Lock()
        self._last_to: dict[str, float] = {}
        self._reserve = (
            min(RESERVE_MAX, int(limits.per_second * RESERVE_SECONDS))
            if limits.per_second >= RESERVE_FROM
            else 1
        )
        # slots taken and not yet spent: the first one's time.monotonic(), how many are left
        self._slots_at = 0.0
        self._slots_left = 0
        self._slots_held: datetime | None = None
        self._slots_lock = asyncio.Lock()

    async def acquire(self, address: str) -> datetime | None:
        """Wait for this address's gap and the channel's next slot; returns the channel's 429
        hold as it stood when the slot was taken (None if there is none)."""
        await self._address_gap(address)
        late_after = LATE_SLOTS / self.limits.per_second
        for _ in range(LATE_TRIES):
            if self._reserve == 1:
                wait, held = await self._take_slot(1)
            else:
                wait, held = await self._reserved_slot()
            due = time.monotonic() + max(wait, 0.0)
            if wait > 0:
                await asyncio.sleep(wait)
            if time.monotonic() - due <= late_after:
                break
            # This process stalled past its slot (a busy loop, a slow disk): sending now would
            # add to the texts of the slots that follow, so it takes a fresh one instead.
        return held

    async def _reserved_slot(self) -> tuple[float, datetime | None]:
        """The next of the slots this process has taken, taking more when they run out."""
        interval = 1.0 / self.limits.per_second
        async with self._slots_lock:
            now = time.monotonic()
            if self._slots_left and self._slots_at + RESERVE_STALE < now:
                self._slots_left = 0  # taken long ago and not used: let them go
            if not self._slots_left:
                wait, self._slots_held = await self._take_slot(self._reserve)
                self._slots_at, self._slots_left = time.monotonic() + wait, self._reserve
            at = self._slots_at
            self._slots_at += interval
            self._slots_left -= 1
            return at - time.monotonic(), self._slots_held

    async def hold(self, until: datetime) -> None:
        """A 429: nothing goes to this channel, from any process, before ``until``."""
        await self._ensure_row()
        async with self.writing(), self.sessions.begin() as session:
            await session.execute(
                update(ProviderLimit)
                .where(
                    ProviderLimit.channel == self.channel,
                    or_(ProviderLimit.held_until.is_(None), ProviderLimit.held_until < until),
                )
                .values(held_until=until)
                .execution_options(synchronize_session=False)
            )

    async def _take_slot(self, count: int) -> tuple[float, datetime | None]:
        """Take ``count`` consecutive slots: seconds until the first, and the channel's hold."""
        interval = 1.0 / self.limits.per_second
        for _ in range(2):
            now = database_epoch(self.dialect)
            async with self.writing(), self.sessions.begin() as session:
                row = (
                    await session.execute(
                        update(ProviderLimit)
                        .where(ProviderLimit.channel == self.channel)
                        .values(
                            next_slot=case(
                                (ProviderLimit.next_slot > now, ProviderLimit.next_slot),
                                else_=now,
                            )
                            + interval * count
                        )
                        .returning(ProviderLimit.next_slot, now, ProviderLimit.held_until)
                        .execution_options(synchronize_session=False)
                    )
                ).first()
            if row is not None:
                next_slot, at, held = row
                return float(next_slot) - interval * count - float(at), held
            await self._ensure_row()
        raise RuntimeError(f"no provider_limits row for {self.channel}")

    async def _ensure_row(self) -> None:
        async with self.writing(), self.sessions.begin() as session:
            if await session.get(ProviderLimit, self.channel) is not None:
                return
            try:
                async with session.begin_nested():
                    session.add(ProviderLimit(channel=self.channel, next_slot=0.0))
            except IntegrityError:
                pass  # another process made it a moment ago

    async def _address_gap(self, address: str) -> None:
        gap = self.limits.per_address_interval
        if gap <= 0:
            return
        while True:
            async with self._lock:
                now = time.monotonic()
                last = self._last_to.get(address)
                wait = 0.0 if last is None else last + gap - now
                if wait <= 0:
                    self._last_to[address] = now
                    if len(self._last_to) > 10_000:
                        self._last_to = {a: t for a, t in self._last_to.items() if t >= now - gap}
                    return
            await asyncio.sleep(wait)


async def current_holds(session: AsyncSession, now: datetime) -> dict[str, datetime]:
    """Channels a provider has asked us to leave alone until a time still to come."""
    rows = await session.execute(
        select(ProviderLimit.channel, ProviderLimit.held_until).where(
            ProviderLimit.held_until > now
        )
    )
    return {channel: until for channel, until in rows.all() if until is not None}
