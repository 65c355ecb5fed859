"""A flood through the front door: 10,000 texts from 1,000 numbers through the signed Twilio
webhook, with the dispatcher sending for real to a fake Twilio on loopback.

Every number is a registered participant who writes ten texts in quick succession (HJELP,
TIMER, JA, free text ...), 50 webhook calls at a time. Prints texts per second through the
webhook, the median and 99th percentile webhook time, and how many answers went out: the reply
budget is what keeps that number small.

    python -m bench.flood [--texts 10000] [--numbers 1000] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bot.app import make_app
from bot.config import Settings
from bot.service import Los
from handlers.people import create_person
from handlers.sites import default_site
from storage.models import Message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

PUBLIC_URL = "http://los.bench"
TOKEN = "bench-token"
FROM = "+4759440000"
WORDS = ["HJELP", "TIMER", "AKTIVITETER", "hei, er dere der?", "JA", "HJELP", "TIMER", "?"]
AT_ONCE = 50


def phone(n: int) -> str:
    return f"+4794{n:06d}"


async def add_people(los: Los, numbers: int) -> None:
    async with los.sessions.begin() as session:
        site = await default_site(session)
        assert site is not None
        for n in range(numbers):
            await create_person(
                session,
                los.clock,
                site_id=site.id,
                name=f"Deltaker {n}",
                roles=["participant"],
                phone=phone(n),
            )


async def outbox_idle(los: Los) -> bool:
    async with los.sessions() as session:
        waiting = await session.scalar(
            select(func.count()).where(
                Message.direction == "out", Message.status.in_(("queued", "sending"))
            )
        )
    return not waiting


async def flood(database_url: str, texts: int, numbers: int) -> dict[str, Any]:
    twilio, telegram = FakeTwilio(), FakeTelegram()
    await twilio.start()
    settings = Settings(
        database_url=database_url,
        public_url=PUBLIC_URL,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN,
        twilio_from=FROM,
        twilio_api_url=twilio.url,
        twilio_per_second=1000,
        quiet_hours="off",
    )
    los = Los(settings)
    client = TestClient(TestServer(make_app(los)))
    await client.start_server()
    validator = RequestValidator(TOKEN)
    timings: list[float] = []
    try:
        await add_people(los, numbers)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(texts):
            queue.put_nowait(n)

        async def sender() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                params = {
                    "From": phone(n % numbers),
                    "To": FROM,
                    "Body": WORDS[(n // numbers) % len(WORDS)],
                    "MessageSid": f"SMflood{n:08d}",
                    "AccountSid": "AC" + "0" * 32,
                }
                path = "/webhooks/twilio/sms"
                signature = validator.compute_signature(PUBLIC_URL + path, params)
                started = time.perf_counter()
                resp = await client.post(
                    path, data=params, headers={"X-Twilio-Signature": signature}
                )
                timings.append(time.perf_counter() - started)
                assert resp.status == 200, resp.status

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(AT_ONCE)))
        took = time.perf_counter() - started
        for _ in range(600):
            if await outbox_idle(los):
                break
            await asyncio.sleep(0.5)
        timings.sort()
        return {
            "texts": texts,
            "numbers": numbers,
            "texts_per_second": texts / took,
            "median_ms": statistics.median(timings) * 1000,
            "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
            "answers": len(twilio.sent),
        }
    finally:
        await client.close()
        await twilio.stop()
        await telegram.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--numbers", type=int, default=1_000)
    parser.add_argument("--database", default=None, help="a database URL [a fresh SQLite file]")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database or f"sqlite+aiosqlite:///{Path(scratch) / 'flood.db'}"
        result = asyncio.run(flood(url, args.texts, args.numbers))
    print(
        f"{result['texts']:,} texts from {result['numbers']:,} numbers: "
        f"{result['texts_per_second']:,.0f} texts/s through the webhook; "
        f"webhook median {result['median_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms; "
        f"{result['answers']:,} answers sent"
    )


if __name__ == "__main__":
    main()
