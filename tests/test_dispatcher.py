"""The dispatcher: retries, permanent failures, opt-outs and quiet hours at send time, the
background loop, and rows a dead worker left ``sending``."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from scheduler.dispatcher import (
    ANSWER_GATHER_SECONDS,
    ANSWER_LANE,
    LEASE,
    Dispatcher,
    backoff,
    jittered,
)
from storage.models import InboxItem, Message, Worker
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness, oslo

PHONE = "+4791234567"
PHONES = [f"+479100000{n}" for n in range(5)]
CHAT = 555001


async def out_rows(h: Harness, **where: object) -> list[Message]:
    async with h.session() as session:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        for column, value in where.items():
            query = query.where(getattr(Message, column) == value)
        return list(await session.scalars(query))


async def queue_reply_to(h: Harness, phone: str, text: str) -> None:
    """Let ``phone`` text Los without sending what follows (the webhook only)."""
    params = {
        "From": phone,
        "To": TWILIO_FROM,
        "Body": text,
        "MessageSid": f"SM{time.monotonic_ns()}",
        "AccountSid": TWILIO_SID,
    }
    resp = await h.twilio_post("/webhooks/twilio/sms", params)
    assert resp.status == 200


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
async def test_a_transient_failure_is_retried_with_backoff_and_delivered_once(
    h: Harness, status: int, code: int
) -> None:
    await h.person(phone=PHONE)
    h.twilio.fail_next(status, code)
    await h.sms(PHONE, "hjelp")
    assert h.twilio.requests == 1
    assert h.sms_to(PHONE) == []
    [reply] = await out_rows(h)
    assert (reply.status, reply.attempts) == ("queued", 1)
    assert str(code) in (reply.error or "")

    await h.advance(seconds=11)  # the first backoff is 15 s, give or take a fifth
    assert h.twilio.requests == 1
    await h.advance(seconds=7)
    assert h.twilio.requests == 2
    await h.advance(hours=2)
    assert len(h.sms_to(PHONE)) == 1
    [reply] = await out_rows(h)
    assert (reply.status, reply.attempts, reply.error) == ("sent", 2, None)


async def test_backoff_grows_and_gives_up_after_max_attempts(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.fail_next(500, 20500, times=3)
    await h.sms(PHONE, "hjelp")
    await h.advance(seconds=18)
    assert h.twilio.requests == 2
    await h.advance(seconds=23)  # the second wait is 30 s, give or take a fifth
    assert h.twilio.requests == 2
    await h.advance(seconds=13)
    assert h.twilio.requests == 3
    await h.advance(seconds=72)
    assert h.twilio.requests == 4
    assert len(h.sms_to(PHONE)) == 1


async def test_a_permanent_failure_is_never_retried(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.fail_next(400, 21211)
    await h.sms(PHONE, "hjelp")
    await h.advance(hours=6)
    assert h.twilio.requests == 1
    [reply] = await out_rows(h)
    assert (reply.status, reply.attempts) == ("failed", 1)
    assert "21211" in (reply.error or "")


async def test_stop_in_the_middle_of_a_broadcast_stops_the_rest_to_that_number(
    h: Harness,
) -> None:
    for n, phone in enumerate(PHONES):
        await h.person(name=f"Deltaker {n}", phone=phone)
    first = await h.api(
        "POST", "/api/broadcasts", {"text": "Kino fredag!", "audience": {"all": True}}, expect=202
    )
    second = await h.api(
        "POST", "/api/broadcasts", {"text": "Husk kaffe!", "audience": {"all": True}}, expect=202
    )
    h.los.dispatcher.batch_size = 2
    assert await h.los.dispatcher.run_once() == 2  # the first two have gone
    assert [len(h.sms_to(p)) for p in PHONES] == [1, 1, 0, 0, 0]

    await h.sms(PHONES[3], "STOPP")  # then the fourth opts out, and the rest is sent

    assert h.sms_to(PHONES[3]) == [
        "Du får ikke flere meldinger fra oss. Skriv START hvis du vil ha dem igjen."
    ]
    for phone in (PHONES[0], PHONES[1], PHONES[2], PHONES[4]):
        assert h.sms_to(phone) == ["Kino fredag!", "Husk kaffe!"]
    skipped = await out_rows(h, address=PHONES[3], status="skipped")
    assert [(m.text, m.error) for m in skipped] == [
        ("Kino fredag!", "opted_out"),
        ("Husk kaffe!", "opted_out"),
    ]
    for broadcast in (first, second):
        progress = await h.api("GET", f"/api/broadcasts/{broadcast['id']}", expect=200)
        assert (progress["sent"], progress["skipped"], progress["queued"]) == (4, 1, 0)

    await h.api(
        "POST", "/api/broadcasts", {"text": "Tur lørdag", "audience": {"all": True}}, expect=202
    )
    await h.send_due()
    assert len(h.sms_to(PHONES[3])) == 1  # still nothing more after the confirmation
    assert h.sms_to(PHONES[4])[-1] == "Tur lørdag"


async def test_quiet_hours_hold_a_broadcast_until_morning(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.set_time(oslo(2026, 3, 2, 22, 0))
    await h.api(
        "POST", "/api/broadcasts", {"text": "Kino i morgen!", "audience": {"all": True}}, expect=202
    )
    await h.send_due()
    assert h.sms_to(PHONE) == []
    [held] = await out_rows(h)
    assert held.status == "queued"
    assert held.send_after == oslo(2026, 3, 3, 8, 0)

    await h.set_time(oslo(2026, 3, 3, 7, 59))
    assert h.sms_to(PHONE) == []
    await h.set_time(oslo(2026, 3, 3, 8, 0))
    assert h.sms_to(PHONE) == ["Kino i morgen!"]


async def test_a_reply_and_an_opt_out_confirmation_go_at_once_in_quiet_hours(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.set_time(oslo(2026, 3, 2, 23, 30))
    await h.api(
        "POST", "/api/broadcasts", {"text": "Kino i morgen!", "audience": {"all": True}}, expect=202
    )
    await h.sms(PHONE, "hjelp")
    assert len(h.sms_to(PHONE)) == 1
    assert "TIMER" in h.sms_to(PHONE)[0]
    await h.sms(PHONE, "STOPP")
    assert h.sms_to(PHONE)[-1].startswith("Du får ikke flere meldinger")
    await h.set_time(oslo(2026, 3, 3, 9, 0))
    assert len(h.sms_to(PHONE)) == 2  # the held broadcast is not sent after STOPP
    [broadcast] = await out_rows(h, kind="broadcast")
    assert (broadcast.status, broadcast.error) == ("skipped", "opted_out")


async def test_replies_leave_within_a_second_with_the_background_dispatcher(h: Harness) -> None:
    await h.person(phone=PHONE)
    stop = asyncio.Event()
    loop = asyncio.create_task(h.los.dispatcher.run_forever(stop))
    try:
        await asyncio.sleep(0)  # let the loop reach its first wait
        await queue_reply_to(h, PHONE, "hjelp")
        left = await h.twilio.wait_until(lambda: bool(h.sms_to(PHONE)), within=1.0)
        assert left, "the reply did not leave within a second"
        assert "TIMER" in h.sms_to(PHONE)[0]
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=5)


@pytest.mark.realtime  # a tenth of a second on the wall clock: run alone (see pyproject.toml)
async def test_on_sqlite_answers_woken_together_share_one_claim(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every routing batch wakes the answer lane, and on SQLite a claim holds the one writer:
    the lane lets answers gather for ``ANSWER_GATHER_SECONDS`` after a wake, so three wakes
    within it make one claim, not three. PostgreSQL claims at once."""
    dispatcher = h.los.dispatcher
    if h.los.engine.dialect.name != "sqlite":
        assert dispatcher.answer_gather == 0.0
        return
    claims: list[tuple[int, ...]] = []
    claim = dispatcher.run_once

    async def counted(priorities: tuple[int, ...]) -> int:
        handled = await claim(priorities)
        claims.append(priorities)
        return handled

    monkeypatch.setattr(dispatcher, "run_once", counted)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run_forever(stop))
    try:
        for _ in range(100):  # the lane's first claim is done: it waits for a wake
            if ANSWER_LANE in claims:
                break
            await asyncio.sleep(0.01)
        before = claims.count(ANSWER_LANE)
        for _ in range(3):
            dispatcher.wake_answers()
            await asyncio.sleep(ANSWER_GATHER_SECONDS / 4)
        await asyncio.sleep(ANSWER_GATHER_SECONDS * 3)
        assert claims.count(ANSWER_LANE) - before == 1
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=5)


