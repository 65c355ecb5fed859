"""What 100,000 reminders waiting for next month cost: rows, not memory or time.

Queues N texts due over the next 60 days plus 100 due now in a fresh SQLite database, then
times how long the real Dispatcher takes to find and send the 100 that are due, and the peak
Python memory of doing so. ARCHITECTURE.md promises that pending reminders cost rows only; this
is the figure behind that.

    python -m bench.pending [--pending 1000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.clock import SystemClock
from handlers.context import Rules
from handlers.sites import ensure_default_site
from scheduler.dispatcher import Dispatcher
from scheduler.sending import Limits, OutgoingText
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Message


class NullSender:
    """A channel that accepts everything at once: measures Los, not a provider."""

    channel = "sms"
    limits = Limits(per_second=1e9)

    async def send(self, text: OutgoingText) -> str:
        return f"null-{text.message_id}"

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        return None


DUE_NOW = 100


async def run(pending: int) -> dict[str, float]:
    clock = SystemClock()
    now = clock.now()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        sessions = session_factory(engine)
        async with sessions.begin() as session:
            site = await ensure_default_site(session, clock, timezone="Europe/Oslo")
            rows = [
                {
                    "direction": "out",
                    "site_id": site.id,
                    "channel": "sms",
                    "address": f"+4790{n:06d}",
                    "text": "Påminnelse: Avtale i morgen kl. 10:00. Svar JA eller NEI.",
                    "status": "queued",
                    "kind": "appointment_reminder",
                    "idempotency_key": f"bench:{n}",
                    "send_after": now + timedelta(minutes=1 + n * 60 * 24 * 60 // pending)
                    if n >= DUE_NOW
                    else now,
                    "urgent": False,
                    "attempts": 0,
                    "created_at": now,
                }
                for n in range(pending + DUE_NOW)
            ]
            for start in range(0, len(rows), 10_000):
                await session.execute(insert(Message), rows[start : start + 10_000])
        dispatcher = Dispatcher(
            sessions, clock, Rules(quiet_hours=None), {"sms": NullSender()}, "bench"
        )
        tracemalloc.start()
        started = time.perf_counter()
        sent = await dispatcher.drain()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await engine.dispose()
        size = path.stat().st_size
    assert sent == DUE_NOW, sent
    return {
        "pending": pending,
        "seconds": elapsed,
        "peak_mib": peak / 2**20,
        "db_mib": size / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pending", description=__doc__)
    parser.add_argument(
        "--pending",
        type=int,
        nargs="+",
        default=[1_000, 100_000],
        help="texts due later, one run each [1000 100000]",
    )
    args = parser.parse_args(argv)
    for pending in args.pending:
        result = asyncio.run(run(pending))
        print(
            f"pending (SQLite): {int(result['pending']):>7,} due later, {DUE_NOW} due now: "
            f"the due ones found and sent in {result['seconds'] * 1000:.0f} ms (traced), "
            f"peak memory {result['peak_mib']:.1f} MiB, database {result['db_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
