"""Pictures and voice notes: staff open them through Los, which fetches and keeps no copy."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.staff_users import add_staff
from handlers.context import Rules
from handlers.retention import blank_old_texts
from storage.models import Message, MessageAttachment, Site
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness

PHONE = "+4791234567"
CHAT = 555001
JPEG = b"\xff\xd8\xff\xe0fake-jpeg" + bytes(range(256)) * 300  # bigger than one stream chunk
OGG = b"OggS" + b"\x01" * 5000


async def mms_with_picture(h: Harness, media_id: str = "ME0", sid: str = "MM1") -> dict[str, Any]:
    """The registered person sends an MMS; returns the inbox item staff see for it."""
    url = h.twilio.media_url(sid, media_id, TWILIO_SID)
    params = {
        "From": PHONE,
        "To": TWILIO_FROM,
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "NumMedia": "1",
        "MediaUrl0": url,
        "MediaContentType0": "image/jpeg",
    }
    resp = await h.twilio_post("/webhooks/twilio/sms", params)
    assert resp.status == 200
    [item] = await h.inbox_items()
    return dict(item)


async def telegram_voice_note(h: Harness) -> dict[str, Any]:
    person = await h.person(name="Kari Nordmann", phone=None)
    await h.link_telegram(person["id"], CHAT)
    h.telegram.add_file("voice-1", OGG, "voice/file_1.oga")
    update = {
        "update_id": 9001,
        "message": {
            "message_id": 3,
            "date": 0,
            "chat": {"id": CHAT, "type": "private"},
            "voice": {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3},
        },
    }
    assert (await h.telegram_update(update)).status == 200
    [item] = await h.inbox_items()
    return dict(item)


async def fetch(h: Harness, url: str, token: str | None = None) -> tuple[int, bytes, Any]:
    resp = await h.client.get(url, headers={"Authorization": f"Bearer {token or h.token}"})
    return resp.status, await resp.read(), resp.headers


async def test_an_mms_picture_is_streamed_from_twilio_with_basic_auth(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.media["ME0"] = (JPEG, "image/jpeg")
    item = await mms_with_picture(h)
    assert item["label"] == "📷 Bilde"
    [attachment] = item["attachments"]
    assert attachment["kind"] == "photo"
    status, body, headers = await fetch(h, attachment["url"])
    assert status == 200
    assert body == JPEG
    assert headers["Content-Type"] == "image/jpeg"
    assert "no-store" in headers["Cache-Control"]
    assert h.twilio.media_requests[-1] is not None
    assert h.twilio.media_requests[-1].startswith("Basic ")


async def test_a_voice_note_is_fetched_through_get_file_every_time(h: Harness) -> None:
    item = await telegram_voice_note(h)
    assert item["label"] == "🎤 Talemelding"
    url = item["attachments"][0]["url"]
    for times in (1, 2):  # no copy is kept: every opening asks Telegram again
        status, body, headers = await fetch(h, url)
        assert (status, body) == (200, OGG)
        assert headers["Content-Type"] == "audio/ogg"
        assert h.telegram.downloads == times


async def test_the_thread_carries_labels_and_attachment_links(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await mms_with_picture(h)
    thread = await h.items(f"/api/people/{person['id']}/messages")
    incoming = [m for m in thread if m["direction"] == "in"]
    assert [m["label"] for m in incoming] == ["📷 Bilde"]
    assert incoming[0]["attachments"][0]["url"].endswith("/attachments/1")


async def test_another_sites_message_is_404_and_unknown_ones_too(h: Harness) -> None:
    await h.person(phone=PHONE)
    h.twilio.media["ME0"] = (JPEG, "image/jpeg")
    item = await mms_with_picture(h)
    url = item["attachments"][0]["url"]
    async with h.session() as session:
        other = Site(name="Bergen", created_at=h.clock.now())
        session.add(other)
        await session.flush()
        _, token = await add_staff(
            session, h.clock, name="Per", email="per@los.test", site_ids=[other.id]
        )
    assert (await fetch(h, url, token))[0] == 404
    assert (await fetch(h, url.replace("/attachments/1", "/attachments/2")))[0] == 404
    assert (await fetch(h, "/api/messages/999999/attachments/1"))[0] == 404
    assert (await fetch(h, "/api/messages/x/attachments/1"))[0] == 404
    resp = await h.client.get(url)
    assert resp.status == 401
    assert h.twilio.media_requests == []  # nothing was fetched for any of them


async def test_a_file_the_provider_no_longer_has_is_a_502(h: Harness) -> None:
    await h.person(phone=PHONE)
    item = await mms_with_picture(h)  # the fake has no such media
    status, body, _ = await fetch(h, item["attachments"][0]["url"])
    assert status == 502
    assert b"media_unavailable" in body


async def test_credentials_never_go_to_a_host_that_is_not_twilio(h: Harness) -> None:
    await h.person(phone=PHONE)
    item = await mms_with_picture(h)
    async with h.session() as session:
        attachment = await session.scalar(select(MessageAttachment))
        assert attachment is not None
        attachment.provider_ref = "http://127.0.0.1:1/steal"
    status, _, _ = await fetch(h, item["attachments"][0]["url"])
    assert status == 502
    assert h.twilio.media_requests == []


async def test_erasure_forgets_the_references(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    h.twilio.media["ME0"] = (JPEG, "image/jpeg")
    item = await mms_with_picture(h)
    await h.api("DELETE", f"/api/people/{person['id']}", expect=200)
    async with h.session() as session:
        refs = list(await session.scalars(select(MessageAttachment.provider_ref)))
        assert refs == [None]
    assert (await fetch(h, item["attachments"][0]["url"]))[0] == 404


async def test_retention_forgets_old_references_but_not_open_ones(h: Harness) -> None:
    await h.person(phone=PHONE)
    item = await mms_with_picture(h)
    h.clock.advance(2 * 86400)
    async with h.session() as session:
        await blank_old_texts(session, h.clock, Rules(retention_days=1))
        assert list(await session.scalars(select(MessageAttachment.provider_ref))) != [None]
    await h.api("POST", f"/api/inbox/{item['id']}/resolve", expect=200)
    async with h.session() as session:
        await blank_old_texts(session, h.clock, Rules(retention_days=1))
        assert list(await session.scalars(select(MessageAttachment.provider_ref))) == [None]
        message = await session.scalar(select(Message).where(Message.direction == "in"))
        assert message is not None and message.text is None


async def test_the_webhook_asks_telegram_for_edits_and_membership_changes(h: Harness) -> None:
    from bot.channels.telegram import TelegramChannel

    channel = h.los.channel("telegram")
    assert isinstance(channel, TelegramChannel)
    await channel.set_webhook("https://los.example.org")
    [hook] = h.telegram.webhooks
    allowed = hook["allowed_updates"]
    allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
    assert set(allowed) == {"message", "edited_message", "callback_query", "my_chat_member"}
    assert hook["url"] == "https://los.example.org/webhooks/telegram"
