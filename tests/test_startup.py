"""Starting and stopping ``los serve``: every start-up failure is one line and exit 2, warnings
for settings that are probably wrong, ``migrate --check``, and SIGTERM with a slow provider ends
within the grace period with exit 0, sending nothing twice after the restart."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, text

from bot.clock import SystemClock
from bot.config import Settings
from bot.service import AUTOVACUUM_OFF, Los
from handlers.people import create_person
from handlers.sites import default_site
from storage.db import create_engine, session_factory
from storage.models import Message
from tests.fakes.twilio_api import FakeTwilio
from tests.test_processes import Service, api, base_env, eventually, free_port, staff_token

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 20
TEXT = "Husmøte i morgen kl. 12. Velkommen!"


def los(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    return lines[-1]


def test_a_database_that_never_comes_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"postgresql+asyncpg://los:pw@127.0.0.1:{free_port()}/los",
        "LOS_DB_WAIT": "1.5",
    }
    started = time.monotonic()
    result = los("serve", env=env)
    assert result.returncode == 2
    line = last_line(result)
    assert line.startswith("database unreachable after 2 s") or "unreachable after" in line
    assert "DATABASE_URL" in line and "pw" not in result.stderr
    assert time.monotonic() - started < 30
    assert len(result.stderr.strip().splitlines()) <= 2  # "waiting ..." and the verdict


def test_json_logs_make_even_the_failure_a_json_line(tmp_path: Path) -> None:
    import json

    env = {
        "DATABASE_URL": f"postgresql+asyncpg://los:pw@127.0.0.1:{free_port()}/los",
        "LOS_DB_WAIT": "0.5",
        "LOS_LOG_FORMAT": "json",
    }
    result = los("serve", env=env)
    assert result.returncode == 2
    entries = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert entries[-1]["level"] == "CRITICAL"
    assert entries[-1]["message"].startswith("database unreachable after")


def test_port_in_use_bad_host_and_bad_setting_are_one_line_each(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'los.db'}"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = los("serve", env={**db, "PORT": port})
    assert busy.returncode == 2
    assert last_line(busy) == f"cannot listen on 127.0.0.1:{port}: the port is in use (PORT)"
    bad_host = los("serve", env={**db, "HOST": "no-such-host.invalid", "PORT": str(free_port())})
    assert bad_host.returncode == 2 and last_line(bad_host).endswith("(HOST)")
    bad = los("serve", env={**db, "LOS_SHUTDOWN_GRACE": "soon"})
    assert bad.returncode == 2
    assert last_line(bad).startswith("bad setting LOS_SHUTDOWN_GRACE")


def test_migrate_check_and_a_schema_newer_than_the_code(tmp_path: Path) -> None:
    path = tmp_path / "los.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    fresh = los("migrate", "--check", env=env)
    assert fresh.returncode == 1
    assert "would run: 0001 0002" in fresh.stdout
    assert not path.exists() or los("migrate", env=env).returncode == 0
    assert los("migrate", env=env).returncode == 0
    done = los("migrate", "--check", env=env)
    assert done.returncode == 0 and "newest schema" in done.stdout
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    refused = los("serve", env={**env, "PORT": str(free_port())})
    assert refused.returncode == 2
    assert "9999, newer than this version of Los knows" in last_line(refused)
    assert los("migrate", "--check", env=env).returncode == 2


def test_settings_that_are_probably_wrong_are_warned_about() -> None:
    twilio: dict[str, Any] = {
        "twilio_account_sid": "AC1",
        "twilio_auth_token": "t",
        "twilio_from": "+4759440000",
    }
    loopback = Settings(host="0.0.0.0", public_url="http://localhost:8080", **twilio)
    assert any("loopback" in w for w in loopback.warnings())
    plain = Settings(host="0.0.0.0", public_url="http://los.example.org", **twilio)
    assert any("plain http" in w for w in plain.warnings())
    fine = Settings(host="0.0.0.0", public_url="https://los.example.org", **twilio)
    assert fine.warnings() == []
    odd = Settings(
        public_url="https://los.example.org",
        los_fake_clock=True,
        telegram_bot_token="1:x",
        telegram_webhook_secret="short",
        twilio_account_sid="AC1",
        twilio_auth_token="t",
        twilio_from="Los",
    )
    assert len(odd.warnings()) == 3
    assert Settings().warnings() == []


async def add_people(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine).begin() as session:
            site = await default_site(session)
            assert site is not None
            for n in range(PEOPLE):
                await create_person(
                    session,
                    SystemClock(),
                    site_id=site.id,
                    name=f"Deltaker {n}",
                    roles=["participant"],
                    phone=f"+4793{n:06d}",
                )
    finally:
        await engine.dispose()


async def sending_rows(database_url: str) -> list[Message]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(select(Message).where(Message.status == "sending")))
    finally:
        await engine.dispose()


@pytest.fixture
async def slow_twilio():
    server = FakeTwilio(delay=3.0)
    await server.start()
    yield server
    await server.stop()


@pytest.mark.realtime  # the grace is timed on the wall clock: run alone (see pyproject.toml)
async def test_sigterm_with_a_slow_provider_exits_0_within_the_grace_and_sends_once(
    slow_twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio = slow_twilio
    url = f"sqlite+aiosqlite:///{tmp_path / 'los.db'}"
    env = {**base_env(url, twilio), "LOS_SHUTDOWN_GRACE": "1"}
    token = await staff_token(env)
    await add_people(url)
    first = Service("first", env, tmp_path)
    second = Service("second", env, tmp_path)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            first.start()
            await first.ready(http)
            body = {"text": TEXT, "audience": {"roles": ["participant"]}}
            await api(http, first, token, "POST", "/api/broadcasts", body)
            await eventually(lambda: asyncio.sleep(0.05, twilio.requests > 0), "a send began")
            assert first.proc is not None
            stopped = time.monotonic()
            first.proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(first.proc.wait, 30)
            took = time.monotonic() - stopped
            log = first.log_path.read_text()
            assert code == 0, log
            assert took < 1 + 5, f"took {took:.1f} s"
            assert "Traceback" not in log, log
            assert "unfinished" in log, "texts in the provider's hands were marked"
            # The slow provider still takes what it was handed.
            await eventually(
                lambda: asyncio.sleep(0, len(twilio.sent) == twilio.requests), "provider done"
            )
            in_hand = await sending_rows(url)
            assert in_hand, "the texts in hand were left for recovery"

            twilio.delay = 0
            second.start()
            await second.ready(http)
            await api(http, second, token, "POST", "/api/dev/clock", {"advance_seconds": 1})

            async def all_sent() -> bool:
                return len({m["To"] for m in twilio.sent}) == PEOPLE

            await eventually(all_sent, "every person got the text", second.log_tail())
        counts = Counter(m["To"] for m in twilio.sent if m["Body"] == TEXT)
        assert len(counts) == PEOPLE and set(counts.values()) == {1}, counts
    finally:
        first.kill()
        second.kill()


class RoleService(Service):
    """``los serve --role ROLE``."""

    def __init__(self, role: str, env: dict[str, str], logs: Path) -> None:
        super().__init__(role, env, logs)
        self.role = role

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--role", self.role],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )


async def test_web_and_worker_processes_split_the_work(tmp_path: Path) -> None:
    twilio = FakeTwilio()
    await twilio.start()
    url = f"sqlite+aiosqlite:///{tmp_path / 'los.db'}"
    env = {**base_env(url, twilio), "LOS_FAKE_CLOCK": "0"}  # two processes, one real time
    token = await staff_token(env)
    await add_people(url)
    web, worker = RoleService("web", env, tmp_path), RoleService("worker", env, tmp_path)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            web.start()
            worker.start()
            await web.ready(http)
            await worker.ready(http)
            headers = {"Authorization": f"Bearer {token}"}
            async with http.get(f"{worker.url}/api/ops", headers=headers) as resp:
                assert resp.status == 404, "a worker answers health and metrics only"
            body = {"text": TEXT, "audience": {"roles": ["participant"]}}
            await api(http, web, token, "POST", "/api/broadcasts", body)

            async def all_sent() -> bool:
                return len({m["To"] for m in twilio.sent}) == PEOPLE

            await eventually(
                all_sent, "the worker sent what the web process queued", worker.log_tail()
            )
            ops = await api(http, web, token, "GET", "/api/ops", None)
            assert ops["role"] == "web"
            backup = next(j for j in ops["jobs"] if j["job"] == "backup")
            assert backup["last_success"], "the worker's nightly backup, seen from the web process"
            assert "dispatcher" not in ops["readiness"], "the web process sends nothing"
    finally:
        web.kill()
        worker.kill()
        await twilio.stop()


async def test_start_up_warns_when_postgresql_runs_without_autovacuum(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    los = Los(Settings(database_url=database_url), channels=[])
    try:
        off = False
        if los.engine.dialect.name == "postgresql":  # this server's own setting, whichever it is
            async with los.engine.connect() as conn:
                setting = await conn.scalar(
                    text("SELECT setting FROM pg_settings WHERE name = 'autovacuum'")
                )
            off = setting == "off"
        with caplog.at_level(logging.WARNING, logger="bot.service"):
            await los.prepare()
    finally:
        await los.engine.dispose()
    assert (AUTOVACUUM_OFF in caplog.text) == off
