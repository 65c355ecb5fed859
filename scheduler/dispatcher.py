"""The dispatcher: claims due outbox rows, sends them, and records what happened.

A row is claimed (``sending``, with worker and time) and committed *before* the provider is
called, and the provider's id is committed right after it answers. The one window that cannot be
closed is a crash between the provider accepting a text and that commit: the row is left
``sending``. After ``LEASE`` the recovery sweep asks the provider whether it has the text (Twilio
can be asked; Telegram cannot) and otherwise sends it again, so a crash can at worst repeat one
text per in-flight row, never lose one. To keep the CPU per text near the provider client's own,
a batch's sent texts are recorded together, every ``SETTLE_SECONDS`` (one statement for many
rows): that widens the window by those 50 ms. A send that fails in a way that may hide a
success (a time-out, a connection dropped after the request went out) is looked up the same way
before it is retried.

Every change to a claimed row is conditional on the claim (status ``sending``, this worker, this
claim time), so two workers never both own a row: a claim is only taken from ``queued``, the
recovery sweep only releases the exact stale claim it looked at (never rows this process still
has in flight), and a worker that has held a row for half the lease renews the claim before
calling the provider, or lets the row go if another worker has taken it over.

A provider's 429 ``retry_after`` holds the whole channel until that time on the Clock: rows
due meanwhile stay queued (``next_attempt_at``), and nothing is sent to that channel before.
Holds and rate limits live in the database (scheduler/ratelimit.py), so every process obeys them.
Opt-outs, pauses and quiet hours are checked when a row is claimed, not only when it was queued.

Rows are claimed by priority (crisis answers, answers, reminders, broadcasts), and answers have a
lane of their own: a batch of broadcast texts waiting for the provider's rate never holds up an
answer. Each worker writes a heartbeat (scheduler/workers.py); the claims of one that stopped
beating are taken over at once. A row whose provider cannot be asked for 30 minutes after a
crash becomes ``unknown``, with an inbox item, rather than ``sending`` for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import inbox
from handlers.clock import Clock
from handlers.context import Rules, site_quiet_hours
from handlers.localtime import in_quiet_hours, quiet_hours_end
from handlers.sites import default_site
from handlers.texts import t
from scheduler import outage, workers
from scheduler.channel_pause import ChannelPauses
from scheduler.metrics import MESSAGES_OUT, SEND_ERRORS, SEND_SECONDS, SENDS_UNKNOWN
from scheduler.ratelimit import SharedRateLimiter, current_holds
from scheduler.sending import OutgoingText, Sender, SendError
from storage import site_cache
from storage.models import ContactPoint, Message, Person, Site
from storage.models.messages import PRIORITIES, PRIORITY_ANSWER, PRIORITY_CRISIS
from storage.models.states import MessageStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=15)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=2)
# After a crash, a row whose provider cannot be asked this long becomes ``unknown``.
LOOKUP_GIVE_UP = timedelta(minutes=30)
POLL_SECONDS = 1.0
# The lane that answers people: crisis answers and answers to their own texts.
ANSWER_LANE = (PRIORITY_CRISIS, PRIORITY_ANSWER)
# How long the answer lane lets answers gather after a wake, on SQLite (see ``answer_gather``).
ANSWER_GATHER_SECONDS = 0.1
# Kinds that still go to an address that said STOPP: the confirmation, and the emergency numbers.
PAST_OPT_OUT = ("opt_out", "crisis")


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min ... at most an hour."""
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


@dataclass(frozen=True)
class Verdict:
    """What to do with a due row: send it, hold it until ``until``, or settle it for good with
    ``status`` and ``reason``. Frozen, so rows with the same verdict are updated together."""

    action: Literal["send", "later", "settle"]
    status: MessageStatus | None = None
    reason: str | None = None
    until: datetime | None = None

    @classmethod
    def settle(cls, status: MessageStatus, reason: str) -> Verdict:
        return cls("settle", status=status, reason=reason)