def dead_worker(h: Harness) -> Dispatcher:
    """Another process's dispatcher, sharing the database and the providers, that will die."""
    return Dispatcher(
        h.los.sessions, h.clock, h.los.rules, h.los.dispatcher.senders, "dead-host:1:abcdef"
    )


async def test_stale_sms_found_at_twilio_is_marked_sent_not_resent(h: Harness) -> None:
    await h.person(name="En", phone=PHONES[0])
    await h.person(name="To", phone=PHONES[1])
    await queue_reply_to(h, PHONES[0], "hjelp")
    await queue_reply_to(h, PHONES[1], "hjelp")
    dead = dead_worker(h)
    await dead.heartbeat()  # alive, as far as anyone can tell: its claims wait out the lease
    claimed, _ = await dead.claim()
    assert len(claimed) == 2
    # Twilio accepted the first, then the process died before recording it; the second never
    # reached Twilio at all.
    await dead.senders["sms"].send(claimed[0])
    assert len(h.twilio.sent) == 1

    await h.advance(seconds=LEASE.total_seconds() - 10)  # still inside the lease: left alone
    assert [m.status for m in await out_rows(h)] == ["sending", "sending"]
    assert len(h.twilio.sent) == 1

    await h.advance(seconds=20)
    first, second = await out_rows(h)
    assert (first.status, first.provider_id) == ("sent", h.twilio.sent[0]["sid"])
    assert second.status == "sent"
    assert [len(h.sms_to(p)) for p in PHONES[:2]] == [1, 1]  # found one not resent; other sent


