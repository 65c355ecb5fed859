"""The webhooks against a bare aiohttp handler taking the same posts, side by side.

Starts, as subprocesses, fake Twilio and Telegram APIs (where Los sends its answers), a bare
aiohttp server that checks the Telegram secret or the Twilio signature and answers (the
ceiling), and ``los serve`` (on PostgreSQL with ``--workers 2``). Then, per database, path and
round, alternating bare and Los, with an aiohttp load generator at 50 connections:

- requests a second at full load and the latency, for each;
- Los's latency at half of the goal's rate (1,000 webhooks a second on SQLite, 2,000 on
  PostgreSQL: 500 and 1,000), or at half of its maximum if that is less (open loop, a fixed
  rate);
- routing: how fast the texts of the full-load run were routed (from the first routed to the
  last), and texts posted at a fixed rate (200 a second on SQLite, 500 on PostgreSQL, or
  half of Los's maximum if that is less): how many were routed a second with their answers
  queued, and the gap between storing a text and routing it (p50, p99).

On PostgreSQL the bench runs ``VACUUM ANALYZE`` before each measurement, as autovacuum would:
this machine's server runs without it. Every text comes from a registered number or a linked
chat, each sender once per run. Prints the medians of the rounds with the ratio to bare aiohttp,
and checks that every accepted text was stored once and routed once.

    python -m bench.inbound [--quick] [--databases sqlite,postgresql] [--rounds 3]
        [--duration 8] [--no-uvloop] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from storage.db import create_engine, is_sqlite
from storage.models import ContactPoint, Message, Person, PersonRole, Site

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-twilio-token"
SECRET = "bench-telegram-secret"
SID = "AC" + "0" * 32
FROM = "+4759440000"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
CONNECTIONS = 50
WORDS = ["TIMER", "Hei, kan noen ringe meg?", "HJELP", "AKTIVITETER"]
PATHS = {"telegram": "/webhooks/telegram", "twilio": "/webhooks/twilio/sms"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def phone(n: int) -> str:
    return f"+4792{n:06d}"


def chat(n: int) -> int:
    return 700_000_000 + n


def senders_of(people: int | None) -> Iterator[tuple[int, int]]:
    """(sender, turn): each of ``people`` senders once a turn, in order, turn after turn (all
    different, without ``people``)."""
    for n in itertools.count():
        yield (n % people, n // people) if people else (n, 0)


# --- the bare ceiling ------------------------------------------------------------------------


def serve_bare(port: int) -> None:
    """The same posts, checked as Los checks them, answered without storing anything."""
    from aiohttp import web

    validator = RequestValidator(TOKEN)
    base = f"http://127.0.0.1:{port}"

    async def telegram(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            raise web.HTTPForbidden()
        json.loads(await request.text())
        return web.json_response({"ok": True})

    async def twilio(request: web.Request) -> web.Response:
        form = dict(await request.post())
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(f"{base}{request.path_qs}", form, signature):
            raise web.HTTPForbidden()
        return web.Response(text=TWIML, content_type="text/xml")

    app = web.Application()
    app.add_routes([web.post(PATHS["telegram"], telegram), web.post(PATHS["twilio"], twilio)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_fakes(ready_file: str) -> None:
    """Fake Twilio and Telegram APIs for Los's answers, in a process of their own."""
    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.twilio_api import FakeTwilio

    async def main() -> None:
        twilio, telegram = FakeTwilio(), FakeTelegram()
        await twilio.start()
        await telegram.start()
        urls = json.dumps({"twilio": twilio.url, "telegram": telegram.url})
        await asyncio.to_thread(Path(ready_file).write_text, urls)
        await asyncio.Event().wait()

    asyncio.run(main())


# --- load --------------------------------------------------------------------------------------


@dataclass
class Load:
    """One measured stretch of requests."""

    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


Request = tuple[str, bytes, dict[str, str]]


