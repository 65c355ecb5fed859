"""Texts that arrive together are stored together: one INSERT and one commit for all of them.

A webhook answers the provider only once its text is committed. Committing each text alone costs
a transaction each (BEGIN, INSERT, COMMIT, and on SQLite the one write lock in turn); under a
flood that was most of a webhook's time (issue 17). ``GroupStore`` lets the first text go at once
and gathers every text that arrives while that commit runs into the next one: a lone text waits
for nothing, and a burst of fifty shares one transaction. Each webhook still answers after its own
text is committed, so nothing a provider was told is stored can be lost.

A batch that fails for a reason other than the database being away is stored again text by text,
so that one bad text cannot refuse its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.router import store_plain
from scheduler.inbound import Incoming, store_text
from scheduler.metrics import MESSAGES_IN
from scheduler.outage import is_unavailable

Storing = Callable[[], contextlib.AbstractAsyncContextManager[None]]
# Texts a transaction takes at most; the rest go in the next one.
MOST = 200


def is_plain(incoming: Incoming) -> bool:
    """A text without attachments or a button: its row is all there is to store."""
    return not incoming.attachments and incoming.button is None


def key_of(row: dict[str, object]) -> tuple[str, str]:
    return str(row["channel"]), str(row["provider_id"])


async def store_texts(
    sessions: async_sessionmaker[AsyncSession], texts: Sequence[Incoming]
) -> list[int | None]:
    """Store texts in one transaction: each one's id, or None for a provider id stored before
    (or earlier in ``texts``). Plain texts get their ids in the order they came; one with
    attachments or a button is stored after them, alone (a picture and a word sent in the same
    instant may be routed in the other order)."""
    plain = [(n, t.row()) for n, t in enumerate(texts) if is_plain(t)]
    unique: dict[tuple[str, str], dict[str, object]] = {}
    for _, row in plain:  # in arrival order (ids in the order they came); a repeat once
        unique.setdefault(key_of(row), row)
    async with sessions.begin() as session:
        stored = await store_plain(session, list(unique.values()))
    results: list[int | None] = [None] * len(texts)
    for n, row in plain:
        # a repeat of the same provider id in this batch finds none: it was stored once
        results[n] = stored.pop(key_of(row), None)
        if results[n] is not None:
            MESSAGES_IN.labels(texts[n].channel).inc()
    for n, incoming in enumerate(texts):
        if not is_plain(incoming):  # attachments or a button: rare, each in its own insert
            results[n] = await store_text(sessions, incoming)
    return results


class GroupStore:
    """Where webhooks store their texts: whatever arrives during one commit joins the next."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], storing: Storing) -> None:
        self.sessions, self.storing = sessions, storing
        self._waiting: list[tuple[Incoming, asyncio.Future[int | None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    def submit(self, incoming: Incoming) -> asyncio.Future[int | None]:
        """The text's id once it is committed, or None for a provider id stored before (a future:
        the webhook waits for it without a task of its own)."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((incoming, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return future

    async def store(self, incoming: Incoming) -> int | None:
        return await self.submit(incoming)

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MOST], self._waiting[MOST:]
            try:
                async with self.storing():
                    results = await self._store([incoming for incoming, _ in batch])
            except Exception as exc:  # the database is away: every webhook spools its text
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # its webhook gave up waiting and spooled it (deduplicated)
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _store(self, texts: list[Incoming]) -> list[int | Exception | None]:
        try:
            return list(await store_texts(self.sessions, texts))
        except Exception as exc:
            if is_unavailable(exc) or len(texts) == 1:
                raise
        return [await self._store_alone(incoming) for incoming in texts]

    async def _store_alone(self, incoming: Incoming) -> int | Exception | None:
        try:
            return await store_text(self.sessions, incoming)
        except Exception as exc:  # this text alone: its webhook spools it
            return exc
