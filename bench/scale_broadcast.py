"""bench/scale.py's broadcast section: one broadcast to 100k people, from preview to the last text.

On a fresh database per backend with N people (each with an SMS number, loaded in bulk), a
process of its own (so that its peak RSS is the broadcast's, not the loading's) times the
preview, the request (the broadcast made and its first chunk queued), the queueing of the rest,
and the sending by the real Dispatcher through a channel that accepts at once. Meanwhile a text
"arrives" every quarter second (stored with its answer queued, as the webhook does) and the time
until its answer is sent is taken. The send rate of the last 10 % is compared with the first.

    python -m bench.scale [--broadcast 100000]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.dispatch import database, drop, load_people, usage
from bot.clock import SystemClock
from handlers import broadcasts
from handlers.context import Rules
from handlers.sites import ensure_default_site
from scheduler.dispatcher import Dispatcher
from scheduler.sending import Limits, OutgoingText
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Message
from storage.models.messages import PRIORITY_ANSWER

BODY = "Sommerfest fredag kl. 18 i hagen. Velkommen!"


class InstantSender:
    """Accepts every text at once: the broadcast's cost is Los's, not a provider's."""

    channel = "sms"
    limits = Limits(per_second=1e6)

    async def send(self, text: OutgoingText) -> str:
        return f"instant-{text.message_id}"

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        return None


async def arriving(
    sessions: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    clock: SystemClock,
    site_id: int,
    done: asyncio.Event,
) -> list[float]:
    """A text arrives every 0.25 s until ``done``: stored with its answer queued in one
    transaction; returns the seconds from arrival until each answer was sent."""
    answered: list[float] = []
    n = 0
    while not done.is_set():
        n += 1
        started = time.perf_counter()
        now = clock.now()
        common = {"site_id": site_id, "channel": "sms", "address": f"+4791{n:06d}"}
        async with dispatcher.writing(), sessions.begin() as session:
            await session.execute(
                insert(Message),
                [
                    {
                        **common,
                        "direction": "in",
                        "text": "Hei",
                        "status": "received",
                        "kind": "inbound",
                        "created_at": now,
                        "processed_at": now,
                    }
                ],
            )
            answer = (
                await session.execute(
                    insert(Message).returning(Message.id),
                    [
                        {
                            **common,
                            "direction": "out",
                            "text": "Takk, vi svarer snart.",
                            "status": "queued",
                            "kind": "reply",
                            "urgent": True,
                            "priority": PRIORITY_ANSWER,
                            "send_after": now,
                            "created_at": now,
                        }
                    ],
                )
            ).scalar_one()
        dispatcher.wake()
        while True:
            await asyncio.sleep(0.01)
            async with dispatcher.writing(), sessions() as session:
                status = await session.scalar(select(Message.status).where(Message.id == answer))
            if status == "sent":
                answered.append(time.perf_counter() - started)
                break
        await asyncio.sleep(0.25)
    return answered


async def measure(url: str) -> dict[str, Any]:
    """In this process: preview, request, queueing and sending of one broadcast to everyone."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    clock = SystemClock()
    dispatcher = Dispatcher(sessions, clock, Rules(quiet_hours=None), {"sms": InstantSender()}, "b")
    figures: dict[str, Any] = {}
    async with sessions.begin() as session:
        site_id = (await ensure_default_site(session, clock, timezone="Europe/Oslo")).id
    started = time.perf_counter()
    async with sessions() as session:
        preview = await broadcasts.preview(session, site_id, BODY, {})
    figures["preview_s"] = time.perf_counter() - started
    started = time.perf_counter()
    async with dispatcher.writing(), sessions.begin() as session:
        made = await broadcasts.create_broadcast(
            session, clock, site_id=site_id, text=BODY, audience={}
        )
        await broadcasts.progress(session, clock, made)
    figures["post_s"] = time.perf_counter() - started
    done = asyncio.Event()
    stop = asyncio.Event()
    arrivals = asyncio.create_task(arriving(sessions, dispatcher, clock, site_id, done))
    sending = asyncio.create_task(dispatcher.run_forever(stop))
    started = time.perf_counter()
    await broadcasts.queue_rest(sessions, clock, writing=dispatcher.writing)
    figures["queued_s"] = time.perf_counter() - started
    left = select(func.count()).where(
        Message.broadcast_id == made.id, Message.status.in_(("queued", "sending"))
    )
    while True:
        await asyncio.sleep(0.2)
        async with dispatcher.writing(), sessions() as session:
            if not await session.scalar(left):
                break
    figures["sent_s"] = time.perf_counter() - started
    done.set()
    answered = await arrivals
    stop.set()
    await sending
    async with sessions() as session:
        times = list(
            await session.scalars(
                select(Message.sent_at)
                .where(Message.broadcast_id == made.id, Message.status == "sent")
                .order_by(Message.sent_at)
            )
        )
    await engine.dispose()
    tenth = max(2, len(times) // 10)

    def rate(part: list[datetime | None]) -> float:
        first, last = part[0], part[-1]
        assert first is not None and last is not None
        return (len(part) - 1) / max((last - first).total_seconds(), 1e-6)

    figures |= {
        "recipients": preview["recipients"],
        "sent": len(times),
        "first_rate": rate(times[:tenth]),
        "last_rate": rate(times[-tenth:]),
        "answered_p50_ms": statistics.median(answered) * 1000 if answered else None,
        "answered_max_ms": max(answered) * 1000 if answered else None,
        "answers": len(answered),
        "rss_mib": usage()["rss_mib"],
    }
    return figures


async def run(recipients: int, backends: list[str]) -> list[str]:
    lines = [
        f"broadcast to {recipients:,} people (goals: preview < 1 s, request < 1 s, all queued "
        "< 10 s, peak RSS < 300 MiB, an answer meanwhile < 500 ms, last 10 % within 1.5x of the "
        "first)",
        "| database | preview s | request s | all queued s | all sent s | texts/s first 10 % "
        "| last 10 % | answers meanwhile p50 / max ms | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            try:
                url, name = await database(backend, Path(folder))
            except Exception as exc:
                lines.append(f"| {backend} | not reachable: {type(exc).__name__} |")
                continue
            try:
                engine = create_engine(url)
                await upgrade(engine)
                await load_people(engine, recipients)
                await engine.dispose()
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench.scale_broadcast",
                    url,
                    stdout=asyncio.subprocess.PIPE,
                )
                out, _ = await proc.communicate()
                f = json.loads(out.decode().strip().splitlines()[-1])
            finally:
                if name:
                    await drop(name)
            lines.append(
                f"| {backend} | {f['preview_s']:.2f} | {f['post_s']:.2f} | {f['queued_s']:.2f} | "
                f"{f['sent_s']:.1f} | {f['first_rate']:,.0f} | {f['last_rate']:,.0f} | "
                f"{f['answered_p50_ms'] or 0:.0f} / {f['answered_max_ms'] or 0:.0f} "
                f"({f['answers']}) | {f['rss_mib']:.0f} |"
            )
    return lines


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1]))))