class Requests:
    """Posts for one path, each from its own sender and with its own provider id."""

    def __init__(
        self, path: str, base_url: str, tag: str, senders: Iterator[tuple[int, int]]
    ) -> None:
        self.path, self.base_url, self.tag, self.senders = path, base_url, tag, senders
        self.validator = RequestValidator(TOKEN)
        self.counter = itertools.count()
        self.provider_ids: list[str] = []

    def next(self) -> Request:
        n = next(self.counter)
        sender, turn = next(self.senders)
        # The mix goes round the senders, and a sender's word changes each time the senders
        # come round again: the same word within 10 minutes would get no answer (the reply
        # budget's same-answer rule), and routing would be measured without its answers.
        word = WORDS[(sender + turn) % len(WORDS)]
        if self.path == "telegram":
            update_id = int(self.tag) * 10_000_000 + n
            self.provider_ids.append(f"u{update_id}")
            body = json.dumps(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": n + 1,
                        "date": 0,
                        "text": word,
                        "chat": {"id": chat(sender), "type": "private"},
                        "from": {"id": chat(sender), "is_bot": False, "first_name": "B"},
                    },
                }
            ).encode()
            return (
                PATHS["telegram"],
                body,
                {
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                },
            )
        sid = f"SM{self.tag}x{n:08d}"
        self.provider_ids.append(sid)
        params = {
            "From": phone(sender),
            "To": FROM,
            "Body": word,
            "MessageSid": sid,
            "AccountSid": SID,
        }
        signature = self.validator.compute_signature(self.base_url + PATHS["twilio"], params)
        return (
            PATHS["twilio"],
            urlencode(params).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )


async def post(http: aiohttp.ClientSession, base: str, request: Request, load: Load) -> None:
    path, body, headers = request
    started = time.perf_counter()
    try:
        async with http.post(base + path, data=body, headers=headers) as resp:
            await resp.read()
            ok = resp.status == 200
    except aiohttp.ClientError:
        ok = False
    load.latencies.append(time.perf_counter() - started)
    load.sent += ok
    load.failed += not ok


async def full_load(base: str, make: Callable[[], Request], duration: float) -> Load:
    """Closed loop: 50 connections, each posting again as soon as it has its answer."""
    load = Load()
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        deadline = time.perf_counter() + duration

        async def one() -> None:
            while time.perf_counter() < deadline:
                await post(http, base, make(), load)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(CONNECTIONS)))
        load.seconds = time.perf_counter() - started
    return load


async def fixed_rate(base: str, make: Callable[[], Request], rate: float, duration: float) -> Load:
    """Open loop: one post every 1/rate seconds, whatever the answers take (at most 50 open)."""
    load = Load()
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        tasks = []
        for n in range(int(rate * duration)):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(http, base, make(), load)))
        await asyncio.gather(*tasks)
        load.seconds = time.perf_counter() - started
    return load


# --- the database ------------------------------------------------------------------------------


async def prepare_database(kind: str, postgres: str, folder: Path, people: int) -> str:
    """A fresh database with ``people`` participants, each with a number and a linked chat."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'los.db'}"
    else:
        url = postgres
        name = make_url(url).database
        admin = create_engine(
            make_url(url).set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": url}
    migrate = [sys.executable, "-m", "bot", "migrate"]
    await asyncio.to_thread(subprocess.run, migrate, env=env, check=True, capture_output=True)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        site_id = await conn.scalar(
            insert(Site)
            .values(
                name="Bench",
                timezone="Europe/Oslo",
                opening_hours={},
                default_reminders=[],
                created_at=now,
            )
            .returning(Site.id)
        )
        for start in range(0, people, 5000):
            block = range(start, min(start + 5000, people))
            ids = list(
                await conn.scalars(
                    insert(Person).returning(Person.id, sort_by_parameter_order=True),
                    [
                        {
                            "site_id": site_id,
                            "name": f"Deltaker {n}",
                            "language": "nb",
                            "status": "active",
                            "created_at": now,
                        }
                        for n in block
                    ],
                )
            )
            await conn.execute(
                insert(PersonRole), [{"person_id": i, "role": "participant"} for i in ids]
            )
            await conn.execute(
                insert(ContactPoint),
                [
                    {"person_id": i, "channel": channel, "address": address, "created_at": now}
                    for i, n in zip(ids, block, strict=True)
                    for channel, address in (("sms", phone(n)), ("telegram", str(chat(n))))
                ],
            )
    await engine.dispose()
    return url


async def vacuum(url: str) -> None:
    """On PostgreSQL, what autovacuum would do: this machine's server runs without it, and the
    planner then kept the empty tables' statistics (it scanned all of ``messages`` to read a
    batch) while every round's dead rows stayed."""
    if is_sqlite(url):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


@dataclass
class Routed:
    stored: int
    routed: int
    duplicates: int
    answers: int
    rate: float
    gap_p50: float
    gap_p99: float


