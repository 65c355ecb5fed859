"""Logs an operator can read: plain or JSON lines, no number, text, token or calendar secret at
any level, and an outage is a few lines, not a traceback a second."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url

from bot.channels import inbound
from bot.logs import JsonFormatter, PlainFormatter, quieten, scrub
from scheduler import outage
from scheduler.outage import Outage
from tests import databases, harness
from tests.fakes.tcp_proxy import TcpProxy
from tests.harness import Harness

PHONE = "+4791234567"
SECRET_TEXTS = ("Jeg trenger hjelp med husleia", "sover ute i natt", "Hemmelig beskjed")


@pytest.fixture
def all_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record at every level, as an operator with DEBUG on would get them."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quieten()
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_webhooks_answered_well_are_counted_not_logged(
    h: Harness, all_logs: list[logging.LogRecord]
) -> None:
    """A flood of webhooks is not a flood of log lines; a refused one still makes a line."""
    answered = {"channel": "sms", "status": "200"}
    before = REGISTRY.get_sample_value("los_webhooks_total", answered) or 0.0
    assert await h.sms(PHONE, "hei") == 200
    refused = await h.twilio_post("/webhooks/twilio/sms", {"From": PHONE}, signature="bad")
    assert refused.status == 403
    await h.api("GET", "/api/people")
    access = [r.getMessage() for r in all_logs if r.name == "aiohttp.access"]
    assert [line for line in access if "/webhooks/" in line] == [
        line for line in access if line.startswith("POST /webhooks/twilio/sms 403")
    ]
    assert len([line for line in access if "/webhooks/" in line]) == 1
    assert any(line.startswith("GET /api/people 200") for line in access)
    assert REGISTRY.get_sample_value("los_webhooks_total", answered) == before + 1


async def test_a_whole_conversation_logs_no_number_text_token_or_secret(
    h: Harness, all_logs: list[logging.LogRecord]
) -> None:
    await h.sms(PHONE, SECRET_TEXTS[0])  # unknown number: inbox and an answer
    person = await h.person("Kari", roles=["participant", "volunteer"], phone=PHONE)
    await h.sms(PHONE, SECRET_TEXTS[1])
    await h.sms(PHONE, "TIMER")
    await h.tg(777000111, SECRET_TEXTS[2])
    items = await h.inbox_items()
    await h.api("POST", f"/api/inbox/{items[0]['id']}/reply", {"text": "Vi ringer deg"})
    await h.send_due()
    feed = await h.api("POST", f"/api/people/{person['id']}/calendar-token", expect=201)
    assert (await h.client.get(f"/calendar/{feed['token']}.ics")).status == 200
    await h.client.get("/api/people?phone=%2B4791234567", headers={"Authorization": "x"})
    assert h.sms_to(PHONE), "the conversation happened"

    raw = "\n".join(r.getMessage() for r in all_logs)
    plain = "\n".join(PlainFormatter().format(r) for r in all_logs)
    as_json = "\n".join(JsonFormatter().format(r) for r in all_logs)
    assert "/calendar/" in raw or all_logs, "the access log is in the records"
    secrets = [
        PHONE,
        PHONE[1:],
        "777000111",
        feed["token"],
        h.token,
        "Vi ringer deg",
        *SECRET_TEXTS,
    ]
    for output in (raw, plain, as_json):
        leaked = [s for s in secrets if s in output]
        where = [line for line in output.splitlines() if any(s in line for s in leaked)]
        assert not leaked, f"in the log: {leaked}: {where[:5]}"


def test_json_lines_are_one_object_each_and_scrubbed() -> None:
    record = logging.LogRecord("los", logging.ERROR, __file__, 1, "to %s", ("+4791234567",), None)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "los"
    assert entry["message"] == "to [number]" and "\n" not in line
    assert scrub("GET /calendar/abc123secret.ics 200") == "GET /calendar/… 200"


def test_an_outage_is_one_line_at_start_one_a_minute_and_one_at_the_end() -> None:
    now = [0.0]
    stream = io.StringIO()
    logger = logging.getLogger("test.outage")
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False
    db = Outage("database", logger, monotonic=lambda: now[0])
    for _ in range(300):  # five minutes of a failure a second
        db.failed(ConnectionRefusedError(111, "Connection refused"))
        now[0] += 1
    db.ok()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 + 4 + 1
    assert (
        lines[0] == "database unavailable: ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert lines[-1] == "database back after 300 s (300 failures)"


async def test_a_database_outage_under_traffic_is_a_few_lines(
    postgres_database: str | None, clock, twilio, telegram, all_logs: list[logging.LogRecord]
) -> None:
    if postgres_database is None:
        pytest.skip("needs PostgreSQL: the outage is a TCP proxy in front of it")
    await databases.truncate_all(postgres_database)
    url = make_url(postgres_database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = harness.test_settings(through, twilio.url, telegram.url)
    try:
        async with harness.running_harness(settings, clock, twilio, telegram) as h:
            h.los.start_background()
            assert await h.sms(PHONE, "hei") == 200
            await proxy.cut()
            start = len(all_logs)

            # The webhooks spool what they cannot store (their own outage); the dispatcher and
            # the jobs meet the database outage: together they kept failing.
            def failures() -> int:
                return outage.DATABASE.failures + inbound.OUTAGE.failures

            failures_before = failures()
            for n in range(20):  # 4 s of traffic against a database that is gone
                await h.twilio_post(
                    "/webhooks/twilio/sms",
                    {
                        "From": PHONE,
                        "To": harness.TWILIO_FROM,
                        "Body": "x",
                        "MessageSid": f"SMo{n}",
                    },
                )
                await asyncio.sleep(0.2)
            assert failures() - failures_before >= 10, "it kept failing"
            await proxy.restore()
            for _ in range(50):
                if not outage.DATABASE.down:
                    break
                await asyncio.sleep(0.1)
            assert await h.sms(PHONE, "igjen") == 200
            await h.los.close(grace=1)
            lines = [
                r
                for r in all_logs[start:]
                if r.name != "aiohttp.access" and r.levelno >= logging.INFO
            ]
            text = "\n".join(f"{r.name}: {r.getMessage()}" for r in lines)
            assert len(lines) < 10, text
            assert any("database unavailable" in r.getMessage() for r in lines), text
            assert any("database back after" in r.getMessage() for r in lines), text
    finally:
        await proxy.stop()