async def test_stale_telegram_text_is_sent_again(h: Harness) -> None:
    person = await h.person(name="Kari", phone=None)
    await h.link_telegram(person["id"], CHAT)
    await h.api("POST", "/api/broadcasts", {"text": "Kino!", "audience": {"all": True}}, expect=202)
    dead = dead_worker(h)
    claimed, _ = await dead.claim()
    assert [t.text for t in claimed] == ["Kino!"]
    await dead.senders["telegram"].send(claimed[0])
    await h.advance(seconds=LEASE.total_seconds() + 1)
    # The Bot API cannot be asked, so the text is sent again rather than lost.
    assert h.tg_to(CHAT)[-2:] == ["Kino!", "Kino!"]
    [row] = await out_rows(h, kind="broadcast")
    assert row.status == "sent"


async def test_our_own_rows_in_flight_are_never_stale_to_our_own_sweep(h: Harness) -> None:
    await h.person(phone=PHONE)
    await queue_reply_to(h, PHONE, "hjelp")
    claimed, _ = await h.los.dispatcher.claim()  # claimed, provider call under way
    assert len(claimed) == 1
    h.clock.advance(LEASE.total_seconds() * 3)
    assert await h.los.dispatcher.recover_stale() == 0
    [row] = await out_rows(h)
    assert row.status == "sending"
    await h.los.dispatcher.send_one(claimed[0])
    [row] = await out_rows(h)
    assert row.status == "sent"
    assert len(h.sms_to(PHONE)) == 1


async def test_a_claim_taken_over_by_the_sweep_is_not_recorded_by_the_old_worker(
    h: Harness,
) -> None:
    await h.person(phone=PHONE)
    await queue_reply_to(h, PHONE, "hjelp")
    slow = dead_worker(h)
    claimed, _ = await slow.claim()
    await h.advance(seconds=LEASE.total_seconds() + 1)  # the sweep gives the row to us; sent
    assert len(h.sms_to(PHONE)) == 1
    # The slow worker wakes up: its claim is gone, so it neither records nor sends again.
    slow.in_flight[claimed[0].message_id] = time.monotonic() - LEASE.total_seconds()
    await slow.send_one(claimed[0])
    assert len(h.sms_to(PHONE)) == 1
    [row] = await out_rows(h)
    assert row.status == "sent"
    assert row.claimed_by == h.los.worker_id


