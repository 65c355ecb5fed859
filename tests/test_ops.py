"""What is stuck: GET /api/ops, a channel paused on wrong credentials, refused signatures,
/metrics and /readyz."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.staff_users import add_staff
from storage.models import InboxItem, Message
from tests.harness import Harness

PHONES = [f"+4791100{n:03d}" for n in range(3)]


async def broadcast_to_three(h: Harness, text: str = "Kino fredag kl. 18!") -> None:
    for n, phone in enumerate(PHONES):
        await h.person(f"Deltaker {n}", phone=phone)
    body = {"text": text, "audience": {"roles": ["participant"]}}
    await h.api("POST", "/api/broadcasts", body, expect=202)


async def out_by_status(h: Harness) -> dict[str, int]:
    async with h.session() as session:
        rows = await session.execute(
            select(Message.status, func.count())
            .where(Message.direction == "out", Message.kind == "broadcast")
            .group_by(Message.status)
        )
        return {status: int(n) for status, n in rows.all()}


async def test_ops_is_for_admins_only(h: Harness) -> None:
    async with h.session() as session:
        _, token = await add_staff(
            session, h.clock, name="Koord", email="k2@los.test", role="coordinator"
        )
    await h.api("GET", "/api/ops", token=token, expect=403)
    ops = await h.api("GET", "/api/ops", expect=200)
    assert set(ops) >= {"queue", "failed_24h", "oldest_queued_seconds", "jobs", "backups"}
    assert {j["job"] for j in ops["jobs"]} >= {"retention", "checkins_due", "recover_stale"}


async def test_wrong_credentials_pause_the_channel_once_and_it_resumes_when_fixed(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h.twilio.fail_next(401, 20003, times=20)
    caplog.set_level(logging.INFO)
    await broadcast_to_three(h)
    await h.send_due()

    assert await out_by_status(h) == {"queued": 3}, "nothing is burnt as failed"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "sending on sms" in errors[0].getMessage()
    async with h.session() as session:
        items = list(await session.scalars(select(InboxItem).where(InboxItem.urgent)))
    assert len(items) == 1 and "20003" in (items[0].summary or "")
    ops = await h.api("GET", "/api/ops", expect=200)
    assert ops["paused_channels"]["sms"]["code"] == "20003"
    assert [a["kind"] for a in ops["alerts"]] == ["provider_down"]
    assert ops["queue"]["queued"] == {"sms": 3}

    requests = h.twilio.requests
    await h.send_due()
    assert h.twilio.requests == requests, "nothing is tried while the channel is paused"
    await h.advance(seconds=31)  # the back-off has passed: one more try, still refused
    assert await out_by_status(h) == {"queued": 3}
    assert h.twilio.requests > requests

    h.twilio.failures.clear()  # the operator fixed the token
    await h.advance(seconds=61)
    assert await out_by_status(h) == {"sent": 3}
    assert sorted(m["To"] for m in h.twilio.sent) == PHONES
    assert (await h.api("GET", "/api/ops"))["paused_channels"] == {}
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert any("back after" in r.getMessage() for r in caplog.records)
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(InboxItem)) == 1


async def test_failures_are_counted_by_provider_code_with_their_meaning(h: Harness) -> None:
    h.twilio.fail_next(400, 21211, times=3)
    await broadcast_to_three(h)
    await h.send_due()
    ops = await h.api("GET", "/api/ops", expect=200)
    assert ops["failed_24h"] == [
        {"channel": "sms", "code": "21211", "meaning": "invalid phone number", "count": 3}
    ]
    assert not any(p in str(ops) for p in PHONES), "no number in the overview"


async def test_three_refused_signatures_make_one_item_naming_the_expected_url(
    h: Harness,
) -> None:
    params = {"From": PHONES[0], "To": "+4759440000", "Body": "hei", "MessageSid": "SMx"}
    for _ in range(4):
        resp = await h.twilio_post("/webhooks/twilio/sms", params, signature="wrong")
        assert resp.status == 403
    async with h.session() as session:
        items = list(await session.scalars(select(InboxItem)))
    assert len(items) == 1 and items[0].urgent
    assert "http://los.test/webhooks/twilio/sms" in (items[0].summary or "")
    ops = await h.api("GET", "/api/ops")
    assert {"channel": "sms", "status": 403, "count": 4} in ops["webhooks"]


async def test_metrics_come_from_the_database_and_only_to_loopback_or_token(h: Harness) -> None:
    h.twilio.fail_next(401, 20003, times=5)
    await broadcast_to_three(h)
    await h.send_due()
    resp = await h.client.get("/metrics")
    body = await resp.text()
    assert resp.status == 200
    assert 'los_outbox_texts{channel="sms",state="queued"} 3.0' in body
    assert 'los_channel_paused{channel="sms"} 1.0' in body
    assert 'los_people{status="active"} 3.0' in body
    assert "los_outbox_oldest_due_seconds" in body and "los_send_seconds_bucket" in body
    proxied = await h.client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status == 403
    h.los.settings.los_metrics_token = "metrics-secret"
    with_token = await h.client.get(
        "/metrics",
        headers={"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer metrics-secret"},
    )
    assert with_token.status == 200


async def test_readyz_is_503_on_a_full_disk_and_healthz_stays_up(h: Harness) -> None:
    if h.los.engine.dialect.name != "sqlite":
        pytest.skip("the disk check watches the SQLite file's folder")
    assert (await h.client.get("/readyz")).status == 200
    h.los.free_bytes = lambda path: 1024 * 1024  # 1 MiB left
    resp = await h.client.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["checks"]["disk_database"].startswith("full")
    assert (await h.client.get("/healthz")).status == 200


async def test_readyz_is_503_when_the_dispatcher_stopped(h: Harness) -> None:
    # Only the dispatcher's loop runs here: the periodic jobs would outlive the test.
    h.los._dispatch_task = asyncio.create_task(h.los.dispatcher.run_forever(h.los._stop))
    h.los.background_since = time.monotonic()
    try:
        await asyncio.sleep(0.2)  # one round of each lane
        assert (await h.client.get("/readyz")).status == 200
        # The loop stops (a hang looks the same from outside), and a minute passes.
        h.los._stop.set()
        await h.los._dispatch_task
        h.los.background_since -= 120
        assert h.los.dispatcher.last_run is not None
        h.los.dispatcher.last_run -= 120
        resp = await h.client.get("/readyz")
        assert resp.status == 503
        assert (await resp.json())["checks"]["dispatcher"] == "not running"
    finally:
        h.los._stop.set()
        await h.los._dispatch_task


def test_full_disk_is_read_from_the_file_system(tmp_path: Path) -> None:
    from bot.service import free_bytes

    assert free_bytes(tmp_path / "not" / "yet") > 0


@pytest.fixture
def small_disk(tmp_path: Path):
    """An 80 MiB tmpfs mounted for this test (needs root; skipped, saying so, without it)."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


async def test_readyz_goes_503_when_a_real_disk_fills(
    small_disk: Path, sqlite_template: Path, clock, twilio, telegram
) -> None:
    import shutil

    from tests.harness import running_harness, test_settings

    shutil.copy(sqlite_template, small_disk / "los.db")
    settings = test_settings(
        f"sqlite+aiosqlite:///{small_disk / 'los.db'}", twilio.url, telegram.url
    )
    async with running_harness(settings, clock, twilio, telegram) as h:
        assert (await h.client.get("/readyz")).status == 200
        (small_disk / "filler").write_bytes(b"\0" * (30 * 1024 * 1024))
        resp = await h.client.get("/readyz")
        assert resp.status == 503
        assert (await resp.json())["checks"]["disk_database"].startswith("full")


async def test_every_job_run_is_recorded_for_every_process_to_show(h: Harness) -> None:
    await h.advance(seconds=1)
    ops = await h.api("GET", "/api/ops", expect=200)
    retention = next(j for j in ops["jobs"] if j["job"] == "retention")
    assert retention["last_success"] == h.clock.now().isoformat()
    assert retention["worker"] == h.los.worker_id and retention["last_error"] is None
