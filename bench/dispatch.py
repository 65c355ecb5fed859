"""The dispatcher against the bare ``twilio`` client, both posting to a fake Twilio on loopback.

One run: the bare async ``twilio`` client posts N texts at concurrency 8 (the ceiling); then, on
SQLite and on PostgreSQL (1 and ``--processes`` dispatcher processes), N people are loaded in
bulk, a broadcast to all of them is queued (timed), and the real Dispatcher with the real
TwilioChannel sends it (provider limit raised out of the way). Senders run in processes of their
own, so the CPU each one reports is its own: CPU ms per text is their process CPU time over the
texts. At the end of each run the fake's count is checked: every text arrived exactly once.

    python -m bench.dispatch [--texts 10000] [--processes 2] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.fake_twilio import BenchTwilio
from bot.clock import SystemClock
from handlers import broadcasts
from handlers.context import Rules
from handlers.sites import ensure_default_site
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import ContactPoint, Message, Person

POSTGRES = os.environ.get("LOS_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ACCOUNT = "AC" + "0" * 32
TOKEN = "bench-token"
BODY = "Kino fredag kl. 18 i kafeen. Velkommen!"
CHUNK = 10_000


def usage() -> dict[str, float]:
    """This process's CPU seconds and peak RSS (MiB)."""
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": rusage.ru_utime + rusage.ru_stime, "rss_mib": rusage.ru_maxrss / 1024}


async def load_people(engine: AsyncEngine, count: int) -> None:
    """``count`` people, each with one SMS number, written in bulk."""
    clock = SystemClock()
    now = clock.now()
    async with session_factory(engine).begin() as session:
        site = await ensure_default_site(session, clock, timezone="Europe/Oslo")
        site_id = site.id
    async with engine.begin() as conn:
        for start in range(0, count, CHUNK):
            ids = range(start + 1, min(count, start + CHUNK) + 1)
            await conn.execute(
                insert(Person),
                [{"id": n, "site_id": site_id, "created_at": now, "status": "active"} for n in ids],
            )
            await conn.execute(
                insert(ContactPoint),
                [
                    {
                        "id": n,
                        "person_id": n,
                        "channel": "sms",
                        "address": f"+479{n:07d}",
                        "created_at": now,
                    }
                    for n in ids
                ],
            )
        if engine.dialect.name == "postgresql":
            for table in ("people", "contact_points"):
                await conn.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
            await conn.execute(text("ANALYZE"))


async def queue_broadcast(engine: AsyncEngine) -> float:
    """Queue one broadcast to everyone, as ``POST /api/broadcasts`` and the queueing after it do;
    returns the seconds until every recipient's row was queued."""
    clock = SystemClock()
    sessions = session_factory(engine)
    started = time.perf_counter()
    async with sessions.begin() as session:
        site = await ensure_default_site(session, clock, timezone="Europe/Oslo")
        await broadcasts.create_broadcast(
            session, clock, site_id=site.id, text=BODY, audience={}, send_at=None
        )
    await broadcasts.queue_rest(sessions, clock)
    return time.perf_counter() - started


async def wait_for_go() -> None:
    """Tell the parent this process is ready, and wait for its word."""
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def dispatcher_process(database: str, twilio: str) -> dict[str, Any]:
    """One dispatcher (the real one, with the real TwilioChannel) until the outbox is empty."""
    from bot.channels.twilio_sms import TwilioChannel
    from bot.config import Settings
    from scheduler.dispatcher import Dispatcher
    from scheduler.sending import Limits

    settings = Settings(
        database_url=database,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_from="+4790000000",
        twilio_api_url=twilio,
        public_url="http://127.0.0.1:8080",
    )
    channel = TwilioChannel(settings)
    channel.limits = Limits(per_second=1e6)  # the provider's limit out of the way
    engine = create_engine(database)
    sessions = session_factory(engine)
    dispatcher = Dispatcher(
        sessions,
        SystemClock(),
        Rules(quiet_hours=None),
        {"sms": channel},
        f"bench:{os.getpid()}:{uuid.uuid4().hex[:6]}",
    )
    left = (
        select(func.count())
        .select_from(Message)
        .where(Message.direction == "out", Message.status.in_(("queued", "sending")))
    )
    await wait_for_go()
    before, started = usage(), time.time()
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run_forever(stop))
    while True:
        await asyncio.sleep(0.1)
        async with dispatcher.writing(), engine.connect() as conn:
            if not await conn.scalar(left):
                break
    finished = time.time()
    stop.set()
    await running
    after = usage()
    await channel.close()
    await engine.dispose()
    return {
        "started": started,
        "finished": finished,
        "cpu": after["cpu"] - before["cpu"],
        "rss_mib": after["rss_mib"],
    }


