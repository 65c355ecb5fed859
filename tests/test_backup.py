"""Backups and restores: a backup taken under traffic restores every acknowledged text and sends
nothing twice; restored queued texts are held until an admin decides; the nightly job keeps
7 daily and 4 weekly copies readable by the owner only."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.backup import (
    BackupError,
    backup,
    list_backups,
    nightly,
    restore_postgres,
    restore_sqlite,
    sqlite_path,
    to_keep,
)
from bot.restore import hold_restored
from bot.service import Los
from storage.db import create_engine, is_sqlite
from storage.models import Message
from tests import databases, harness
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def text_in(h: Harness, n: int) -> str:
    """An unknown number texts Los; the webhook's 200 is the acknowledgement. Not sent on."""
    sid = f"SMtraffic{n:05d}"
    params = {
        "From": f"+4792{n:06d}",
        "To": TWILIO_FROM,
        "Body": f"melding {n}",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
    }
    resp = await h.twilio_post("/webhooks/twilio/sms", params)
    assert resp.status == 200
    return sid


async def empty_pg_database() -> str:
    admin = create_engine(databases.POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"los_restore_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return (
        make_url(databases.POSTGRES_ADMIN_URL)
        .set(database=name)
        .render_as_string(hide_password=False)
    )


async def restore_into_new(h: Harness, copy: Path, tmp_path: Path) -> str:
    """Restore ``copy`` into a new database as ``los restore`` does; returns its URL."""
    if is_sqlite(h.los.settings.database_url):
        target = tmp_path / "restored" / "los.db"
        restore_sqlite(copy, target)
        url = f"sqlite+aiosqlite:///{target}"
    else:
        url = await empty_pg_database()
        await asyncio.to_thread(restore_postgres, copy, url)
    await hold_restored(url)
    return url


async def test_a_backup_under_traffic_restores_every_acknowledged_text_and_sends_nothing_twice(
    h: Harness, tmp_path: Path
) -> None:
    url = h.los.settings.database_url
    for n in range(5):  # some answered and sent before
        await text_in(h, n)
    await h.send_due()
    sent_before = len(h.twilio.sent)
    acknowledged: list[str] = []
    stop, flowing = asyncio.Event(), asyncio.Event()

    async def traffic() -> None:
        n = 100
        while not stop.is_set():
            acknowledged.append(await text_in(h, n))
            n += 1
            if n >= 105:
                flowing.set()

    running = asyncio.create_task(traffic())
    await asyncio.wait_for(flowing.wait(), 30)
    before_backup = list(acknowledged)
    copy = tmp_path / ("copy.db" if is_sqlite(url) else "copy.dump")
    made = await asyncio.to_thread(backup, url, copy)
    stop.set()
    await running
    assert mode(made.path) == 0o600

    restored = await restore_into_new(h, copy, tmp_path)
    los = Los(harness.test_settings(restored, h.twilio.url, h.telegram.url), clock=h.clock)
    try:
        await los.prepare()
        async with los.sessions() as session:
            sids = set(
                await session.scalars(select(Message.provider_id).where(Message.direction == "in"))
            )
            statuses = dict(
                (
                    await session.execute(
                        select(Message.status, func.count())
                        .where(Message.direction == "out")
                        .group_by(Message.status)
                    )
                ).all()
            )
        missing = [sid for sid in before_backup if sid not in sids]
        assert not missing, f"acknowledged before the backup but not in it: {missing}"
        assert statuses.get("held", 0) >= len(before_backup), "their answers wait, held"
        assert "queued" not in statuses and "sending" not in statuses
        await los.dispatcher.drain()
        assert len(h.twilio.sent) == sent_before, "a restore sends nothing by itself"
    finally:
        await los.close(grace=0)
        if not is_sqlite(restored):
            databases.drop_pg_database(restored)


async def test_held_texts_are_released_or_cancelled_by_an_admin(h: Harness) -> None:
    person = await h.person("Ola", phone="+4791234567")
    await h.api(
        "POST",
        "/api/appointments",
        {"person_id": person["id"], "starts_at": "2026-03-05T10:00:00", "title": "Avtale"},
        expect=201,
    )
    await text_in(h, 1)  # an answer due now
    async with h.session() as session:
        from handlers.ops import hold_outbox

        held = await hold_outbox(session)
    assert held >= 3
    listed = (await h.api("GET", "/api/ops/held", expect=200))["items"]
    assert len(listed) == held and "text" not in listed[0]
    await h.api("POST", "/api/ops/held/release", {"all": True, "bogus": 1}, expect=422)
    await h.api("POST", "/api/ops/held/release", {}, expect=422)
    future = await h.api("POST", "/api/ops/held/release", {"all": True, "future_only": True})
    assert future["released"] == 2, "the two reminders for Thursday go out when due"
    cancelled = await h.api("POST", "/api/ops/held/cancel", {"all": True}, expect=200)
    assert cancelled["cancelled"] == held - 2
    await h.send_due()
    assert h.twilio.sent == [], "the reminders wait for their time; the old answer is cancelled"


