"""The dispatcher: claims due outbox rows, sends them, and records what happened.

A row is claimed (``sending``, with worker and time) and committed *before* the provider is
called, and the provider's id is committed right after it answers. The one window that cannot be
closed is a crash between the provider accepting a text and that commit: the row is left
``sending``. After ``LEASE`` the recovery sweep asks the provider whether it has the text (Twilio
can be asked; Telegram cannot) and otherwise sends it again, so a crash can at worst repeat one
text per in-flight row, never lose one. Each row is its own transaction to keep that window to a
single provider round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.context import Rules, site_quiet_hours
from handlers.localtime import in_quiet_hours, quiet_hours_end
from scheduler.metrics import MESSAGES_OUT
from scheduler.ratelimit import RateLimiter
from scheduler.sending import OutgoingText, Sender, SendError
from storage.models import ContactPoint, Message, Person, Site

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=2)
POLL_SECONDS = 1.0


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min ... at most an hour."""
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        rules: Rules,
        senders: Mapping[str, Sender],
        worker_id: str,
        batch_size: int = 100,
        concurrency: int = 8,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.rules = rules
        self.senders = dict(senders)
        self.worker_id = worker_id
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.limiters = {name: RateLimiter(s.limits) for name, s in self.senders.items()}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("dispatch failed; trying again shortly")
                sent = 0
            if sent < self.batch_size:
                self._wake.clear()
                waiter = asyncio.create_task(self._wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait(
                    {waiter, stopper}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()

    async def drain(self) -> int:
        """Send everything due now (the controllable clock uses this)."""
        total = 0
        while True:
            count = await self.run_once()
            total += count
            if count == 0:
                return total

    async def run_once(self) -> int:
        """Claim one batch and send it. Returns how many rows were claimed."""
        claimed = await self.claim()
        by_address: dict[tuple[str, str], list[OutgoingText]] = defaultdict(list)
        for text in claimed:
            by_address[(text.channel, text.address)].append(text)
        gate = asyncio.Semaphore(self.concurrency)

        async def send_in_order(texts: list[OutgoingText]) -> None:
            async with gate:
                for text in texts:
                    await self.send_one(text)

        await asyncio.gather(*(send_in_order(group) for group in by_address.values()))
        return len(claimed)

    async def claim(self) -> list[OutgoingText]:
        """Mark due rows ``sending``; settle the ones that must not go (opted out, quiet hours)."""
        now = self.clock.now()
        claimed: list[OutgoingText] = []
        sites: dict[int, Site | None] = {}
        async with self.sessions.begin() as session:
            rows = await session.execute(
                select(Message, ContactPoint, Person)
                .outerjoin(ContactPoint, ContactPoint.id == Message.contact_point_id)
                .outerjoin(Person, Person.id == Message.person_id)
                .where(
                    Message.direction == "out",
                    Message.status == "queued",
                    Message.send_after <= now,
                    or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
                )
                .order_by(Message.send_after, Message.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=Message)
            )
            for message, contact, person in rows.all():
                if message.site_id is not None and message.site_id not in sites:
                    sites[message.site_id] = await session.get(Site, message.site_id)
                site = sites.get(message.site_id) if message.site_id else None
                verdict = self._verdict(message, contact, person, site, now)
                if verdict == "send":
                    message.status = "sending"
                    message.claimed_by = self.worker_id
                    message.claimed_at = now
                    claimed.append(
                        OutgoingText(
                            message_id=message.id,
                            channel=message.channel,
                            address=message.address or "",
                            text=message.text or "",
                            buttons=message.buttons,
                            question_id=message.question_id,
                        )
                    )
                elif verdict == "later":
                    assert site is not None
                    quiet = site_quiet_hours(site, self.rules)
                    assert quiet is not None
                    message.send_after = quiet_hours_end(now, ZoneInfo(site.timezone), quiet)
                else:
                    status, error = verdict.split(":", 1)
                    message.status, message.error = status, error
                    MESSAGES_OUT.labels(message.channel, status).inc()
        return claimed

    def _verdict(
        self,
        message: Message,
        contact: ContactPoint | None,
        person: Person | None,
        site: Site | None,
        now: datetime,
    ) -> str:
        """``send``, ``later`` (quiet hours), or ``status:reason`` to settle the row for good."""
        if not message.address or message.text is None:
            return "cancelled:erased"
        if contact is None and message.contact_point_id is None and message.person_id is not None:
            return "cancelled:no_contact"
        if contact is not None and contact.opted_out_at is not None and message.kind != "opt_out":
            return "skipped:opted_out"
        if person is not None and person.status == "paused" and not message.urgent:
            return "skipped:paused"
        if message.channel not in self.senders:
            return "failed:channel_off"
        if not message.urgent and site is not None:
            quiet = site_quiet_hours(site, self.rules)
            if in_quiet_hours(now, ZoneInfo(site.timezone), quiet):
                return "later"
        return "send"

    async def send_one(self, text: OutgoingText) -> None:
        sender = self.senders[text.channel]
        limiter = self.limiters[text.channel]
        await limiter.acquire(text.address)
        try:
            provider_id = await sender.send(text)
        except SendError as exc:
            if exc.retry_after:
                limiter.block_for(exc.retry_after)
            await self._record_failure(text, exc)
            return
        except Exception as exc:  # a bug or an unexpected library error: retry, never crash
            log.exception("unexpected error sending message %s", text.message_id)
            await self._record_failure(text, SendError(repr(exc), permanent=False))
            return
        await self._record_sent(text, provider_id)

    async def _record_sent(self, text: OutgoingText, provider_id: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(Message)
                .where(Message.id == text.message_id, Message.status == "sending")
                .values(
                    status="sent",
                    provider_id=provider_id,
                    sent_at=self.clock.now(),
                    attempts=Message.attempts + 1,
                    error=None,
                )
            )
        MESSAGES_OUT.labels(text.channel, "sent").inc()

    async def _record_failure(self, text: OutgoingText, exc: SendError) -> None:
        now = self.clock.now()
        async with self.sessions.begin() as session:
            message = await session.get(Message, text.message_id)
            if message is None or message.status != "sending":
                return
            message.attempts += 1
            message.error = exc.reason
            if exc.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                MESSAGES_OUT.labels(text.channel, "failed").inc()
                return
            delay = backoff(message.attempts)
            if exc.retry_after:
                delay = max(delay, timedelta(seconds=exc.retry_after))
            message.status = "queued"
            message.next_attempt_at = now + delay
            message.claimed_by = None
            MESSAGES_OUT.labels(text.channel, "retry").inc()

    async def recover_stale(self) -> int:
        """Rows left ``sending`` by a dead worker: settle them as sent if the provider has them,
        else queue them again."""
        now = self.clock.now()
        async with self.sessions() as session:
            stale = list(
                await session.scalars(
                    select(Message).where(
                        Message.direction == "out",
                        Message.status == "sending",
                        Message.claimed_at < now - LEASE,
                    )
                )
            )
        for message in stale:
            text = OutgoingText(
                message.id, message.channel, message.address or "", message.text or ""
            )
            sender = self.senders.get(message.channel)
            found = None
            if sender is not None and message.claimed_at is not None:
                try:
                    found = await sender.find_sent(text, message.claimed_at - timedelta(minutes=1))
                except Exception:
                    log.exception("could not ask the provider about message %s", message.id)
                    continue
            async with self.sessions.begin() as session:
                values: dict[str, object] = (
                    {"status": "sent", "provider_id": found, "sent_at": message.claimed_at}
                    if found
                    else {"status": "queued", "claimed_by": None}
                )
                await session.execute(
                    update(Message)
                    .where(Message.id == message.id, Message.status == "sending")
                    .values(**values)
                )
        if stale:
            self.wake()
        return len(stale)