async def test_a_lost_response_is_looked_up_not_resent(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.drop_after_accepting = 1  # Twilio takes the text, then the answer is lost
    await h.sms(PHONE, "hjelp")
    assert h.twilio.lookups == 1
    [reply] = await out_rows(h)
    assert (reply.status, reply.provider_id) == ("sent", h.twilio.sent[0]["sid"])
    await h.advance(hours=1)
    assert len(h.sms_to(PHONE)) == 1


async def test_a_lost_response_with_twilio_unreachable_waits_for_the_sweep(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.drop_after_accepting = 1
    h.twilio.fail_lookups = 1  # and the lookup fails too: resending now could send it twice
    await h.sms(PHONE, "hjelp")
    [reply] = await out_rows(h)
    assert reply.status == "sending"
    await h.advance(seconds=LEASE.total_seconds() + 1)  # the sweep asks again, finds it
    [reply] = await out_rows(h)
    assert (reply.status, reply.provider_id) == ("sent", h.twilio.sent[0]["sid"])
    assert len(h.sms_to(PHONE)) == 1


async def test_a_request_lost_before_twilio_stored_it_is_retried(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.drop_before_accepting = 1
    await h.sms(PHONE, "hjelp")
    assert h.twilio.lookups == 1  # asked first: Twilio does not have it
    [reply] = await out_rows(h)
    assert (reply.status, reply.attempts) == ("queued", 1)
    await h.advance(seconds=18)
    assert len(h.sms_to(PHONE)) == 1
    [reply] = await out_rows(h)
    assert reply.status == "sent"


async def test_a_long_held_claim_is_renewed_before_the_provider_is_called(h: Harness) -> None:
    await h.person(phone=PHONE)
    await queue_reply_to(h, PHONE, "hjelp")
    [text], _ = await h.los.dispatcher.claim()
    h.clock.advance(90)
    # it waited its turn (rate limits) for longer than half the lease
    h.los.dispatcher.in_flight[text.message_id] = time.monotonic() - LEASE.total_seconds()
    await h.los.dispatcher.send_one(text)
    [row] = await out_rows(h)
    assert (row.status, row.claimed_at) == ("sent", h.clock.now())
    assert len(h.sms_to(PHONE)) == 1


async def test_the_claims_of_a_worker_without_a_heartbeat_for_30_s_are_taken_over_at_once(
    h: Harness,
) -> None:
    await h.person(phone=PHONE)
    await queue_reply_to(h, PHONE, "hjelp")
    dead = dead_worker(h)
    await dead.heartbeat()
    [_claimed], _ = await dead.claim()
    assert await h.los.dispatcher.recover_stale() == 0  # its heartbeat is fresh
    async with h.session() as session:  # 31 s later, on the database's clock, it has not beaten
        await session.execute(
            update(Worker)
            .where(Worker.id == dead.worker_id)
            .values(heartbeat=Worker.heartbeat - 31)
        )
    await h.advance(seconds=1)  # far inside the lease
    [row] = await out_rows(h)
    assert (row.status, row.claimed_by) == ("sent", h.los.worker_id)
    assert len(h.sms_to(PHONE)) == 1


async def test_a_row_whose_provider_cannot_be_asked_for_30_minutes_becomes_unknown(
    h: Harness,
) -> None:
    await h.person(phone=PHONE)
    await queue_reply_to(h, PHONE, "hjelp")
    dead = dead_worker(h)
    await dead.claim()
    h.twilio.fail_lookups = 1000
    before = REGISTRY.get_sample_value("los_sends_unknown_total", {"channel": "sms"}) or 0
    await h.advance(minutes=29)
    [row] = await out_rows(h)
    assert row.status == "sending"  # still asking
    await h.advance(minutes=2)
    [row] = await out_rows(h)
    assert (row.status, row.error) == ("unknown", "lookup_failed")
    assert h.sms_to(PHONE) == []  # never sent twice on a guess
    async with h.session() as session:
        kinds = list(await session.scalars(select(InboxItem.kind)))
    assert kinds.count("send_unknown") == 1
    after = REGISTRY.get_sample_value("los_sends_unknown_total", {"channel": "sms"})
    assert after == before + 1
    await h.advance(hours=1)
    assert h.sms_to(PHONE) == []


async def test_a_429_hold_met_by_one_worker_holds_every_worker(h: Harness) -> None:
    person = await h.person(name="Kari", phone=None)
    await h.link_telegram(person["id"], CHAT)
    other = dead_worker(h)
    h.telegram.fail_next(429, "Too Many Requests", retry_after=30)
    await h.api("POST", "/api/broadcasts", {"text": "Kino!", "audience": {"all": True}}, expect=202)
    await other.drain()  # the other process meets the 429
    assert h.tg_to(CHAT).count("Kino!") == 0
    await h.send_due()  # this process: the channel is held, nothing goes
    assert h.tg_to(CHAT).count("Kino!") == 0
    await h.advance(seconds=31)
    assert h.tg_to(CHAT).count("Kino!") == 1


def test_backoff_is_jittered_within_a_fifth() -> None:
    delays = {jittered(backoff(1)).total_seconds() for _ in range(50)}
    assert len(delays) > 10
    assert all(12 <= d <= 18 for d in delays)