def test_restore_refuses_a_database_in_use_and_keeps_the_old_one(tmp_path: Path) -> None:
    import sqlite3

    live = tmp_path / "los.db"
    sqlite3.connect(live).execute("CREATE TABLE t (x)").connection.commit()
    copy = tmp_path / "copy.db"
    sqlite3.connect(copy).execute("CREATE TABLE copied (x)").connection.commit()
    (tmp_path / "los.db-wal").write_bytes(b"x")
    with pytest.raises(BackupError, match="stop Los first"):
        restore_sqlite(copy, live)
    kept = restore_sqlite(copy, live, force=True)
    assert kept is not None and mode(kept) == 0o600
    tables = sqlite3.connect(live).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("copied",)]
    (tmp_path / "bad.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore_sqlite(tmp_path / "bad.db", live)


def test_seven_daily_and_four_weekly_are_kept() -> None:
    days = [date(2026, 3, 31) - timedelta(days=n) for n in range(60)]
    keep = to_keep(days)
    newest = sorted(keep, reverse=True)
    assert newest[:7] == days[:7]
    assert len(keep) == 11
    weeks = {d.isocalendar()[:2] for d in newest[7:]}
    assert len(weeks) == 4


def test_the_nightly_backup_is_taken_once_a_day_and_pruned(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "los.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    url = f"sqlite+aiosqlite:///{db}"
    folder = tmp_path / "backups"
    start = date(2026, 1, 1)
    for n in range(40):
        assert nightly(url, folder, start + timedelta(days=n)) is not None
    assert nightly(url, folder, start + timedelta(days=39)) is None, "once a day"
    files = list_backups(folder)
    assert len(files) == 11
    assert all(mode(b.path) == 0o600 for b in files)


def los_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_los_backup_and_restore_commands(tmp_path: Path) -> None:
    db = tmp_path / "los.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    assert los_cli("migrate", **env).returncode == 0
    made = los_cli("backup", str(tmp_path / "b.db"), **env)
    assert made.returncode == 0, made.stderr
    assert mode(tmp_path / "b.db") == 0o600
    restored = los_cli("restore", str(tmp_path / "b.db"), **env)
    assert restored.returncode == 0, restored.stderr
    assert "0 texts that were waiting are held" in restored.stdout
    assert sqlite_path(env["DATABASE_URL"]).exists()
    default = los_cli("backup", **env)
    assert default.returncode == 0 and "backups/los-manual-" in default.stdout
    missing = los_cli(
        "backup",
        str(tmp_path / "x.db"),
        DATABASE_URL="sqlite+aiosqlite:///" + str(tmp_path / "none.db"),
    )
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_without_pg_dump_backup_says_what_to_run(tmp_path: Path) -> None:
    result = los_cli(
        "backup",
        str(tmp_path / "x.dump"),
        DATABASE_URL="postgresql+asyncpg://los:secret@db.example/los",
        PATH="/nonexistent",
    )
    assert result.returncode == 1
    assert "pg_dump is not on the PATH; run: pg_dump -Fc" in result.stderr
    assert "secret" not in result.stderr


async def test_the_nightly_job_backs_up_sqlite_and_admins_and_metrics_see_it(
    h: Harness, tmp_path: Path
) -> None:
    from bot.nightly import nightly_backup_task

    h.los.settings.los_backup_dir = str(tmp_path / "nightly")
    task = nightly_backup_task(h.los)
    if not is_sqlite(h.los.settings.database_url):
        assert task is None, "PostgreSQL is backed up with pg_dump, outside Los"
        return
    assert task is not None
    assert await h.los.scheduler.run_task("backup", task) == 1
    assert await h.los.scheduler.run_task("backup", task) == 0, "once a day"
    ops = await h.api("GET", "/api/ops", expect=200)
    assert ops["backups"]["last_success"] is not None
    assert [f["name"] for f in ops["backups"]["files"]] == ["los-2026-03-02.db"]
    metrics = await (await h.client.get("/metrics")).text()
    assert "los_backup_last_success_timestamp_seconds 0.0" not in metrics
    h.los.settings.los_backup_dir = "off"
    assert nightly_backup_task(h.los) is None