async def routed_of(url: str, provider_ids: list[str], since: datetime, wait: float) -> Routed:
    """How the texts with these provider ids were stored and routed (waits for routing)."""
    engine = create_engine(url)
    ids = set(provider_ids)
    try:
        deadline = time.monotonic() + wait
        while True:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(Message.provider_id, Message.created_at, Message.processed_at).where(
                            Message.direction == "in", Message.created_at >= since
                        )
                    )
                ).all()
            mine = [r for r in rows if r.provider_id in ids]
            if all(r.processed_at is not None for r in mine) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        async with engine.connect() as conn:
            answers = await conn.scalar(
                select(func.count()).where(Message.direction == "out", Message.created_at >= since)
            )
    finally:
        await engine.dispose()
    done = [r for r in mine if r.processed_at is not None]
    gaps = sorted((r.processed_at - r.created_at).total_seconds() for r in done)
    # From the first text routed to the last: N texts routed at a steady rate r span (N - 1) / r.
    # (Counting from the first stored, a flow that was routed as it came read as 197 a second at
    # 200: the fence post and the last text's own gap.)
    routed_at = [r.processed_at for r in done]
    span = (max(routed_at) - min(routed_at)).total_seconds() if len(done) > 1 else 0.0

    def pct(p: float) -> float:
        return gaps[min(len(gaps) - 1, int(p / 100 * len(gaps)))] * 1000 if gaps else float("nan")

    return Routed(
        stored=len({r.provider_id for r in mine}),
        routed=len(done),
        duplicates=len(mine) - len({r.provider_id for r in mine}),
        answers=int(answers or 0),
        rate=(len(done) - 1) / span if span else 0.0,
        gap_p50=pct(50),
        gap_p99=pct(99),
    )


# --- processes ---------------------------------------------------------------------------------


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"{url} exited:\n{tail(log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as resp:
                    if resp.status < 500:
                        return
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not start:\n{tail(log)}")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Figures:
    bare: list[Load] = field(default_factory=list)
    los: list[Load] = field(default_factory=list)
    half: list[Load] = field(default_factory=list)
    drained: list[Routed] = field(default_factory=list)  # the full-load texts, routed after
    routed: list[Routed] = field(default_factory=list)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def bench_database(kind: str, opts: argparse.Namespace, folder: Path) -> dict[str, Figures]:
    per_run = int(opts.expect_rate * opts.duration)
    runs = opts.rounds * 2 * 3  # rounds x paths x (full, half, routing)
    people = min(per_run * runs, 60_000)
    url = await prepare_database(kind, opts.postgres, folder, people)
    senders = senders_of(people)
    ready_file = folder / "fakes.json"
    py = [sys.executable, "-m", "bench.inbound"]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}
    base_env["PYTHONPATH"] = str(REPO)
    with process([*py, "--serve-fakes", str(ready_file)], base_env, folder / "fakes.log") as fakes:
        for _ in range(300):
            if ready_file.exists() or fakes.poll() is not None:
                break
            await asyncio.sleep(0.1)
        apis = json.loads(ready_file.read_text())
        bare_port, los_port = free_port(), free_port()
        los_url = f"http://127.0.0.1:{los_port}"
        bare_url = f"http://127.0.0.1:{bare_port}"
        workers = opts.workers if kind == "postgresql" else 1
        los_env = {
            **base_env,
            "DATABASE_URL": url,
            "HOST": "127.0.0.1",
            "PORT": str(los_port),
            "PUBLIC_URL": los_url,
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM": FROM,
            "TWILIO_API_URL": apis["twilio"],
            "TWILIO_PER_SECOND": "1000",
            "TELEGRAM_BOT_TOKEN": "123456:BENCH",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_URL": apis["telegram"],
            "QUIET_HOURS": "off",
            "LOS_UVLOOP": "0" if opts.no_uvloop else "1",
            "LOS_SPOOL_PATH": str(folder / "spool.jsonl"),
            "LOS_BACKUP_DIR": "off",
        }
        los_args = [sys.executable, "-m", "bot", "serve", "--workers", str(workers)]
        with (
            process([*py, "--serve-bare", str(bare_port)], base_env, folder / "bare.log") as bare,
            process(los_args, los_env, folder / "los.log") as los,
        ):
            await until_up(f"{bare_url}/", bare, folder / "bare.log")
            await until_up(f"{los_url}/healthz", los, folder / "los.log")
            await asyncio.sleep(2)  # the dispatcher and jobs have started
            figures: dict[str, Figures] = {}
            tags = itertools.count(1)
            for round_ in range(opts.rounds):
                for path in PATHS:
                    got = figures.setdefault(path, Figures())

                    ceiling = Requests(path, bare_url, str(next(tags)), senders_of(None)).next
                    got.bare.append(await full_load(bare_url, ceiling, opts.duration))
                    await vacuum(url)
                    requests = Requests(path, los_url, str(next(tags)), senders)
                    since = datetime.now(UTC)
                    full = await full_load(los_url, requests.next, opts.duration)
                    got.los.append(full)
                    check = await routed_of(url, requests.provider_ids, since, 300)
                    assert check.duplicates == 0 and check.stored == full.sent, (check, full)
                    got.drained.append(check)
                    half_rate = max(min(opts.webhook_goal[kind], full.rate) / 2, 1)
                    await vacuum(url)
                    requests = Requests(path, los_url, str(next(tags)), senders)
                    since = datetime.now(UTC)
                    got.half.append(
                        await fixed_rate(los_url, requests.next, half_rate, opts.duration)
                    )
                    # routing starts from nothing queued: the half-load texts are routed first
                    await routed_of(url, requests.provider_ids, since, 300)
                    await vacuum(url)
                    await asyncio.sleep(1)
                    requests = Requests(path, los_url, str(next(tags)), senders)
                    since = datetime.now(UTC)
                    rate = min(opts.route_rate[kind], half_rate)  # what Los can take here
                    flow = await fixed_rate(los_url, requests.next, rate, opts.duration)
                    routed = await routed_of(url, requests.provider_ids, since, 300)
                    assert routed.duplicates == 0 and routed.stored == flow.sent, (routed, flow)
                    got.routed.append(routed)
                    print(
                        f"  {kind} {path} round {round_ + 1}: bare {got.bare[-1].rate:,.0f}/s, "
                        f"Los {full.rate:,.0f}/s (p50 {full.percentile(50):.1f} ms), "
                        f"at {half_rate:,.0f}/s p99 {got.half[-1].percentile(99):.1f} ms, "
                        "full-load texts routed at "
                        f"{check.rate:,.0f}/s; at {rate:,.0f}/s routed {routed.routed}/{flow.sent}"
                        f" at {routed.rate:,.0f}/s, gap p99 {routed.gap_p99:.0f} ms, "
                        f"answers {routed.answers}",
                        flush=True,
                    )
    return figures


