"""SQLite's one writer, shared by this process's writers in turn, webhooks first.

SQLite waits for its lock by sleeping, so the process's writers queue here instead (the
dispatcher's ``writing()``). A webhook storing a text goes before everything else that waits:
it holds the lock for one INSERT, and a provider waits for its answer. Routing, which holds it
for a batch, asks ``contended()`` between texts and lets the webhooks in once it has had its
share (scheduler/routing.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from types import TracebackType


class WriteLock:
    def __init__(self) -> None:
        self._held = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[None]] = collections.deque()

    def contended(self) -> bool:
        """A webhook is waiting: finish up and let it in."""
        return any(not f.done() for f in self._urgent)

    async def acquire(self, urgent: bool = False) -> None:
        if not self._held and not self._urgent and (urgent or not self._normal):
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed to us just as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    (self._urgent if urgent else self._normal).remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the lock passes straight to it: still held
                    return
        self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    @contextlib.asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """Hold the lock, ahead of every writer that is not itself first."""
        await self.acquire(urgent=True)
        try:
            yield
        finally:
            self.release()
