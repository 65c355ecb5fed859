"""The Twilio edge: signed webhooks in, status callbacks, and what an outgoing SMS carries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from handlers.clock import FakeClock
from storage.models import Message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import (
    PUBLIC_URL,
    TWILIO_FROM,
    TWILIO_SID,
    Harness,
    running_harness,
)
from tests.harness import test_settings as settings_for

PHONE = "+4791234567"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


def incoming(body: str = "hjelp", sid: str = "SMin-1", sender: str = PHONE) -> dict[str, str]:
    return {
        "From": sender,
        "To": TWILIO_FROM,
        "Body": body,
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
    }


async def stored_in(h: Harness) -> list[Message]:
    async with h.session() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.direction == "in").order_by(Message.id)
            )
        )


async def outgoing(h: Harness) -> list[Message]:
    async with h.session() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.direction == "out").order_by(Message.id)
            )
        )


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("", id="missing"),
        pytest.param("bm90IGEgc2lnbmF0dXJl", id="forged"),
        pytest.param("other-url", id="signed-for-another-url"),
        pytest.param("other-body", id="signed-over-another-body"),
    ],
)
async def test_unsigned_or_forged_webhook_is_refused_and_nothing_stored(
    h: Harness, signature: str
) -> None:
    await h.person(phone=PHONE)
    params = incoming("JA")
    if signature == "other-url":
        signature = h.sign("/webhooks/twilio/other", params)
    elif signature == "other-body":
        signature = h.sign(SMS_PATH, {**params, "Body": "NEI"})
    resp = await h.twilio_post(SMS_PATH, params, signature=signature)
    await h.send_due()
    assert resp.status == 403
    assert await stored_in(h) == []
    assert h.sms_to(PHONE) == []


async def test_a_repeated_message_sid_is_processed_once(h: Harness) -> None:
    await h.person(phone=PHONE)
    assert await h.sms(PHONE, "hjelp", sid="SMrepeat") == 200
    assert await h.sms(PHONE, "hjelp", sid="SMrepeat") == 200  # Twilio retried the webhook
    assert len(h.sms_to(PHONE)) == 1
    assert [m.provider_id for m in await stored_in(h)] == ["SMrepeat"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({k: v for k, v in incoming().items() if k != "From"}, id="no-From"),
        pytest.param({k: v for k, v in incoming().items() if k != "MessageSid"}, id="no-Sid"),
        # No Body (an MMS) and senders that are not phone numbers are kept: see test_providers.py
    ],
)
async def test_malformed_signed_bodies_get_400_and_the_service_keeps_serving(
    h: Harness, params: dict[str, str]
) -> None:
    await h.person(phone=PHONE)
    resp = await h.twilio_post(SMS_PATH, params)
    assert resp.status == 400
    assert await stored_in(h) == []
    assert await h.sms(PHONE, "hjelp", sid="SMgood") == 200
    assert "TIMER" in h.sms_to(PHONE)[-1]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/x-www-form-urlencoded", b"\xff\xfe\x00junk=%%%&&=", id="bytes"),
        pytest.param("application/json", b'{"From": "+4791234567"}', id="json"),
        pytest.param("text/plain", b"hello", id="text"),
        pytest.param("multipart/form-data; boundary=x", b"--x\r\nbroken", id="multipart"),
    ],
)
async def test_junk_bodies_get_4xx_and_the_service_keeps_serving(
    h: Harness, content_type: str, body: bytes
) -> None:
    await h.person(phone=PHONE)
    resp = await h.client.post(
        SMS_PATH,
        data=body,
        headers={"Content-Type": content_type, "X-Twilio-Signature": h.sign(SMS_PATH, {})},
    )
    assert 400 <= resp.status < 500
    assert await stored_in(h) == []
    assert await h.sms(PHONE, "hjelp", sid="SMgood") == 200
    assert "TIMER" in h.sms_to(PHONE)[-1]


async def test_the_webhook_answers_with_empty_twiml(h: Harness) -> None:
    await h.person(phone=PHONE)
    resp = await h.twilio_post(SMS_PATH, incoming("hjelp"))
    assert resp.status == 200
    assert resp.content_type in ("text/xml", "application/xml")
    root = ElementTree.fromstring(await resp.text())
    assert root.tag == "Response"
    assert list(root) == []
    assert (root.text or "").strip() == ""
    # the reply goes out through the REST API instead
    await h.send_due()
    assert "TIMER" in h.sms_to(PHONE)[0]


async def status_callback(h: Harness, sid: str, status: str, error: str | None = None) -> int:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": TWILIO_SID}
    if error is not None:
        params["ErrorCode"] = error
    return int((await h.twilio_post(STATUS_PATH, params)).status)


async def test_status_callbacks_record_delivery_and_failure(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp", sid="SMa")
    await h.sms(PHONE, "timer", sid="SMb")
    await h.sms(PHONE, "noe til de ansatte", sid="SMc")
    first, second, third = (m["sid"] for m in h.twilio.sent)

    assert await status_callback(h, first, "sent") < 300
    assert await status_callback(h, first, "delivered") < 300
    assert await status_callback(h, second, "undelivered", "30003") < 300
    assert await status_callback(h, third, "failed", "30005") < 300
    # a late "sent" after "delivered" changes nothing
    assert await status_callback(h, first, "sent") < 300

    by_sid = {m.provider_id: m for m in await outgoing(h)}
    assert by_sid[first].status == "delivered"
    assert by_sid[first].delivered_at == h.clock.now()
    assert by_sid[second].status == "failed"
    assert "undelivered" in (by_sid[second].error or "")
    assert "30003" in (by_sid[second].error or "")
    assert by_sid[third].status == "failed"
    assert "30005" in (by_sid[third].error or "")


async def test_forged_status_callback_changes_nothing(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    sid = h.twilio.sent[0]["sid"]
    params = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    resp = await h.twilio_post(STATUS_PATH, params, signature="forged")
    assert resp.status == 403
    bad = await h.twilio_post(STATUS_PATH, {"MessageStatus": "delivered"})
    assert bad.status == 400
    [reply] = await outgoing(h)
    assert reply.status == "sent"
    assert reply.error is None


async def test_status_callback_for_an_unknown_sid_is_accepted_and_ignored(h: Harness) -> None:
    assert await status_callback(h, "SMunknown", "delivered") < 300
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.fixture(params=[TWILIO_FROM, "MG" + "a" * 32], ids=["from-number", "messaging-service"])
async def h_sender(
    request: pytest.FixtureRequest,
    database_url: str,
    clock: FakeClock,
    twilio: FakeTwilio,
    telegram: FakeTelegram,
) -> AsyncIterator[Harness]:
    settings = settings_for(database_url, twilio.url, telegram.url, twilio_from=request.param)
    async with running_harness(settings, clock, twilio, telegram) as harness:
        yield harness


async def test_outgoing_sms_carries_status_callback_and_sender(h_sender: Harness) -> None:
    h = h_sender
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    [sent] = h.twilio.sent
    assert sent["To"] == PHONE
    assert "TIMER" in sent["Body"]
    assert sent["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/status"
    configured = h.los.settings.twilio_from or ""
    if configured.startswith("MG"):
        assert sent.get("MessagingServiceSid") == configured
        assert "From" not in sent
    else:
        assert sent.get("From") == configured
        assert "MessagingServiceSid" not in sent
    [reply] = await outgoing(h)
    assert reply.status == "sent"
    assert reply.provider_id == sent["sid"]
