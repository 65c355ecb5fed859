"""SQLite's one writer in turns (scheduler/writelock.py): webhooks first, across threads too."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scheduler.writelock import WriteLock


async def test_a_webhook_goes_before_writers_that_waited_longer() -> None:
    lock = WriteLock()
    order: list[str] = []
    await lock.acquire()

    async def writer(name: str, urgent: bool) -> None:
        await lock.acquire(urgent=urgent)
        order.append(name)
        lock.release()

    routing = asyncio.create_task(writer("routing", False))
    await asyncio.sleep(0)
    webhook = asyncio.create_task(writer("webhook", True))
    await asyncio.sleep(0)
    assert lock.contended()
    lock.release()
    await asyncio.gather(routing, webhook)
    assert order == ["webhook", "routing"]
    assert not lock.contended()


@pytest.mark.parametrize("woken", [False, True], ids=["on_its_way", "woken_with_it"])
async def test_a_waiter_cancelled_as_the_lock_reaches_it_passes_it_on(woken: bool) -> None:
    """Cancelled while the lock is on its way to it, or after it was woken with the lock but
    before it ran on: either way the lock goes to the next waiter, not lost."""
    lock = WriteLock()
    await lock.acquire()
    cancelled = asyncio.create_task(lock.acquire())
    after = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # handed to ``cancelled``, woken on the next turn of the loop
    if woken:
        await asyncio.sleep(0)  # that turn: its future now holds the lock
    cancelled.cancel()
    await asyncio.wait_for(after, 1)
    assert cancelled.cancelled()
    lock.release()
    await lock.acquire()  # free again


async def test_the_lock_passes_between_threads_with_their_own_loops() -> None:
    lock = WriteLock()
    held_by: list[str] = []
    inside = 0
    overlap = False

    async def turns(name: str, urgent: bool) -> None:
        nonlocal inside, overlap
        for _ in range(200):
            await lock.acquire(urgent=urgent)
            inside += 1
            overlap = overlap or inside > 1
            held_by.append(name)
            await asyncio.sleep(0)
            inside -= 1
            lock.release()

    other = threading.Thread(target=lambda: asyncio.run(turns("thread", False)))
    other.start()
    await turns("loop", True)
    await asyncio.to_thread(other.join, 10)
    assert not other.is_alive()
    assert not overlap  # never held by both at once
    assert held_by.count("thread") == held_by.count("loop") == 200
