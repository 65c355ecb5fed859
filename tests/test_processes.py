"""Real ``los serve`` processes: killed mid-broadcast, and two sharing one PostgreSQL database.

Each process talks to a FakeTwilio running in this test process. Every wait is bounded, every
process is killed in a ``finally``, and each process's output goes to a log file under the
test's tmp_path (its tail is shown when an assertion fails).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from handlers.people import create_person
from handlers.sites import default_site
from storage.db import create_engine, session_factory
from storage.models import Message
from tests import databases
from tests.fakes.twilio_api import FakeTwilio

REPO = Path(__file__).resolve().parent.parent
LOS = [sys.executable, "-m", "bot"]
# Deadlines and a send rate measured on the wall clock: `make test` runs these after the
# parallel run, alone, so another worker's tests do not take the cores they are timed on.
pytestmark = pytest.mark.realtime

RECIPIENTS = 300
WAIT = 60.0
TEXT = "Kino fredag kl. 18 i kafeen. Velkommen!"
TWILIO_SID = "AC" + "1" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def phone(n: int) -> str:
    return f"+4791{n:06d}"


class Service:
    """One ``los serve`` subprocess."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port), "PUBLIC_URL": self.url}
        self.log_path = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*LOS, "serve"],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return f"--- {self.name} log ---\n" + "\n".join(text[-lines:])

    async def ready(self, http: aiohttp.ClientSession) -> None:
        for _ in range(int(WAIT / 0.1)):
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                async with http.get(f"{self.url}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        pytest.fail(f"{self.name} not ready within {WAIT} s\n{self.log_tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def base_env(database_url: str, twilio: FakeTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN="process-test-token",
        TWILIO_FROM="+4759440000",
        TWILIO_API_URL=twilio.url,
        TWILIO_PER_SECOND="100",
        LOS_FAKE_CLOCK="1",
        QUIET_HOURS="off",
        LOS_SPOOL_PATH=str(Path(tempfile.mkdtemp(prefix="los-spool-")) / "inbound.jsonl"),
    )
    return env


async def staff_token(env: dict[str, str]) -> str:
    """``los staff add``; the token is the last line it prints. Also migrates the database."""
    done = await asyncio.to_thread(
        subprocess.run,
        [*LOS, "staff", "add", "--name", "Prøve", "--email", "p@los.test", "--role", "admin"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=WAIT,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode().strip().splitlines()[-1]


async def api(
    http: aiohttp.ClientSession, service: Service, token: str, method: str, path: str, body: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.request(method, service.url + path, json=body, headers=headers) as resp:
        answer = await resp.json()
        assert resp.status < 300, f"{method} {path} -> {resp.status}: {answer}"
        return answer


async def add_people(database_url: str) -> None:
    """The recipients, written straight to the database (the staff API is not under test)."""
    engine = create_engine(database_url)
    clock = SystemClock()
    try:
        async with session_factory(engine).begin() as session:
            site = await default_site(session)
            assert site is not None
            for n in range(RECIPIENTS):
                await create_person(
                    session,
                    clock,
                    site_id=site.id,
                    name=f"Deltaker {n}",
                    roles=["participant"],
                    phone=phone(n),
                )
    finally:
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], what: str, logs: str = "") -> None:
    for _ in range(int(WAIT / 0.2)):
        if await check():
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"not within {WAIT} s: {what}\n{logs}")


def assert_each_got_exactly_one(twilio: FakeTwilio) -> None:
    counts = Counter(m["To"] for m in twilio.sent if m["Body"] == TEXT)
    missing = [phone(n) for n in range(RECIPIENTS) if counts[phone(n)] == 0]
    twice = {number: n for number, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} never got it, e.g. {missing[:3]}"
    assert not twice, f"{len(twice)} got it more than once: {list(twice.items())[:5]}"
    assert len(counts) == RECIPIENTS


async def all_settled(http: aiohttp.ClientSession, service: Service, token: str, bid: int) -> bool:
    progress = await api(http, service, token, "GET", f"/api/broadcasts/{bid}", None)
    return bool(progress["queued"] == 0 and progress["sent"] == RECIPIENTS)


@pytest.fixture
async def slow_twilio() -> AsyncIterator[FakeTwilio]:
    server = FakeTwilio(delay=0.01)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def pg_url() -> Any:
    url, why = databases.create_pg_database()
    if url is None:
        if databases.REQUIRE_POSTGRES:
            pytest.fail(why)
        pytest.skip(why)
    yield url
    databases.drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'los.db'}"
    return str(request.getfixturevalue("pg_url"))


async def test_sigkill_mid_broadcast_then_restart_sends_each_exactly_once(
    fresh_database: str, slow_twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio = slow_twilio
    env = base_env(fresh_database, twilio)
    token = await staff_token(env)
    await add_people(fresh_database)
    first = Service("first", env, tmp_path)
    second = Service("after-restart", env, tmp_path)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            first.start()
            await first.ready(http)
            body = {"text": TEXT, "audience": {"roles": ["participant"]}}
            broadcast = await api(http, first, token, "POST", "/api/broadcasts", body)
            assert broadcast["recipients"] == RECIPIENTS

            reached = await twilio.wait_until(lambda: len(twilio.sent) >= 60, within=WAIT)
            assert reached, first.log_tail()
            first.kill()
            killed = time.monotonic()
            at_kill = len(twilio.sent)
            assert at_kill < RECIPIENTS, "the broadcast finished before the kill; slow it down"

            second.start()
            await second.ready(http)
            # No clock moved: the dead process's claims are taken over once its heartbeat is
            # 30 s old, not after the lease.
            await eventually(
                lambda: all_settled(http, second, token, broadcast["id"]),
                "every recipient settled as sent",
                second.log_tail(),
            )
            took = time.monotonic() - killed
        assert_each_got_exactly_one(twilio)
        assert took <= 45, f"everything was sent {took:.0f} s after the kill"
        log = second.log_path.read_text(errors="replace")
        left = log.count("was left sending by")
        found = log.count("the provider has it")
        assert left > 0, "the kill left no row `sending`: the recovery path was not exercised"
        print(
            f"killed after {at_kill} of {RECIPIENTS}; {left} rows were left sending, "
            f"{found} of them found at the provider; each got it exactly once, "
            f"all sent {took:.0f} s after the kill"
        )
    finally:
        first.kill()
        second.kill()


async def claims_by_worker(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(Message.claimed_by, func.count())
                .where(Message.direction == "out", Message.status == "sent")
                .group_by(Message.claimed_by)
            )
            return {str(worker): int(n) for worker, n in rows.all()}
    finally:
        await engine.dispose()


SHARED_RATE = 20


def busiest_second(twilio: FakeTwilio) -> int:
    """The most texts the fake received in one whole second."""
    return max(Counter(int(m["date_created"].timestamp()) for m in twilio.sent).values())


async def test_two_processes_share_one_postgresql_broadcast_exactly_once_at_one_rate(
    pg_url: str, slow_twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio = slow_twilio
    env = {**base_env(pg_url, twilio), "TWILIO_PER_SECOND": str(SHARED_RATE)}
    token = await staff_token(env)  # migrates and creates the site before both start
    await add_people(pg_url)
    one = Service("one", env, tmp_path)
    two = Service("two", env, tmp_path)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            one.start()
            two.start()
            await one.ready(http)
            await two.ready(http)
            # Each fake clock stands still from its process's start: set both to one time so
            # that the broadcast is due for both.
            now = {"set": datetime.now(UTC).isoformat()}
            for service in (one, two):
                await api(http, service, token, "POST", "/api/dev/clock", now)
            body = {"text": TEXT, "audience": {"roles": ["participant"]}}
            broadcast = await api(http, one, token, "POST", "/api/broadcasts", body)
            assert broadcast["recipients"] == RECIPIENTS
            await eventually(
                lambda: all_settled(http, one, token, broadcast["id"]),
                "every recipient settled as sent",
                one.log_tail() + "\n" + two.log_tail(),
            )
        assert_each_got_exactly_one(twilio)
        split = await claims_by_worker(pg_url)
        assert sum(split.values()) == RECIPIENTS
        # Both usually send some; one sending all would still be correct, so it is reported.
        print(f"split between the two processes: {sorted(split.values(), reverse=True)}")
        # Together, one provider rate: never two processes' worth in a second.
        stamps = sorted(m["date_created"] for m in twilio.sent)
        spread = (stamps[-1] - stamps[0]).total_seconds()
        print(f"busiest second {busiest_second(twilio)}; {RECIPIENTS} texts in {spread:.1f} s")
        # A slot may be used up to LATE_SLOTS late (scheduler/ratelimit.py), and the fake stamps
        # a text when its own loop, on the same two cores, gets to it: a calendar second can
        # hold more than the rate (up to 30 seen on a slow day, with the code of before issue
        # 17's fourth round too), never two processes' worth; the spread below holds the
        # average to the rate.
        assert busiest_second(twilio) < 2 * SHARED_RATE
        assert spread >= 0.9 * (RECIPIENTS - 1) / SHARED_RATE
    finally:
        one.kill()
        two.kill()
