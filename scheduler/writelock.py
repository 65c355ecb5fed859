"""SQLite's one writer, shared by this process's writers in turn, webhooks first.

SQLite waits for its lock by sleeping, so the process's writers queue here instead (the
dispatcher's ``writing()``). A webhook storing a text goes before everything else that waits:
it holds the lock for one INSERT, and a provider waits for its answer. Routing, which holds it
for a batch, asks ``contended()`` between texts and lets the webhooks in once it has had its
share (scheduler/routing.py).

The lock is shared across threads and their event loops: on SQLite the router runs on a thread
of its own (scheduler/routing_thread.py). The lock passes straight from the releaser to the next
waiter, woken on its own loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import AsyncIterator
from types import TracebackType

Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class WriteLock:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._urgent: collections.deque[Waiter] = collections.deque()
        self._normal: collections.deque[Waiter] = collections.deque()

    def contended(self) -> bool:
        """A webhook is waiting: finish up and let it in."""
        return bool(self._urgent)

    async def acquire(self, urgent: bool = False) -> None:
        loop = asyncio.get_running_loop()
        queue = self._urgent if urgent else self._normal
        with self._mutex:
            if not self._held and not self._urgent and (urgent or not self._normal):
                self._held = True
                return
            waiter: Waiter = (loop, loop.create_future())
            queue.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._mutex:
                handed = waiter not in queue
                if not handed:
                    queue.remove(waiter)  # not handed to us yet: simply leave the queue
            if handed and not waiter[1].cancelled():
                self.release()  # woken with it, then cancelled before we could use it
            # (handed but not woken yet: ``_wake`` finds the future cancelled and passes it on)
            raise

    def release(self) -> None:
        with self._mutex:
            for queue in (self._urgent, self._normal):
                if queue:
                    loop, future = queue.popleft()
                    break
            else:
                self._held = False
                return
        # The lock is the waiter's from here (still held); it is woken on its own loop.
        loop.call_soon_threadsafe(self._wake, future)

    def _wake(self, future: asyncio.Future[None]) -> None:
        if future.done():  # cancelled while the lock was on its way: pass it on
            self.release()
        else:
            future.set_result(None)

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