MESSAGES = cast(Table, Message.__table__)
# What the claim reads of a due row (with its contact point's opt-out and its person's status).
DUE_COLUMNS = (
    Message.id,
    Message.channel,
    Message.address,
    Message.text,
    Message.kind,
    Message.urgent,
    Message.site_id,
    Message.person_id,
    Message.contact_point_id,
    Message.buttons,
    Message.question_id,
)
# Texts the provider accepted are recorded ``sent`` together: one statement for up to this many
# rows, at most this long after the first of them was accepted.
SETTLE_ROWS = 100
SETTLE_SECONDS = 0.05
SETTLE_SENT = (
    update(MESSAGES)
    .where(
        MESSAGES.c.id == bindparam("m_id"),
        MESSAGES.c.status == "sending",
        MESSAGES.c.claimed_by == bindparam("m_by"),
        MESSAGES.c.claimed_at == bindparam("m_at"),
    )
    .values(
        status="sent",
        provider_id=bindparam("m_provider"),
        sent_at=bindparam("m_sent", type_=MESSAGES.c.sent_at.type),
        attempts=MESSAGES.c.attempts + 1,
        error=None,
    )
)


def jittered(delay: timedelta) -> timedelta:
    """``delay`` give or take a fifth, so that processes retrying together spread out."""
    return delay * random.uniform(0.8, 1.2)


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
        # SQLite has one writer at a time and waits for the lock by sleeping: queue our own
        # writes here instead, so that concurrent sends do not slow each other down.
        bind = sessions.kw.get("bind")
        self.dialect = bind.dialect.name if bind is not None else "sqlite"
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None
        # On SQLite a claim holds the one writer (6-8 ms under load) while routing and webhooks
        # wait, and every routing batch wakes the answer lane: it claims once for a few batches.
        self.answer_gather = ANSWER_GATHER_SECONDS if self.dialect == "sqlite" else 0.0
        self.limiters = {
            name: SharedRateLimiter(sessions, name, s.limits, self.writing)
            for name, s in self.senders.items()
        }
        # channel -> Clock time before which nothing goes to it (the provider's 429 retry_after);
        # refreshed from the database at every claim, so a hold another process met counts too
        self.held_until: dict[str, datetime] = {}
        # rows this process has claimed and not yet settled: never "stale" to our own sweep
        self.in_flight: dict[int, float] = {}
        self._claim_lock = asyncio.Lock()
        self._wakes = {ANSWER_LANE: asyncio.Event(), PRIORITIES: asyncio.Event()}
        # Channels whose provider refuses every send (wrong credentials): paused with back-off.
        self.pauses = ChannelPauses(sessions, clock)
        # Set on SIGTERM: rows not yet handed to a provider go back to the queue unsent.
        self.stopping = False
        # time.monotonic() of the last completed loop, for /readyz
        self.last_run: float | None = None

    def wake(self) -> None:
        """Something was queued: send now rather than at the next poll."""
        for event in self._wakes.values():
            event.set()

    def wake_answers(self) -> None:
        """Answers were queued (routing): their lane sends them now. Anything else routing
        queued (a shift offered to the next volunteer) goes at the other lane's next poll, within
        a second; waking that lane too would cost a second claim per batch, which on SQLite holds
        the one writer while routing waits (issue 17)."""
        self._wakes[ANSWER_LANE].set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Send until ``stop``: answers in a lane of their own, everything else in order of
        priority in the other; and a heartbeat, so that other workers know this one lives."""
        beating = asyncio.create_task(self._beat_until(stop))
        try:
            await asyncio.gather(self._lane(stop, ANSWER_LANE), self._lane(stop, PRIORITIES))
        finally:
            beating.cancel()
            with contextlib.suppress(Exception):
                async with self.writing(), self.sessions.begin() as session:
                    await workers.retire(session, self.worker_id)

    async def _lane(self, stop: asyncio.Event, priorities: tuple[int, ...]) -> None:
        wake = self._wakes[priorities]
        while not stop.is_set():
            wake.clear()  # before the claim: a wake() while it runs is kept, not lost
            try:
                handled = await self.run_once(priorities)
                outage.DATABASE.ok()
            except Exception as exc:
                handled = 0
                if outage.is_unavailable(exc):
                    outage.DATABASE.failed(exc)
                else:
                    log.exception("dispatch failed; trying again shortly")
            self.last_run = time.monotonic()
            if handled < self.batch_size:
                waiter = asyncio.create_task(wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait(
                    {waiter, stopper}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()
                if self.answer_gather and wake.is_set() and priorities == ANSWER_LANE:
                    await asyncio.sleep(self.answer_gather)  # let a few batches' answers gather

    async def heartbeat(self) -> None:
        async with self.writing(), self.sessions.begin() as session:
            await workers.beat(session, self.worker_id)

    async def _beat_until(self, stop: asyncio.Event) -> None:
        beats = outage.Outage("heartbeat")
        while not stop.is_set():
            try:
                await self.heartbeat()
                beats.ok()
            except Exception as exc:
                beats.failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), workers.HEARTBEAT_SECONDS)

    async def drain(self) -> int:
        """Send everything due now (the controllable clock uses this). Returns rows handled."""
        total = 0
        while True:
            count = await self.run_once()
            total += count
            if count == 0:
                return total

    async def run_once(self, priorities: tuple[int, ...] = PRIORITIES) -> int:
        """Claim one batch of rows of ``priorities``, most urgent first, and send it.

        Returns how many due rows were handled: claimed and sent (or failed), or settled without
        sending (opted out, erased, held for quiet hours). 0 means nothing more is due now.
        """
        if self.stopping:
            return 0
        claimed, settled = await self.claim(priorities)
        by_address: dict[tuple[str, str], list[OutgoingText]] = defaultdict(list)
        for text in claimed:
            by_address[(text.channel, text.address)].append(text)
        gate = asyncio.Semaphore(self.concurrency)
        sent: list[dict[str, object]] = []  # accepted by the provider, not yet recorded

        async def send_in_order(texts: list[OutgoingText]) -> None:
            async with gate:
                for text in texts:
                    await self.send_one(text, sent)

        done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_every(sent, done))
        cancelled = False
        try:
            await asyncio.gather(*(send_in_order(group) for group in by_address.values()))
        except asyncio.CancelledError:
            # Stopped past the shutdown grace: wait for nothing more. What is not yet recorded
            # stays ``sending``, marked for recovery (Los.close), which asks Twilio first.
            cancelled = True
            flusher.cancel()
            raise
        finally:
            done.set()  # otherwise never cancelled mid-statement
            try:
                if not cancelled:
                    await flusher
                    await self._flush(sent)
            finally:
                for text in claimed:
                    self.in_flight.pop(text.message_id, None)
        return len(claimed) + settled

    async def _flush_every(self, sent: list[dict[str, object]], done: asyncio.Event) -> None:
        """Record what the provider accepted every ``SETTLE_SECONDS`` until the batch is done."""
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), SETTLE_SECONDS)
            if done.is_set():
                return  # the batch's end records the rest
            try:
                await self._flush(sent)
            except Exception as exc:  # kept for the next flush; the batch's end tries again
                log.warning("recording sent texts failed: %r", exc)

    async def _flush(self, sent: list[dict[str, object]]) -> None:
        """Record ``sent`` rows in one statement (executemany); on failure they stay listed."""
        rows = sent[:]
        del sent[:]
        if not rows:
            return
        try:
            async with self.writing(), self.sessions.begin() as session:
                await session.execute(SETTLE_SENT, rows)
        except BaseException:
            sent[:0] = rows
            raise

    async def _held_channels(self, session: AsyncSession, now: datetime) -> list[str]:
        """Channels under a provider's 429 hold, as this process or any other met it."""
        for channel, until in (await current_holds(session, now)).items():
            self.held_until[channel] = max(until, self.held_until.get(channel, until))
        for channel, until in list(self.held_until.items()):
            if until <= now:
                del self.held_until[channel]
        return list(self.held_until)

    async def claim(
        self, priorities: tuple[int, ...] = PRIORITIES
    ) -> tuple[list[OutgoingText], int]:
        """Mark due rows ``sending`` and return them, with how many were settled without sending
        (opted out, paused, erased: final; quiet hours: moved to the morning)."""
        async with self._claim_lock, self.writing():  # one claimer per process (no row locks
            return await self._claim(priorities)  # on SQLite)

    def _due(self, priority: int, now: datetime, held: list[str], limit: int) -> Any:
        """Due rows of one priority, oldest first: one range of ``ix_messages_outbox_claim``.
        Plain columns, not ORM objects: the claim reads a few fields and changes rows in SQL."""
        query = (
            select(
                *DUE_COLUMNS,
                ContactPoint.id.label("contact_id"),
                ContactPoint.opted_out_at,
                Person.status.label("person_status"),
            )
            .outerjoin(ContactPoint, ContactPoint.id == Message.contact_point_id)
            .outerjoin(Person, Person.id == Message.person_id)
            .where(
                Message.status == "queued",
                Message.priority == priority,
                Message.send_after <= now,
                Message.direction == "out",
                or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
            )
            .order_by(Message.send_after, Message.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Message)
        )
        return query.where(Message.channel.not_in(held)) if held else query

    async def _claim(self, priorities: tuple[int, ...]) -> tuple[list[OutgoingText], int]:
        now = self.clock.now()
        claimed: list[OutgoingText] = []
        settled = 0
        async with self.sessions.begin() as session:
            held = await self._held_channels(session, now)
            rows: list[Any] = []
            for priority in priorities:
                room = self.batch_size - len(rows)
                if room <= 0:
                    break
                rows.extend((await session.execute(self._due(priority, now, held, room))).all())
            if not rows:
                return [], 0
            sites = await self._sites(session, {r.site_id for r in rows if r.site_id is not None})
            # Rows that get the same change are updated together: verdict -> values -> rows.
            changes: dict[Verdict, tuple[dict[str, object], list[Any]]] = {}
            for row in rows:
                site = sites.get(row.site_id) if row.site_id else None
                verdict = self._verdict(row, site, now)
                if verdict.action == "later":
                    assert site is not None
                    quiet = site_quiet_hours(site, self.rules)
                    assert quiet is not None
                    until = quiet_hours_end(now, ZoneInfo(site.timezone), quiet)
                    verdict = Verdict("later", until=until)
                    values: dict[str, object] = {"send_after": until}
                elif verdict.action == "send":
                    values = {"status": "sending", "claimed_by": self.worker_id, "claimed_at": now}
                else:
                    values = {"status": verdict.status, "error": verdict.reason}
                changes.setdefault(verdict, (values, []))[1].append(row)
            for verdict, (values, chosen) in changes.items():
                # Conditional on the rows still being queued: never take one another worker has.
                result = await session.execute(
                    update(MESSAGES)
                    .where(MESSAGES.c.id.in_([r.id for r in chosen]), MESSAGES.c.status == "queued")
                    .values(**values)
                    .returning(MESSAGES.c.id)
                )
                changed = set(result.scalars())
                for row in chosen:
                    if row.id not in changed:
                        continue
                    if verdict.action != "send":
                        settled += 1
                        if verdict.action == "settle":
                            MESSAGES_OUT.labels(row.channel, str(values["status"])).inc()
                        continue
                    site = sites.get(row.site_id) if row.site_id else None
                    claimed.append(
                        OutgoingText(
                            message_id=row.id,
                            channel=row.channel,
                            address=row.address or "",
                            text=row.text or "",
                            buttons=row.buttons,
                            question_id=row.question_id,
                            claimed_at=now,
                            sender=site.sms_number if site is not None else None,
                        )
                    )
        started = time.monotonic()
        for text in claimed:  # committed: ours now
            self.in_flight[text.message_id] = started
        return claimed, settled

    @staticmethod
    async def _sites(session: AsyncSession, ids: set[int]) -> dict[int, Site]:
        """The sites of a batch, from this process's site cache (storage/site_cache.py): a
        change of quiet hours is seen at once in this process and within seconds in another."""
        sites = {site_id: await site_cache.site(session, site_id) for site_id in ids}
        return {site_id: site for site_id, site in sites.items() if site is not None}

    def _verdict(self, row: Any, site: Site | None, now: datetime) -> Verdict:
        """Send now, later (quiet hours), or settle the row for good with a status and reason."""
        if not row.address or row.text is None:
            return Verdict.settle(MessageStatus.CANCELLED, "erased")
        if row.contact_id is None and row.contact_point_id is None and row.person_id is not None:
            return Verdict.settle(MessageStatus.CANCELLED, "no_contact")
        if row.opted_out_at is not None and row.kind not in PAST_OPT_OUT:
            return Verdict.settle(MessageStatus.SKIPPED, "opted_out")
        if row.person_status == "paused" and not row.urgent:
            return Verdict.settle(MessageStatus.SKIPPED, "paused")
        if row.channel not in self.senders:
            return Verdict.settle(MessageStatus.FAILED, "channel_off")
        if not row.urgent and site is not None:
            quiet = site_quiet_hours(site, self.rules)
            if in_quiet_hours(now, ZoneInfo(site.timezone), quiet):
                return Verdict("later")
        return Verdict("send")

    def writing(self) -> AbstractAsyncContextManager[object]:
        """On SQLite, this process's writers take turns here rather than in SQLite's busy wait
        (webhooks too: bot/channels/inbound.py); on PostgreSQL, nothing."""
        return self._write_lock if self._write_lock is not None else contextlib.nullcontext()

    def _mine(self, text: OutgoingText) -> list[ColumnElement[bool]]:
        """The conditions that make a row still this claim: only its holder may settle it."""
        return [
            Message.id == text.message_id,
            Message.status == "sending",
            Message.claimed_by == self.worker_id,
            Message.claimed_at == text.claimed_at,
        ]

    async def send_one(
        self, text: OutgoingText, sent: list[dict[str, object]] | None = None
    ) -> None:
        """Send one claimed row and record the outcome; a success is added to ``sent`` (recorded
        with others by the batch) when given, else recorded at once."""
        sender = self.senders[text.channel]
        limiter = self.limiters[text.channel]
        shared_hold = await limiter.acquire(text.address)
        now = self.clock.now()
        if self.stopping:
            await self._release(text, now)  # shutting down: the next process sends it at once
            return
        held = max(
            (h for h in (shared_hold, self.held_until.get(text.channel)) if h is not None),
            default=None,
        )
        if held is not None and held > now:
            await self._release(text, held)  # a 429 came back while this row waited its turn
            return
        claimed_for = time.monotonic() - self.in_flight.get(text.message_id, time.monotonic())
        if claimed_for > LEASE.total_seconds() / 2:
            renewed = await self._renew(text)
            if renewed is None:
                return  # the sweep gave it to another worker; not ours to send any more
            text = renewed
        try:
            provider_id = await self._timed_send(sender, text)
        except SendError as exc:
            SEND_ERRORS.labels(text.channel, exc.code or "other").inc()
            if exc.fatal:
                await self._pause_channel(text, exc)
                return
            if exc.ambiguous and await self._settle_ambiguous(sender, text):
                return
            if exc.retry_after:
                until = self.clock.now() + timedelta(seconds=exc.retry_after)
                self.held_until[text.channel] = max(until, self.held_until.get(text.channel, until))
                await self.limiters[text.channel].hold(until)
            await self._record_failure(text, exc)
            return
        except Exception as exc:  # a bug or an unexpected library error: retry, never crash
            log.exception("unexpected error sending message %s", text.message_id)
            await self._record_failure(text, SendError(repr(exc), permanent=False))
            return
        await self._record_sent(text, provider_id, sent)
        self.pauses.ok(text.channel)

    async def _timed_send(self, sender: Sender, text: OutgoingText) -> str:
        """The provider call alone, timed for the send-latency histogram."""
        started = time.monotonic()
        try:
            return await sender.send(text)
        finally:
            SEND_SECONDS.labels(text.channel).observe(time.monotonic() - started)

    async def _pause_channel(self, text: OutgoingText, exc: SendError) -> None:
        """Every send on this channel would fail: hold the channel, give the row back unsent."""
        until = await self.pauses.fatal(text.channel, exc.code or "other", exc)
        self.held_until[text.channel] = max(until, self.held_until.get(text.channel, until))
        await self._release(text, until)
        MESSAGES_OUT.labels(text.channel, "paused").inc()

    async def _settle_ambiguous(self, sender: Sender, text: OutgoingText) -> bool:
        """After a failure that may hide a success: record it as sent if the provider has it.

        If the provider cannot even be asked, the row is left ``sending`` for the stale sweep,
        which asks again after the lease; resending now could send it twice. True when settled
        (or left to the sweep); False when the provider does not have it, so it is retried.
        """
        assert text.claimed_at is not None
        try:
            found = await sender.find_sent(text, text.claimed_at - timedelta(minutes=1))
        except Exception:
            log.warning(
                "message %s: send and lookup both failed; left to the sweep", text.message_id
            )
            self.in_flight.pop(text.message_id, None)
            return True
        if found is None:
            return False
        await self._record_sent(text, found)
        return True

    async def _renew(self, text: OutgoingText) -> OutgoingText | None:
        """Take the claim again at the current time, if it is still ours."""
        now = self.clock.now()
        async with self.writing(), self.sessions.begin() as session:
            result = await session.execute(
                update(Message)
                .where(*self._mine(text))
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
        if not getattr(result, "rowcount", 0):
            return None
        self.in_flight[text.message_id] = time.monotonic()
        return dataclasses.replace(text, claimed_at=now)

    async def _release(self, text: OutgoingText, until: datetime) -> None:
        """Put a claimed row back, unsent and without counting an attempt, until ``until``."""
        async with self.writing(), self.sessions.begin() as session:
            await session.execute(
                update(Message)
                .where(*self._mine(text))
                .values(status="queued", next_attempt_at=until, claimed_by=None)
                .execution_options(synchronize_session=False)
            )

    async def _record_sent(
        self, text: OutgoingText, provider_id: str, sent: list[dict[str, object]] | None = None
    ) -> None:
        row: dict[str, object] = {
            "m_id": text.message_id,
            "m_by": self.worker_id,
            "m_at": text.claimed_at,
            "m_provider": provider_id,
            "m_sent": self.clock.now(),
        }
        MESSAGES_OUT.labels(text.channel, "sent").inc()
        if sent is None:
            await self._flush([row])
            return
        sent.append(row)
        if len(sent) >= SETTLE_ROWS:
            await self._flush(sent)

    async def _record_failure(self, text: OutgoingText, exc: SendError) -> None:
        now = self.clock.now()
        async with self.writing(), self.sessions.begin() as session:
            attempts = await session.scalar(select(Message.attempts).where(*self._mine(text)))
            if attempts is None:
                return
            attempts += 1
            values: dict[str, object] = {"attempts": attempts, "error": exc.reason}
            if exc.permanent or attempts >= MAX_ATTEMPTS:
                values["status"] = "failed"
                result = "failed"
            else:
                delay = jittered(backoff(attempts))
                if exc.retry_after:
                    delay = max(delay, timedelta(seconds=exc.retry_after))
                values.update(status="queued", next_attempt_at=now + delay, claimed_by=None)
                result = "retry"
            await session.execute(
                update(Message)
                .where(*self._mine(text))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        MESSAGES_OUT.labels(text.channel, result).inc()

    def begin_shutdown(self) -> None:
        """Stop taking work: rows already claimed but not yet sent are released, unsent."""
        self.stopping = True
        self.wake()

    async def abandon_in_flight(self, message_ids: list[int]) -> int:
        """After the grace period: rows still ``sending`` here are marked for immediate recovery.

        Their claim is backdated past the lease, so the next sweep (in this deployment's next
        process) asks the provider about them at once instead of waiting two minutes.
        """
        if not message_ids:
            return 0
        async with self.writing(), self.sessions.begin() as session:
            result = await session.execute(
                update(Message)
                .where(
                    Message.id.in_(message_ids),
                    Message.status == "sending",
                    Message.claimed_by == self.worker_id,
                )
                .values(claimed_at=self.clock.now() - LEASE - timedelta(seconds=1))
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def recover_stale(self) -> int:
        """Rows left ``sending`` by a worker that has died (no heartbeat for 30 s) or past the
        lease: settle them as sent if the provider has them, else queue them again. A row whose
        provider cannot be asked for 30 minutes becomes ``unknown``. Returns rows settled."""
        now = self.clock.now()
        dead_worker = and_(
            Message.claimed_by != self.worker_id,
            or_(
                Message.claimed_by.is_(None),
                Message.claimed_by.not_in(workers.live_workers(self.dialect)),
            ),
        )
        async with self.sessions() as session:
            stale = [
                m
                for m in await session.scalars(
                    select(Message)
                    .where(
                        Message.status == "sending",
                        Message.direction == "out",
                        or_(Message.claimed_at < now - LEASE, dead_worker),
                    )
                    .order_by(Message.id)
                    .limit(1000)
                )
                if m.id not in self.in_flight
            ]
        recovered = 0
        lookups = outage.Outage("provider look-up after a crash")
        for message in stale:
            text = OutgoingText(
                message.id,
                message.channel,
                message.address or "",
                message.text or "",
                claimed_at=message.claimed_at,
            )
            sender = self.senders.get(message.channel)
            found = None
            if sender is not None and message.claimed_at is not None:
                try:
                    found = await sender.find_sent(text, message.claimed_at - timedelta(minutes=1))
                except Exception as exc:
                    lookups.failed(exc)
                    if now - message.claimed_at >= LOOKUP_GIVE_UP:
                        recovered += await self._give_up(message)
                    continue
            values: dict[str, object] = (
                {"status": "sent", "provider_id": found, "sent_at": message.claimed_at}
                if found
                else {"status": "queued", "claimed_by": None}
            )
            if await self._settle_stale(message, values):
                recovered += 1
                log.warning(
                    "message %s was left sending by %s: %s",
                    message.id,
                    message.claimed_by,
                    "the provider has it" if found else "queued again",
                )
        if recovered:
            self.wake()
        return recovered

    async def _settle_stale(self, message: Message, values: dict[str, object]) -> bool:
        """Change a stale row, only if it is still the exact claim that was looked at."""
        async with self.writing(), self.sessions.begin() as session:
            result = await session.execute(
                update(Message)
                .where(
                    Message.id == message.id,
                    Message.status == "sending",
                    Message.claimed_by == message.claimed_by,
                    Message.claimed_at == message.claimed_at,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def _give_up(self, message: Message) -> int:
        """The provider could not be asked for 30 minutes: the outcome is ``unknown``, and staff
        are told, so that it is never a silent ``sending`` for ever."""
        if not await self._settle_stale(message, {"status": "unknown", "error": "lookup_failed"}):
            return 0
        async with self.writing(), self.sessions.begin() as session:
            site = (
                await session.get(Site, message.site_id)
                if message.site_id
                else await default_site(session)
            )
            if site is not None:
                await inbox.add_item(
                    session,
                    self.clock,
                    site_id=site.id,
                    kind="send_unknown",
                    summary=t("nb", "send_unknown_inbox", text=message.text or ""),
                    person_id=message.person_id,
                    message_id=message.id,
                    contact_point_id=message.contact_point_id,
                )
        SENDS_UNKNOWN.labels(message.channel).inc()
        MESSAGES_OUT.labels(message.channel, "unknown").inc()
        log.warning("message %s: no provider look-up for 30 minutes; now unknown", message.id)
        return 1
