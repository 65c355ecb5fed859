"""Outbox priorities (CONTRACT §8): crisis answers, then answers, then reminders and offers,
then broadcasts; a broadcast going out never delays an answer."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import text

from handlers.people import create_person
from handlers.sites import default_site
from storage.models.messages import PRIORITY_ANSWER, PRIORITY_BULK, PRIORITY_CRISIS
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness

PHONE = "+4791234567"
CRISIS_PHONE = "+4799999999"
BROADCAST = "Kino fredag kl. 18 i kafeen. Velkommen!"
EVERYONE = {"text": BROADCAST, "audience": {"roles": ["participant"]}}


async def add_participants(h: Harness, count: int) -> None:
    async with h.session() as session:
        site = await default_site(session)
        assert site is not None
        for n in range(count):
            await create_person(
                session,
                h.clock,
                site_id=site.id,
                name=f"Deltaker {n}",
                roles=["participant"],
                phone=f"+4793{n:06d}",
            )


async def post_sms(h: Harness, phone: str, body: str, sid: str) -> None:
    """The webhook only: what follows is left to the running dispatcher."""
    params = {"From": phone, "To": TWILIO_FROM, "Body": body, "MessageSid": sid}
    resp = await h.twilio_post("/webhooks/twilio/sms", {**params, "AccountSid": TWILIO_SID})
    assert resp.status == 200


async def test_due_rows_go_out_by_priority_not_by_age(h: Harness) -> None:
    await add_participants(h, 3)
    await h.person(phone=PHONE)
    await h.api("POST", "/api/broadcasts", EVERYONE, expect=202)
    await post_sms(h, PHONE, "HJELP", "SMprio1")
    await post_sms(h, CRISIS_PHONE, "jeg vil ta livet mitt", "SMprio2")
    async with h.session() as session:
        priorities: dict[str, int] = dict(
            (
                await session.execute(
                    text(
                        "SELECT kind, MIN(priority) FROM messages "
                        "WHERE direction = 'out' GROUP BY kind"
                    )
                )
            ).all()
        )
    assert priorities["crisis"] == PRIORITY_CRISIS
    assert priorities["reply"] == PRIORITY_ANSWER
    assert priorities["broadcast"] == PRIORITY_BULK
    h.los.dispatcher.batch_size = 1  # one at a time: the fake sees the claim order
    await h.send_due()
    order = [m["To"] for m in h.twilio.sent]
    assert order[:2] == [CRISIS_PHONE, PHONE]
    assert len(order) == 2 + 4  # the broadcast reached the three and Ola, after the answers


async def test_a_crisis_text_during_a_600_recipient_broadcast_is_answered_within_5_s(
    h: Harness,
) -> None:
    """The dispatcher runs for real at 10 texts a second (TWILIO_PER_SECOND's default)."""
    await add_participants(h, 600)
    await h.api("POST", "/api/broadcasts", EVERYONE, expect=202)
    stop = asyncio.Event()
    running = asyncio.create_task(h.los.dispatcher.run_forever(stop))
    try:
        assert await h.twilio.wait_until(lambda: len(h.twilio.sent) >= 30, within=30)
        asked = datetime.now(UTC)
        await post_sms(h, CRISIS_PHONE, "Jeg vil ikke leve mer", "SMcrisis1")
        assert await h.twilio.wait_until(lambda: bool(h.sms_to(CRISIS_PHONE)), within=30)
        [answer] = [m for m in h.twilio.sent if m["To"] == CRISIS_PHONE]
        waited = (answer["date_created"] - asked).total_seconds()
        broadcast_sent = sum(1 for m in h.twilio.sent if m["Body"] == BROADCAST)
        print(f"crisis answered after {waited:.2f} s, {broadcast_sent} broadcast texts out")
        assert "113" in answer["Body"]
        assert waited <= 5.0
        assert broadcast_sent < 600  # the broadcast was still going out
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
