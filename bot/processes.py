"""``los serve --workers N``: N processes on one port (``SO_REUSEPORT``), and uvloop.

One process is CPU-bound in Python well before PostgreSQL is busy; the kernel spreads
connections over N processes that all listen on the same port. The first process has the role
asked for (``all`` by default: web, dispatcher and jobs); the others are web processes (webhooks,
routing, API and pages). SQLite has one writer, so it is served by one process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from aiohttp import web

from bot.config import Settings
from bot.webhook_watch import ArrivalSlots

log = logging.getLogger("bot.startup")


def new_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    """uvloop where it is installed and not turned off (``LOS_UVLOOP=0``); else asyncio's."""
    if settings.los_uvloop:
        try:
            import uvloop
        except ImportError:  # not on this platform: asyncio's own loop is the same, slower
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def settle_memory(_app: object) -> None:
    """Once started, keep the garbage collector from scanning what start-up made again.

    Modules, models, compiled statements, templates and translations live as long as the
    process, yet each full collection walked them all: 120-160 ms with webhooks waiting, under
    load. Frozen after one last collection, a full collection takes 5-25 ms."""
    gc.collect()
    gc.freeze()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def stop_once(_app: object) -> None:
    """The first stop signal stops the process; later ones are ignored while that stop runs.

    systemd stops a unit by signalling every process in its group, and ``--workers N`` passes
    the signal on too, so each process gets two. aiohttp answers each with ``GracefulExit`` (a
    ``SystemExit`` with code 1): a second one while stopping broke the stop off half-way, cut the
    database connections and ended the process with 1. The stop is bounded anyway
    (``LOS_SHUTDOWN_GRACE``)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for number in STOP_SIGNALS:
            loop.add_signal_handler(number, lambda: None)
        raise web.GracefulExit()

    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, stop)


def roles_of(role: str, workers: int) -> list[str]:
    """The role of each process: the first as asked, the rest web."""
    return [role] + ["web"] * (workers - 1)


RunOne = Callable[[Settings, str, bool, ArrivalSlots | None], None]


def run_processes(settings: Settings, role: str, workers: int, run_one: RunOne) -> None:
    """Start ``workers`` processes of ``run_one`` and wait; a stop signal goes to each, and one
    that dies takes the others down, so a supervisor restarts the whole set. They share their
    webhook rates (bot/webhook_watch.py), so that routing in each yields to a flood of all."""
    context = multiprocessing.get_context("spawn")
    rates = context.RawArray("d", 2 * workers)
    children = [
        context.Process(
            target=run_one,
            args=(settings, child_role, True, ArrivalSlots(rates, n)),
            name=f"los-{n}",
        )
        for n, child_role in enumerate(roles_of(role, workers))
    ]
    for child in children:
        child.start()

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = 0
    while any(child.is_alive() for child in children):
        for child in children:
            child.join(0.5)
            if child.exitcode not in (None, 0) and not failed:
                failed = child.exitcode if child.exitcode > 0 else 1
                log.error(
                    "process %s ended (exit %s); stopping the others", child.name, child.exitcode
                )
                forward(signal.SIGTERM, None)
    sys.exit(failed)
