"""How fast the dispatcher empties the outbox, without a network.

Queues N texts to N addresses in a fresh SQLite database (in bulk, as a broadcast would), then
lets the real Dispatcher claim, "send" them through a sender that answers at once, and record
them.
Prints texts per second, and the peak Python memory of a second, traced run (tracemalloc slows
the code it watches, so the two are measured apart).

    python -m bench.dispatch [--texts 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from handlers.context import Rules
from handlers.sites import ensure_default_site
from scheduler.dispatcher import Dispatcher
from scheduler.sending import Limits, OutgoingText
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import ContactPoint, Message


class NullSender:
    """A channel that accepts everything at once: measures Los, not a provider."""

    channel = "sms"
    limits = Limits(per_second=1e9)

    async def send(self, text: OutgoingText) -> str:
        return f"null-{text.message_id}"

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        return None


async def queue_texts(
    sessions: async_sessionmaker[AsyncSession], clock: SystemClock, count: int, batch: str
) -> None:
    """``count`` queued texts to as many new addresses, written in bulk like a broadcast."""
    now = clock.now()
    async with sessions.begin() as session:
        site = await ensure_default_site(session, clock, timezone="Europe/Oslo")
        contacts = [
            ContactPoint(channel="sms", address=f"+47{batch}{n:07d}", created_at=now)
            for n in range(count)
        ]
        session.add_all(contacts)
        await session.flush()
        await session.execute(
            insert(Message),
            [
                {
                    "direction": "out",
                    "site_id": site.id,
                    "contact_point_id": contact.id,
                    "channel": "sms",
                    "address": contact.address,
                    "text": "Kino fredag kl. 18 i kafeen. Velkommen!",
                    "status": "queued",
                    "kind": "broadcast",
                    "send_after": now,
                    "urgent": False,
                    "attempts": 0,
                    "created_at": now,
                }
                for contact in contacts
            ],
        )


async def run(texts: int) -> dict[str, float]:
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await upgrade(engine)
        sessions = session_factory(engine)
        dispatcher = Dispatcher(
            sessions, clock, Rules(quiet_hours=None), {"sms": NullSender()}, "bench"
        )

        await queue_texts(sessions, clock, texts, "1")

        started = time.perf_counter()
        handled = await dispatcher.drain()
        sent_in = time.perf_counter() - started

        await queue_texts(sessions, clock, texts, "2")
        tracemalloc.start()
        await dispatcher.drain()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        async with sessions() as session:
            sent = await session.scalar(
                select(func.count()).select_from(Message).where(Message.status == "sent")
            )
        await engine.dispose()
    assert handled == texts and sent == 2 * texts, (handled, sent)
    return {
        "texts": texts,
        "send_per_second": texts / sent_in,
        "peak_mib": peak / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    parser.add_argument("--texts", type=int, default=5000, help="how many texts [5000]")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.texts))
    print(
        f"dispatch (SQLite, no network): {int(result['texts'])} texts; "
        f"dispatched {result['send_per_second']:,.0f} texts/s; "
        f"peak memory while dispatching {result['peak_mib']:.1f} MiB (tracemalloc)"
    )


if __name__ == "__main__":
    main()