async def bare_process(twilio: str, texts: int) -> dict[str, Any]:
    """The bare async twilio client posting ``texts`` texts at concurrency 8: the ceiling."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    http = AsyncTwilioHttpClient()
    client = Client(ACCOUNT, TOKEN, http_client=http)
    client.api.base_url = twilio
    gate = asyncio.Semaphore(8)

    async def send(n: int) -> None:
        async with gate:
            await client.messages.create_async(to=f"+478{n:07d}", from_="+4790000000", body=BODY)

    await wait_for_go()
    before, started = usage(), time.time()
    await asyncio.gather(*(send(n) for n in range(texts)))
    finished, after = time.time(), usage()
    if http.session is not None:
        await http.session.close()
    return {
        "started": started,
        "finished": finished,
        "cpu": after["cpu"] - before["cpu"],
        "rss_mib": after["rss_mib"],
    }


async def run_processes(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Start each sender process, let them all go at once, and collect what they report."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.dispatch",
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for command in commands
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"sender process did not start: {line!r}")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    results = []
    for proc in procs:
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"sender process failed ({proc.returncode})")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


@dataclass
class Run:
    """What one sender run measured, and what the fake Twilio received."""

    label: str
    texts: int
    reports: list[dict[str, Any]]
    arrived: int = 0
    distinct: int = 0
    sent_rows: int | None = None
    queued_seconds: float | None = None

    @property
    def exactly_once(self) -> bool:
        rows_ok = self.sent_rows is None or self.sent_rows == self.texts
        return self.arrived == self.distinct == self.texts and rows_ok

    def row(self) -> str:
        wall = max(r["finished"] for r in self.reports) - min(r["started"] for r in self.reports)
        cpu = sum(r["cpu"] for r in self.reports)
        return (
            f"| {self.label} | {self.texts / wall:,.0f} | {cpu * 1000 / self.texts:.2f} | "
            f"{max(r['rss_mib'] for r in self.reports):.0f} | "
            f"{'yes' if self.exactly_once else 'NO'} "
            f"({self.distinct:,} distinct of {self.arrived:,} at the fake) |"
        )


async def database(backend: str, folder: Path) -> tuple[str, str | None]:
    """A fresh, migrated database: its URL, and its name when it is a PostgreSQL one."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}", None
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"los_bench_{uuid.uuid4().hex[:8]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False), name


async def drop(name: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def measure(url: str, processes: int, texts: int, fake: BenchTwilio) -> Run:
    """On a migrated, empty database: load ``texts`` people, queue a broadcast to them (timed),
    and send it with ``processes`` dispatcher processes."""
    engine = create_engine(url)
    try:
        await load_people(engine, texts)
        queued = await queue_broadcast(engine)
        fake.reset()
        reports = await run_processes([["--dispatcher", url, fake.url]] * processes)
        async with engine.connect() as conn:
            sent = await conn.scalar(
                select(func.count()).select_from(Message).where(Message.status == "sent")
            )
    finally:
        await engine.dispose()
    backend = make_url(url).get_backend_name()
    return Run(
        label=f"Los {backend}, {processes} process{'es' if processes > 1 else ''}",
        texts=texts,
        reports=reports,
        arrived=fake.total,
        distinct=len(fake.arrived),
        sent_rows=int(sent or 0),
        queued_seconds=queued,
    )


async def los_run(backend: str, processes: int, texts: int, fake: BenchTwilio, folder: Path) -> Run:
    url, name = await database(backend, folder)
    try:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        return await measure(url, processes, texts, fake)
    finally:
        if name:
            await drop(name)


async def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def run(texts: int, processes: int, postgres: bool) -> list[str]:
    fake = BenchTwilio()
    await fake.start()
    lines = [
        f"dispatch: {texts:,} texts to a fake Twilio on loopback",
        "| sender | texts/s | CPU ms/text | peak RSS MiB | exactly once |",
        "|---|---|---|---|---|",
    ]
    try:
        reports = await run_processes([["--bare", fake.url, str(texts)]])
        bare = Run("bare twilio client, concurrency 8", texts, reports)
        bare.arrived, bare.distinct = fake.total, len(fake.arrived)
        lines.append(bare.row())
        plan = [("sqlite", 1)]
        if postgres and await postgres_reachable():
            plan += [("postgresql", 1)] + ([("postgresql", processes)] if processes > 1 else [])
        queueing = []
        with tempfile.TemporaryDirectory() as folder:
            for backend, count in plan:
                run = await los_run(backend, count, texts, fake, Path(folder))
                lines.append(run.row())
                queueing.append(f"{backend} {run.queued_seconds:.2f} s")
        lines.append(f"queueing the {texts:,}-recipient broadcast: " + ", ".join(queueing))
    finally:
        await fake.stop()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    parser.add_argument("--texts", type=int, default=10_000, help="how many texts [10000]")
    parser.add_argument("--processes", type=int, default=2, help="dispatchers on PostgreSQL [2]")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--dispatcher", nargs=2, metavar=("DATABASE", "TWILIO"), help=argparse.SUPPRESS
    )
    parser.add_argument("--bare", nargs=2, metavar=("TWILIO", "TEXTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dispatcher:
        print(json.dumps(asyncio.run(dispatcher_process(*args.dispatcher))))
    elif args.bare:
        print(json.dumps(asyncio.run(bare_process(args.bare[0], int(args.bare[1])))))
    else:
        for line in asyncio.run(run(args.texts, args.processes, not args.no_postgres)):
            print(line)


if __name__ == "__main__":
    main()
