"""On SQLite the router runs on a thread of its own, with its own event loop and connections.

SQLite has one writer, and a routing batch holds it. In the web process's event loop each of a
batch's statements waited its turn behind whatever else the loop was doing: under a flood of
webhooks a text held the lock for 50–90 ms instead of the few it costs, and the webhooks queued
behind it (issue 17). On its own thread, with its statements run inline
(storage/sqlite_driver.py ``InlineCursor``), a batch holds the lock only as long as its work
takes, while the web loop goes on answering (SQLite works without the GIL). The two take turns at
the lock (scheduler/writelock.py), webhooks first.

``RoutingThread`` offers the ``Router``'s own face (start, submit, join, stop) to the web loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from handlers.clock import Clock
from handlers.context import Rules
from scheduler.routing import Router
from scheduler.writelock import WriteLock
from storage.db import create_engine, session_factory
from storage.sqlite_driver import inline_dbapi

log = logging.getLogger(__name__)
# How long start and stop wait for the thread (what a stopped batch leaves, the sweep routes).
WAIT_SECONDS = 10.0


class RoutingThread:
    def __init__(
        self,
        url: str,
        clock: Clock,
        rules: Rules,
        write_lock: WriteLock,
        *,
        wake: Callable[[], None],
        flooded: Callable[[], bool] = lambda: False,
    ) -> None:
        self.url, self.clock, self.rules, self.write_lock = url, clock, rules, write_lock
        self.wake = wake  # the dispatcher's, on the web loop
        self.flooded = flooded  # read from this thread: a plain count on the web side
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._router: Router | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        web_loop = asyncio.get_running_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(web_loop, ready), name="los-router", daemon=True
        )
        self._thread.start()
        ready.wait(WAIT_SECONDS)
        if self._router is None:  # the thread could not set up: say so, rather than hang
            self._thread = None
            raise RuntimeError("the router's thread did not start")

    def _run(self, web_loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        try:
            self._serve(web_loop, ready)
        finally:
            ready.set()  # also when setting up failed: ``start`` must not wait for ever

    def _serve(self, web_loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        engine = create_engine(
            self.url,
            module=inline_dbapi(),
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        def wake() -> None:  # answers were queued: the dispatcher, on the web loop, sends them
            web_loop.call_soon_threadsafe(self.wake)

        router = Router(
            session_factory(engine),
            self.clock,
            self.rules,
            lambda: self.write_lock,
            wake=wake,
            contended=self.write_lock.contended,
            budget=0.01,
            flooded=self.flooded,
            workers=1,  # one writer: more workers would only queue for the lock
        )
        self._loop, self._router = loop, router
        loop.call_soon(router.start)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(engine.dispose())
            loop.close()

    def submit(self, message_id: int, address: str) -> None:
        """Route this stored text soon; never waits."""
        if self._loop is not None and self._router is not None:
            self._loop.call_soon_threadsafe(self._router.submit, message_id, address)

    async def join(self) -> None:
        """Wait until everything submitted so far has been routed."""
        if self._loop is not None and self._router is not None:
            await self._on_thread(self._router.join())

    async def stop(self) -> None:
        """Stop routing; what is still queued is stored, and the sweep routes it."""
        loop, router, thread = self._loop, self._router, self._thread
        if loop is None or router is None or thread is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._on_thread(router.stop()), WAIT_SECONDS)
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, WAIT_SECONDS)
        if thread.is_alive():
            log.warning("the router's thread did not stop in time; leaving it")
        self._thread = self._loop = self._router = None

    async def _on_thread(self, work: Any) -> Any:
        assert self._loop is not None
        done: Future[Any] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return await asyncio.wrap_future(done)