def report(kind: str, figures: dict[str, Figures], workers: int) -> None:
    processes = f"{workers} processes" if kind == "postgresql" and workers > 1 else "1 process"
    print(f"\n{kind} (Los: {processes})")
    print(
        "| path | bare aiohttp | Los | ratio | Los p50 / p99 | at half the goal: p50 / p99 | "
        "routed/s after full load | routed/s at a fixed rate | gap p50 / p99 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path, got in figures.items():
        bare = median([x.rate for x in got.bare])
        los = median([x.rate for x in got.los])
        print(
            f"| {path} | {bare:,.0f}/s | {los:,.0f}/s | {los / bare:.0%} | "
            f"{median([x.percentile(50) for x in got.los]):.1f} / "
            f"{median([x.percentile(99) for x in got.los]):.1f} ms | "
            f"{median([x.percentile(50) for x in got.half]):.1f} / "
            f"{median([x.percentile(99) for x in got.half]):.1f} ms | "
            f"{median([r.rate for r in got.drained]):,.0f} | "
            f"{median([r.rate for r in got.routed]):,.0f} | "
            f"{median([r.gap_p50 for r in got.routed]):.0f} / "
            f"{median([r.gap_p99 for r in got.routed]):.0f} ms |"
        )


async def main(opts: argparse.Namespace) -> None:
    for kind in opts.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="los-bench-inbound-") as folder:
            figures = await bench_database(kind, opts, Path(folder))
        report(kind, figures, opts.workers)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=2, help="Los processes on PostgreSQL")
    parser.add_argument("--no-uvloop", action="store_true", help="LOS_UVLOOP=0 for Los")
    parser.add_argument(
        "--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/los_bench_inbound"
    )
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-fakes", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.rounds, opts.duration = 1, 3.0
    opts.route_rate = {"sqlite": 200.0, "postgresql": 500.0}
    opts.webhook_goal = {"sqlite": 1000.0, "postgresql": 2000.0}
    opts.expect_rate = 2500.0  # senders to have ready per measured second
    return opts


if __name__ == "__main__":
    options = parse()
    if options.serve_bare:
        serve_bare(options.serve_bare)
    elif options.serve_fakes:
        serve_fakes(options.serve_fakes)
    else:
        asyncio.run(main(options))
