"""Routing stored texts right after the webhook answered, in batches, outside the request.

The webhook only stores (one INSERT, one commit) and hands the id to ``Router.submit``. A few
workers take up to ``batch`` ids at a time and route them in one transaction; one bad text
cannot spoil the batch (it is routed again with a savepoint per text). A sender's texts always
go to the same worker, so they are routed in the order they came. The queue is bounded: when it
is full the text is only stored, and the workers catch up from the database as soon as they have
room (the periodic sweep in scheduler/inbound.py still covers a crash between storing and
routing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.batch_writes import BatchWrites
from handlers.clock import Clock
from handlers.context import Rules
from handlers.router import handle_loaded
from handlers.senders import ReadAhead
from scheduler.inbound import count_failure, process
from scheduler.metrics import ROUTE_GAP_SECONDS, ROUTE_SECONDS
from scheduler.outage import Outage, is_unavailable
from storage.models import Message

log = logging.getLogger(__name__)
OUTAGE = Outage("routing incoming texts")
# Under a flood of webhooks a batch waits this long at most, looking again every YIELD_SECONDS.
DEFER_SECONDS = 1.0
YIELD_SECONDS = 0.01
# A batch reads and locks its texts this many first, then twice as many each time: cut short by
# a flood after a text or two, it has not locked fifty rows to route one.
FIRST_TAKE = 4

Writing = Callable[[], contextlib.AbstractAsyncContextManager[object]]


@dataclass
class Batch:
    routed: int = 0
    left: list[int] = field(default_factory=list)  # not reached: ``stop`` said so


class _TextFailed(Exception):
    """A text failed in a batch routed without savepoints: the batch goes again with them."""


async def route_batch(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    rules: Rules,
    ids: Sequence[int],
    stop: Callable[[], bool] = lambda: False,
) -> Batch:
    """Route stored texts in one transaction until ``stop()`` says to commit what is done and
    leave the rest (a webhook waits for SQLite's lock, or time is up).

    The texts are read and locked a few at a time, then more (``FIRST_TAKE``): under a flood a
    batch is cut after a text or two, and locking its fifty rows each time to route one cost
    PostgreSQL more than the routing.

    A text that fails is rolled back alone and its attempt counted (the sweep tries it again).
    Texts rarely fail, so the batch is first routed without a savepoint per text (two statements
    a text fewer); when one fails, that transaction is rolled back and the batch routed again
    with a savepoint per text. If the batch as a whole cannot commit, each text is routed again
    in its own transaction.
    """
    started = time.perf_counter()
    try:
        try:
            batch, failed, gaps = await _route_together(sessions, clock, rules, ids, stop, False)
        except _TextFailed:
            batch, failed, gaps = await _route_together(sessions, clock, rules, ids, stop, True)
    except Exception as exc:
        if is_unavailable(exc):
            raise
        log.warning(
            "a batch of %d texts failed to commit (%s); routing each alone",
            len(ids),
            type(exc).__name__,
        )
        return Batch(routed=sum([await process(sessions, clock, rules, one) for one in ids]))
    for gap in gaps:
        ROUTE_GAP_SECONDS.observe(gap)
    if batch.routed:
        ROUTE_SECONDS.observe((time.perf_counter() - started) / batch.routed)
    for message_id, error in failed:
        await count_failure(sessions, clock, message_id, error)
    return batch


async def _route_together(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    rules: Rules,
    ids: Sequence[int],
    stop: Callable[[], bool],
    savepoints: bool,
) -> tuple[Batch, list[tuple[int, Exception]], list[float]]:
    """One transaction for the batch: what was routed, the texts that failed (only with
    ``savepoints``; without, a failure raises ``_TextFailed``) and each text's wait in seconds.
    """
    failed: list[tuple[int, Exception]] = []
    gaps: list[float] = []
    later = BatchWrites()  # what the texts write together at the end (without savepoints)
    ahead = ReadAhead()  # their senders, read a few texts at a time
    batch = Batch()
    async with sessions.begin() as session:
        async for message in _reached(session, clock, ids, stop, batch, ahead):
            try:
                if savepoints:
                    async with session.begin_nested():
                        alone = BatchWrites()
                        done = await handle_loaded(session, clock, rules, message, alone, ahead)
                        await alone.write(session)
                else:
                    await later.before(session, message.channel, message.address)
                    done = await handle_loaded(session, clock, rules, message, later, ahead)
                    await session.flush()  # its own writes fail here, as the text's, not later
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                if not savepoints:
                    raise _TextFailed from exc
                log.exception(
                    "could not handle incoming message %s; the sweep will retry", message.id
                )
                failed.append((message.id, exc))
                continue
            if done:
                batch.routed += 1
                gap = (message.processed_at or clock.now()) - message.created_at
                gaps.append(max(gap.total_seconds(), 0.0))
        try:
            await later.write(session)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            raise _TextFailed from exc  # one of them: the batch goes again, a savepoint each
    return batch, failed, gaps


async def _reached(
    session: AsyncSession,
    clock: Clock,
    ids: Sequence[int],
    stop: Callable[[], bool],
    batch: Batch,
    ahead: ReadAhead,
) -> AsyncIterator[Message]:
    """The batch's texts in order, read and locked ``FIRST_TAKE`` first and twice as many each
    time after, with their senders (``ahead``), until ``stop()`` cuts the batch after a text
    (``batch.left`` then holds the rest, read or not)."""
    order = sorted(ids)
    start, size, reached = 0, FIRST_TAKE, False
    while start < len(order):
        if reached and stop():
            batch.left = order[start:]
            return
        chunk, start, size = order[start : start + size], start + size, size * 2
        messages = list(
            await session.scalars(
                select(Message).where(Message.id.in_(chunk)).order_by(Message.id).with_for_update()
            )
        )
        await ahead.read(session, clock, messages)
        for n, message in enumerate(messages):
            if reached and stop():
                batch.left = [m.id for m in messages[n:]] + order[start:]
                return
            reached = True
            yield message


async def pending_ids(sessions: async_sessionmaker[AsyncSession], limit: int) -> list[int]:
    """Stored texts not yet routed, oldest first (what a full queue left in the database)."""
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Message.id)
                .where(
                    Message.direction == "in",
                    Message.processed_at.is_(None),
                    Message.status != "failed",
                    Message.address.is_not(None),
                )
                .order_by(Message.id)
                .limit(limit)
            )
        )


class Router:
    """The in-process queue between the webhook and routing, drained by ``workers`` tasks."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        rules: Rules,
        writing: Writing,
        *,
        wake: Callable[[], None] = lambda: None,
        contended: Callable[[], bool] = lambda: False,
        budget: float | None = None,
        flooded: Callable[[], bool] = lambda: False,
        workers: int = 2,
        batch: int = 50,
        size: int = 5000,
    ) -> None:
        self.sessions, self.clock, self.rules, self.writing = sessions, clock, rules, writing
        self.batch = batch
        self.wake = wake  # answers were queued: the dispatcher sends them now
        # SQLite: when a webhook waits for the lock (``contended``) and the batch has held it
        # for ``budget`` seconds, commit what is routed and go on after the webhooks. So routing
        # keeps a share of the lock under load, and a webhook waits at most about ``budget``.
        self.contended, self.budget = contended, budget
        # Webhooks first: while they flood in (``flooded``), routing waits (up to DEFER_SECONDS
        # a batch) and cuts its batches short, so that the providers get their answers in time.
        # The texts are stored; routing catches up as soon as the flood eases.
        self.flooded = flooded
        self.queues: list[asyncio.Queue[int]] = [
            asyncio.Queue(maxsize=max(size // workers, 1)) for _ in range(workers)
        ]
        # Set when a text could not be queued: the workers read the database until caught up.
        self.behind = asyncio.Event()
        self._catch_up = asyncio.Lock()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(queue), name=f"router-{n}")
                for n, queue in enumerate(self.queues)
            ]

    async def stop(self) -> None:
        """Stop the workers; what is still queued is stored, and the sweep routes it."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def submit(self, message_id: int, address: str) -> None:
        """Route this stored text soon; never waits (a full queue leaves it to the catch-up, a
        stopped router to the sweep)."""
        if not self._tasks:
            return
        queue = self.queues[zlib.crc32(address.encode()) % len(self.queues)]
        self._idle.clear()
        try:
            queue.put_nowait(message_id)
        except asyncio.QueueFull:
            self.behind.set()

    async def join(self) -> None:
        """Wait until everything submitted (and anything left behind) has been routed."""
        await self._idle.wait()

    def _settle(self) -> None:
        if all(q.empty() for q in self.queues) and self._busy == 0 and not self.behind.is_set():
            self._idle.set()

    async def _work(self, queue: asyncio.Queue[int]) -> None:
        carry: list[int] = []  # taken but not reached by the last batch: first in the next
        while True:
            if not carry and queue.empty() and self.behind.is_set():
                await self._catch_up_once()
                continue
            ids = carry
            if not carry:
                first = await self._next(queue)
                if first is None:
                    continue
                ids = [first]
                self._busy += 1
            while len(ids) < self.batch and not queue.empty():
                ids.append(queue.get_nowait())
            carry = await self._route(ids)
            if not carry:
                self._busy -= 1
                self._settle()

    async def _next(self, queue: asyncio.Queue[int]) -> int | None:
        """The next id, or None when the catch-up is wanted first."""
        waiter = asyncio.ensure_future(queue.get())
        behind = asyncio.ensure_future(self.behind.wait())
        try:
            await asyncio.wait({waiter, behind}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            behind.cancel()
            if not waiter.done():
                waiter.cancel()
        if waiter.done() and not waiter.cancelled():
            return waiter.result()
        return None

    async def _catch_up_once(self) -> None:
        if self._catch_up.locked():
            await asyncio.sleep(0.05)  # another worker reads the database; keep our queue going
            return
        async with self._catch_up:
            try:
                ids = await pending_ids(self.sessions, self.batch)
            except Exception as exc:
                OUTAGE.failed(exc)
                await asyncio.sleep(1)
                return
            if len(ids) < self.batch:
                self.behind.clear()  # after this batch the database holds nothing more to route
            if ids and await self._route(ids):
                self.behind.set()  # cut short: the rest is read again
            self._settle()

    async def _route(self, ids: list[int]) -> list[int]:
        """Route a batch; returns the ids it had to leave for the next one."""
        left: list[int] = []
        waited = 0.0
        while self.flooded() and waited < DEFER_SECONDS:
            await asyncio.sleep(YIELD_SECONDS)
            waited += YIELD_SECONDS
        try:
            async with self.writing():
                started = time.monotonic()
                budget = self.budget

                def stop() -> bool:  # webhooks wait, and this batch has had its share
                    waiting = self.contended() or self.flooded()
                    return waiting and time.monotonic() - started > (budget or 0.0)

                left = (await route_batch(self.sessions, self.clock, self.rules, ids, stop)).left
            OUTAGE.ok()
            self.wake()
        except Exception as exc:  # the database is away: the sweep routes them when it is back
            if is_unavailable(exc):
                OUTAGE.failed(exc)
            else:
                log.exception("routing a batch failed; the sweep will retry")
        return left
