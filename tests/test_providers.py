"""Every message the providers can send, as a table (in the spirit of nyaruka/courier's tests).

Each case is a request as Twilio or Telegram would send it (signed, or with the secret), the
HTTP status Los must answer, the incoming messages it stores (text, kind, attachments), what
staff see in the inbox through the API, and the texts the sender gets back. Every case runs on
SQLite; every case that stores a message runs on PostgreSQL too (which refuses NUL bytes).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers import outbox, questions
from handlers.delivery import CARRIER_OPT_OUT
from storage.models import ContactPoint, Message, MessageAttachment, OpenQuestion, Person
from tests.harness import TELEGRAM_SECRET, TWILIO_FROM, TWILIO_SID, Harness

PHONE = "+4791234567"
CHAT = 555001
OTHER_CHAT = 555002
GROUP = -100123456
BOT_ID = 123456  # from the test token "123456:TEST"
SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
TG = "/webhooks/telegram"

ACK = "Takk, meldingen er mottatt"
STOPPED = "Du får ikke flere meldinger"
UNKNOWN = "Hei! Dette nummeret er ikke registrert"
HELP = "Du kan skrive"
MEDIA = "https://api.twilio.com/2010-04-01/Accounts/" + TWILIO_SID + "/Messages/MM1/Media/ME"
LONG_TYPE = "image/jpeg; name=" + "x" * 150
LONG_SMS = ("Hei, jeg lurer på om vi kan flytte timen. " * 40)[:1600]
LONG_TG = ("Dette er en lang melding om uka mi. " * 120)[:4093]

Ctx = dict[str, Any]
Payload = dict[str, Any] | bytes | Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Req:
    """One webhook call: ``sms`` and ``status`` are signed forms, ``tg`` a Telegram Update."""

    to: str
    body: Payload
    signed: bool = True


@dataclass(frozen=True)
class Case:
    id: str
    request: Req
    status: int
    # (text, kind, [(attachment kind, content type)]) of each incoming message stored
    stored: list[tuple[str, str, list[tuple[str, str]]]]
    # the inbox as staff see it through the API: each item's label (or summary), oldest first
    staff: list[str]
    # what the sender got back (each text contains this)
    reply: list[str]
    setup: str = "none"
    before: tuple[Req, ...] = ()
    check: Callable[[Harness, Ctx], Awaitable[None]] | None = None


# --- payload builders -------------------------------------------------------------------------


def sms(
    body: str | None = "Hei", *, sender: str = PHONE, sid: str = "SMcase1", **extra: str
) -> Req:
    params = {"From": sender, "To": TWILIO_FROM, "MessageSid": sid, "AccountSid": TWILIO_SID}
    if body is not None:
        params["Body"] = body
    params.update(extra)
    return Req("sms", params)


def mms(body: str | None, *media: str, sid: str = "MMcase1") -> Req:
    extra = {"NumMedia": str(len(media))}
    for n, content_type in enumerate(media):
        extra[f"MediaUrl{n}"] = f"{MEDIA}{n}"
        extra[f"MediaContentType{n}"] = content_type
    return sms(body, sid=sid, **extra)


def status(n: int, state: str, code: str = "") -> Req:
    """A status callback for the n-th text Los sent in this case (see the ``sent`` setups)."""

    def build(ctx: Ctx) -> dict[str, Any]:
        params = {"MessageSid": ctx["sids"][n], "MessageStatus": state, "AccountSid": TWILIO_SID}
        if code:
            params["ErrorCode"] = code
        return params

    return Req("status", build)


_update_ids = iter(range(10_000, 10**9))


def message(
    chat: int = CHAT, kind: str = "private", message_id: int = 1, **fields: Any
) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "date": 1_772_442_000,
        "chat": {"id": chat, "type": kind, **({"title": "Gruppa"} if kind != "private" else {})},
        "from": {"id": abs(chat), "is_bot": False, "first_name": "Kari"},
        **fields,
    }


def tg(
    update: dict[str, Any] | Callable[[Ctx], dict[str, Any]], update_id: int | None = None
) -> Req:
    number = update_id or next(_update_ids)
    if callable(update):
        build = update
        return Req("tg", lambda ctx: {"update_id": number, **build(ctx)})
    return Req("tg", {"update_id": number, **update})


def tg_text(text: str, chat: int = CHAT, kind: str = "private", message_id: int = 1) -> Req:
    return tg({"message": message(chat, kind, message_id, text=text)})


def tg_media(field_name: str, item: Any, caption: str | None = None) -> Req:
    fields: dict[str, Any] = {field_name: item}
    if caption:
        fields["caption"] = caption
    return tg({"message": message(**fields)})


def press(data: str | Callable[[Ctx], str], chat: int = CHAT, kind: str = "private") -> Req:
    def build(ctx: Ctx) -> dict[str, Any]:
        return {
            "callback_query": {
                "id": f"cb{next(_update_ids)}",
                "from": {"id": abs(chat), "is_bot": False, "first_name": "Kari"},
                "chat_instance": "1",
                "data": data(ctx) if callable(data) else data,
                "message": message(chat, kind, 99, text="Kommer du?"),
            }
        }

    return tg(build)


def edit(text: str, message_id: int = 1, chat: int = CHAT, kind: str = "private") -> Req:
    return tg({"edited_message": {**message(chat, kind, message_id, text=text), "edit_date": 1}})


def answer(value: str) -> Callable[[Ctx], str]:
    return lambda ctx: f"q:{ctx['q']}:{value}"


# --- checks -----------------------------------------------------------------------------------


async def contact(h: Harness, channel: str = "sms", address: str = PHONE) -> ContactPoint:
    async with h.session() as session:
        found = await session.scalar(
            select(ContactPoint).where(
                ContactPoint.channel == channel, ContactPoint.address == address
            )
        )
        assert found is not None
        return found


async def opted_out(h: Harness, ctx: Ctx) -> None:
    channel, address = ("telegram", str(CHAT)) if ctx.get("telegram") else ("sms", PHONE)
    assert (await contact(h, channel, address)).opted_out_at is not None


async def still_subscribed(h: Harness, ctx: Ctx) -> None:
    assert (await contact(h)).opted_out_at is None


async def no_contact_point(h: Harness, ctx: Ctx) -> None:
    async with h.session() as session:
        found = await session.scalar(select(func.count()).select_from(ContactPoint))
        assert found == (1 if ctx.get("registered") else 0)


def failed_in_row(count: int, suspect: bool) -> Callable[[Harness, Ctx], Awaitable[None]]:
    async def check(h: Harness, ctx: Ctx) -> None:
        found = await contact(h)
        assert found.failed_in_row == count
        assert (found.suspect_at is not None) == suspect

    return check


def delivered(n: int) -> Callable[[Harness, Ctx], Awaitable[None]]:
    async def check(h: Harness, ctx: Ctx) -> None:
        async with h.session() as session:
            sent = await session.scalar(
                select(Message).where(Message.provider_id == ctx["sids"][n])
            )
            assert sent is not None and sent.status == "delivered"
        assert (await contact(h)).failed_in_row == 0

    return check


def callback_notices(*expected: str) -> Callable[[Harness, Ctx], Awaitable[None]]:
    async def check(h: Harness, ctx: Ctx) -> None:
        assert h.telegram.callback_notices[ctx["callbacks"] :] == list(expected)

    return check


def question_is(state: str, answer_value: str | None) -> Callable[[Harness, Ctx], Awaitable[None]]:
    async def check(h: Harness, ctx: Ctx) -> None:
        async with h.session() as session:
            question = await session.get(OpenQuestion, ctx["q"])
            assert question is not None
            assert (question.status, question.answer) == (state, answer_value)

    return check


async def left_the_group(h: Harness, ctx: Ctx) -> None:
    assert h.telegram.left_chats == [GROUP]


async def stayed_unlinked(h: Harness, ctx: Ctx) -> None:
    assert h.telegram.left_chats == []
    async with h.session() as session:
        assert await session.scalar(select(func.count()).select_from(ContactPoint)) == 0


async def linked(h: Harness, ctx: Ctx) -> None:
    assert (await contact(h, "telegram", str(CHAT))).person_id == ctx["person"]


async def edited_once(h: Harness, ctx: Ctx) -> None:
    async with h.session() as session:
        edited = list(await session.scalars(select(Message).where(Message.edited_at.is_not(None))))
        assert len(edited) == 1


def all_of(
    *checks: Callable[[Harness, Ctx], Awaitable[None]],
) -> Callable[[Harness, Ctx], Awaitable[None]]:
    async def check(h: Harness, ctx: Ctx) -> None:
        for one in checks:
            await one(h, ctx)

    return check


# --- the table --------------------------------------------------------------------------------

PHOTO = [
    {"file_id": "small-photo", "file_unique_id": "s", "width": 90, "height": 90},
    {"file_id": "big-photo", "file_unique_id": "b", "width": 1280, "height": 960},
]
PLACE = "📍 59.9139, 10.7522\nhttps://www.openstreetmap.org/?mlat=59.91390&mlon=10.75220#map=17/59.91390/10.75220"
VENUE = "📍 59.9111, 10.7503 — Oslo S, Jernbanetorget 1"

REPEATED = tg_text("to ganger", message_id=5)

CASES = [
    # ---- Twilio: texts ----
    Case(
        "sms-text",
        sms("Hei, kan dere ringe meg?"),
        200,
        [("Hei, kan dere ringe meg?", "inbound", [])],
        ["Hei, kan dere ringe meg?"],
        [ACK],
        "sms",
    ),
    Case(
        "sms-stopp",
        sms("STOPP"),
        200,
        [("STOPP", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-stopp-with-signature",
        sms("Stopp\n\nSendt fra min iPhone"),
        200,
        [("Stopp\n\nSendt fra min iPhone", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-stopp-nul",
        sms("STOPP\x00"),
        200,
        [("STOPP", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-nul-inside",
        sms("Hei\x00 der"),
        200,
        [("Hei der", "inbound", [])],
        ["Hei der"],
        [ACK],
        "sms",
    ),
    Case(
        "sms-fullwidth-stop",
        sms("ＳＴＯＰ"),
        200,
        [("ＳＴＯＰ", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-stopall",
        sms("STOPALL"),
        200,
        [("STOPALL", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-unsubscribe",
        sms("unsubscribe"),
        200,
        [("unsubscribe", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-end", sms("END"), 200, [("END", "inbound", [])], [], [STOPPED], "sms", check=opted_out
    ),
    Case(
        "sms-quit",
        sms("Quit."),
        200,
        [("Quit.", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-avslutt",
        sms("avslutt"),
        200,
        [("avslutt", "inbound", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-end-in-a-sentence",
        sms("End of the week works for me"),
        200,
        [("End of the week works for me", "inbound", [])],
        ["End of the week works for me"],
        [ACK],
        "sms",
        check=still_subscribed,
    ),
    Case(
        "sms-optouttype-stop-on-cancel",
        sms("CANCEL", OptOutType="STOP"),
        200,
        [("CANCEL", "keyword:stop", [])],
        [],
        [STOPPED],
        "sms",
        check=opted_out,
    ),
    Case(
        "sms-cancel-is-for-shifts",
        sms("CANCEL"),
        200,
        [("CANCEL", "inbound", [])],
        [],
        ["vakt"],
        "sms",
        check=still_subscribed,
    ),
    Case(
        "sms-optouttype-start",
        sms("UNSTOP", sid="SMcase2", OptOutType="START"),
        200,
        [("STOPP", "inbound", []), ("UNSTOP", "keyword:start", [])],
        [],
        [STOPPED, "Velkommen tilbake"],
        "sms",
        before=(sms("STOPP"),),
        check=still_subscribed,
    ),
    Case(
        "sms-optouttype-help",
        sms("INFO PLEASE", OptOutType="HELP"),
        200,
        [("INFO PLEASE", "keyword:help", [])],
        [],
        [HELP],
        "sms",
    ),
    Case("sms-hjelp", sms("hjelp"), 200, [("hjelp", "inbound", [])], [], [HELP], "sms"),
    Case(
        "sms-decomposed-letters",
        sms("Jeg kommer pa\u030a fredag"),
        200,
        [("Jeg kommer på fredag", "inbound", [])],
        ["Jeg kommer på fredag"],
        [ACK],
        "sms",
    ),
    Case(
        "sms-control-characters",
        sms("Hei\x07\x1b der\tok\r\nlinje 2\u200b"),
        200,
        [("Hei der\tok\r\nlinje 2\u200b", "inbound", [])],
        ["Hei der\tok\r\nlinje 2\u200b"],
        [ACK],
        "sms",
    ),
    Case(
        "sms-1600-characters",
        sms(LONG_SMS),
        200,
        [(LONG_SMS, "inbound", [])],
        [LONG_SMS],
        [ACK],
        "sms",
    ),
    Case(
        "sms-emoji",
        sms("Jeg kommer 👍🏽 👨‍👩‍👧"),
        200,
        [("Jeg kommer 👍🏽 👨‍👩‍👧", "inbound", [])],
        ["Jeg kommer 👍🏽 👨‍👩‍👧"],
        [ACK],
        "sms",
    ),
    Case(
        "sms-unknown-number",
        sms("Hei, hvem er dette?"),
        200,
        [("Hei, hvem er dette?", "inbound", [])],
        ["Hei, hvem er dette?"],
        [UNKNOWN],
    ),
    Case(
        "sms-repeated-sid",
        sms("Hei igjen"),
        200,
        [("Hei igjen", "inbound", [])],
        ["Hei igjen"],
        [ACK],
        "sms",
        before=(sms("Hei igjen"),),
    ),
    Case(
        "sms-no-from",
        Req("sms", {"To": TWILIO_FROM, "Body": "Hei", "MessageSid": "SMx"}),
        400,
        [],
        [],
        [],
    ),
    Case(
        "sms-no-sid",
        Req("sms", {"From": PHONE, "To": TWILIO_FROM, "Body": "Hei"}),
        400,
        [],
        [],
        [],
        "sms",
    ),
    Case(
        "sms-unsigned",
        Req("sms", {"From": PHONE, "Body": "STOPP", "MessageSid": "SMu"}, signed=False),
        403,
        [],
        [],
        [],
        "sms",
        check=still_subscribed,
    ),
    # ---- Twilio: MMS ----
    Case(
        "mms-two-pictures-empty-body",
        mms("", "image/jpeg", "image/png"),
        200,
        [("", "inbound", [("photo", "image/jpeg"), ("photo", "image/png")])],
        ["📷 Bilde ×2"],
        [ACK],
        "sms",
    ),
    Case(
        "mms-without-body-field",
        mms(None, "image/jpeg"),
        200,
        [("", "inbound", [("photo", "image/jpeg")])],
        ["📷 Bilde"],
        [ACK],
        "sms",
    ),
    Case(
        "mms-document-with-text",
        mms("Her er brevet", "application/pdf"),
        200,
        [("Her er brevet", "inbound", [("document", "application/pdf")])],
        ["📄 Dokument: Her er brevet"],
        [ACK],
        "sms",
    ),
    Case(
        "mms-voice",
        mms("", "audio/amr"),
        200,
        [("", "inbound", [("voice", "audio/amr")])],
        ["🎤 Talemelding"],
        [ACK],
        "sms",
    ),
    Case(
        "mms-video",
        mms("se her", "video/3gpp"),
        200,
        [("se her", "inbound", [("video", "video/3gpp")])],
        ["🎬 Video: se her"],
        [ACK],
        "sms",
    ),
    Case(
        "mms-unknown-sender",
        mms("", "image/gif"),
        200,
        [("", "inbound", [("photo", "image/gif")])],
        ["📷 Bilde"],
        [UNKNOWN],
    ),
    Case(
        "mms-overlong-content-type",
        mms("", LONG_TYPE),
        200,
        [("", "inbound", [("photo", LONG_TYPE[:100])])],
        ["📷 Bilde"],
        [ACK],
        "sms",
    ),
    Case(
        "tg-file-id-with-half-an-emoji",
        tg_media("voice", {"file_id": "voice\ud83d", "file_unique_id": "u", "duration": 1}),
        200,
        [("", "inbound", [("voice", "audio/ogg")])],
        ["🎤 Talemelding"],
        [ACK],
        "tg",
    ),
    # ---- Twilio: senders that are not phone numbers ----
    Case(
        "sms-from-a-name",
        sms("Din kode er 1234", sender="Telenor"),
        200,
        [("Din kode er 1234", "service", [])],
        ["Din kode er 1234"],
        [],
        check=no_contact_point,
    ),
    Case(
        "sms-from-a-short-code",
        sms("Saldo: 10 kr", sender="2222"),
        200,
        [("Saldo: 10 kr", "service", [])],
        ["Saldo: 10 kr"],
        [],
        check=no_contact_point,
    ),
    Case(
        "sms-from-a-short-number",
        sms("STOPP", sender="+47123"),
        200,
        [("STOPP", "service", [])],
        ["STOPP"],
        [],
        check=no_contact_point,
    ),
    Case(
        "sms-from-whatsapp",
        sms("Hei fra WhatsApp", sender="whatsapp:" + PHONE),
        200,
        [("Hei fra WhatsApp", "whatsapp", [])],
        ["Hei fra WhatsApp"],
        [],
        "sms",
        check=no_contact_point,
    ),
    # ---- Twilio: status callbacks ----
    Case("status-delivered", status(0, "delivered"), 204, [], [], [], "sent1", check=delivered(0)),
    Case(
        "status-21610-carrier-opt-out",
        status(0, "undelivered", "21610"),
        204,
        [],
        [CARRIER_OPT_OUT],
        [],
        "sent1",
        check=opted_out,
    ),
    Case(
        "status-21610-twice",
        status(0, "failed", "21610"),
        204,
        [],
        [CARRIER_OPT_OUT],
        [],
        "sent1",
        before=(status(0, "failed", "21610"),),
        check=opted_out,
    ),
    Case(
        "status-30003-once",
        status(0, "undelivered", "30003"),
        204,
        [],
        [],
        [],
        "sent3",
        check=failed_in_row(1, suspect=False),
    ),
    Case(
        "status-30005-three-in-a-row",
        status(2, "undelivered", "30005"),
        204,
        [],
        ["Tre meldinger på rad"],
        [],
        "sent3",
        before=(status(0, "undelivered", "30003"), status(1, "failed", "30006")),
        check=failed_in_row(3, suspect=True),
    ),
    Case(
        "status-delivery-breaks-the-row",
        status(2, "undelivered", "30006"),
        204,
        [],
        [],
        [],
        "sent3",
        before=(status(0, "undelivered", "30006"), status(1, "delivered")),
        check=failed_in_row(1, suspect=False),
    ),
    Case(
        "status-other-error",
        status(0, "failed", "30007"),
        204,
        [],
        [],
        [],
        "sent1",
        check=failed_in_row(0, suspect=False),
    ),
    Case(
        "status-unknown-sid",
        Req("status", {"MessageSid": "SMnobody", "MessageStatus": "delivered"}),
        204,
        [],
        [],
        [],
    ),
    Case("status-missing-status", Req("status", {"MessageSid": "SMnobody"}), 400, [], [], []),
    # ---- Telegram: texts ----
    Case(
        "tg-text",
        tg_text("Kan dere ringe meg?"),
        200,
        [("Kan dere ringe meg?", "inbound", [])],
        ["Kan dere ringe meg?"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-lone-surrogate",
        tg_text("Hei \ud83d kan dere ringe meg?"),
        200,
        [("Hei \ufffd kan dere ringe meg?", "inbound", [])],
        ["Hei \ufffd kan dere ringe meg?"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-stopp-nul",
        tg_text("STOPP\u0000"),
        200,
        [("STOPP", "inbound", [])],
        [],
        [STOPPED],
        "tg",
        check=lambda h, ctx: opted_out(h, {**ctx, "telegram": True}),
    ),
    Case(
        "tg-fullwidth-stopp",
        tg_text("ＳＴＯＰＰ"),
        200,
        [("ＳＴＯＰＰ", "inbound", [])],
        [],
        [STOPPED],
        "tg",
        check=lambda h, ctx: opted_out(h, {**ctx, "telegram": True}),
    ),
    Case(
        "tg-4093-characters",
        tg_text(LONG_TG),
        200,
        [(LONG_TG, "inbound", [])],
        [LONG_TG],
        [ACK],
        "tg",
    ),
    Case("tg-hjelp", tg_text("HJELP"), 200, [("HJELP", "inbound", [])], [], [HELP], "tg"),
    Case(
        "tg-unknown-chat",
        tg_text("hei", chat=OTHER_CHAT),
        200,
        [("hei", "inbound", [])],
        ["hei"],
        [UNKNOWN],
    ),
    Case(
        "tg-repeated-update",
        REPEATED,
        200,
        [("to ganger", "inbound", [])],
        ["to ganger"],
        [ACK],
        "tg",
        before=(REPEATED,),
    ),
    # ---- Telegram: places and contacts ----
    Case(
        "tg-location",
        tg({"message": message(location={"latitude": 59.9139, "longitude": 10.7522})}),
        200,
        [(PLACE, "place", [])],
        [PLACE],
        [ACK],
        "tg",
    ),
    Case(
        "tg-venue",
        tg(
            {
                "message": message(
                    location={"latitude": 59.9111, "longitude": 10.7503},
                    venue={
                        "location": {"latitude": 59.9111, "longitude": 10.7503},
                        "title": "Oslo S",
                        "address": "Jernbanetorget 1",
                    },
                )
            }
        ),
        200,
        [
            (
                VENUE
                + "\nhttps://www.openstreetmap.org/?mlat=59.91110&mlon=10.75030#map=17/59.91110/10.75030",
                "place",
                [],
            )
        ],
        [
            VENUE
            + "\nhttps://www.openstreetmap.org/?mlat=59.91110&mlon=10.75030#map=17/59.91110/10.75030"
        ],
        [ACK],
        "tg",
    ),
    Case(
        "tg-location-is-not-an-answer",
        tg({"message": message(location={"latitude": 1.5, "longitude": 2.5})}),
        200,
        [
            (
                "📍 1.5000, 2.5000\nhttps://www.openstreetmap.org/?mlat=1.50000&mlon=2.50000#map=17/1.50000/2.50000",
                "place",
                [],
            )
        ],
        [
            "📍 1.5000, 2.5000\nhttps://www.openstreetmap.org/?mlat=1.50000&mlon=2.50000#map=17/1.50000/2.50000"
        ],
        [ACK],
        "tg_question",
        check=question_is("open", None),
    ),
    Case(
        "tg-contact",
        tg(
            {
                "message": message(
                    contact={
                        "phone_number": "+4798765432",
                        "first_name": "Ola",
                        "last_name": "Hansen",
                    }
                )
            }
        ),
        200,
        [("👤 Ola Hansen, +4798765432", "contact", [])],
        ["👤 Ola Hansen, +4798765432"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-location-unknown-chat",
        tg({"message": message(OTHER_CHAT, location={"latitude": 59.9139, "longitude": 10.7522})}),
        200,
        [(PLACE, "place", [])],
        [PLACE],
        [UNKNOWN],
    ),
    # ---- Telegram: media ----
    Case(
        "tg-photo-with-caption",
        tg_media("photo", PHOTO, "Her er brevet"),
        200,
        [("Her er brevet", "inbound", [("photo", "image/jpeg")])],
        ["📷 Bilde: Her er brevet"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-photo",
        tg_media("photo", PHOTO),
        200,
        [("", "inbound", [("photo", "image/jpeg")])],
        ["📷 Bilde"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-photo-caption-stopp",
        tg_media("photo", PHOTO, "STOPP"),
        200,
        [("STOPP", "inbound", [("photo", "image/jpeg")])],
        [],
        [STOPPED],
        "tg",
    ),
    Case(
        "tg-voice",
        tg_media(
            "voice",
            {"file_id": "voice-1", "file_unique_id": "v", "duration": 4, "mime_type": "audio/ogg"},
        ),
        200,
        [("", "inbound", [("voice", "audio/ogg")])],
        ["🎤 Talemelding"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-audio",
        tg_media(
            "audio",
            {"file_id": "a-1", "file_unique_id": "a", "duration": 60, "mime_type": "audio/mpeg"},
        ),
        200,
        [("", "inbound", [("audio", "audio/mpeg")])],
        ["🎵 Lydfil"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-video",
        tg_media(
            "video",
            {"file_id": "vid-1", "file_unique_id": "v", "width": 1, "height": 1, "duration": 3},
            "se",
        ),
        200,
        [("se", "inbound", [("video", "video/mp4")])],
        ["🎬 Video: se"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-video-note",
        tg_media(
            "video_note", {"file_id": "vn-1", "file_unique_id": "n", "length": 240, "duration": 3}
        ),
        200,
        [("", "inbound", [("video_note", "video/mp4")])],
        ["🎬 Videomelding"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-document",
        tg_media(
            "document",
            {
                "file_id": "doc-1",
                "file_unique_id": "d",
                "file_name": "brev.pdf",
                "mime_type": "application/pdf",
            },
            "Brevet fra NAV",
        ),
        200,
        [("Brevet fra NAV", "inbound", [("document", "application/pdf")])],
        ["📄 Dokument: Brevet fra NAV"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-animation",
        tg(
            {
                "message": message(
                    animation={
                        "file_id": "gif-1",
                        "file_unique_id": "g",
                        "width": 1,
                        "height": 1,
                        "duration": 1,
                        "mime_type": "video/mp4",
                    },
                    document={"file_id": "gif-1", "file_unique_id": "g", "mime_type": "video/mp4"},
                )
            }
        ),
        200,
        [("", "inbound", [("animation", "video/mp4")])],
        ["🎬 Animasjon"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-sticker",
        tg_media(
            "sticker",
            {
                "file_id": "st-1",
                "file_unique_id": "s",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "😀",
            },
        ),
        200,
        [("", "inbound", [("sticker", "image/webp")])],
        ["Klistremerke"],
        [ACK],
        "tg",
    ),
    Case(
        "tg-poll-in-private",
        tg({"message": message(poll={"id": "1", "question": "?", "options": []})}),
        200,
        [],
        [],
        [],
        "tg",
    ),
    # ---- Telegram: one to one ----
    Case(
        "tg-group-text",
        tg_text("hei alle sammen", chat=GROUP, kind="group"),
        200,
        [],
        [],
        [],
        check=stayed_unlinked,
    ),
    Case(
        "tg-supergroup-start-code",
        tg(lambda ctx: {"message": message(GROUP, "supergroup", text=f"/start {ctx['code']}")}),
        200,
        [],
        [],
        [],
        "invite",
        check=stayed_unlinked,
    ),
    Case(
        "tg-channel-post",
        tg({"channel_post": message(GROUP, "channel", text="Nyhet")}),
        200,
        [],
        [],
        [],
    ),
    Case(
        "tg-bot-added-to-group",
        tg(
            {
                "my_chat_member": {
                    "chat": {"id": GROUP, "type": "supergroup", "title": "Gruppa"},
                    "from": {"id": 7, "is_bot": False, "first_name": "Per"},
                    "date": 1,
                    "old_chat_member": {
                        "status": "left",
                        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Los"},
                    },
                    "new_chat_member": {
                        "status": "member",
                        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Los"},
                    },
                }
            }
        ),
        200,
        [],
        [],
        [],
        check=left_the_group,
    ),
    Case(
        "tg-group-new-members-with-bot",
        tg(
            {
                "message": message(
                    GROUP,
                    "group",
                    new_chat_members=[{"id": BOT_ID, "is_bot": True, "first_name": "Los"}],
                )
            }
        ),
        200,
        [],
        [],
        [],
        check=left_the_group,
    ),
    Case(
        "tg-private-chat-blocked",
        tg(
            {
                "my_chat_member": {
                    "chat": {"id": CHAT, "type": "private"},
                    "from": {"id": CHAT, "is_bot": False, "first_name": "K"},
                    "date": 1,
                    "old_chat_member": {
                        "status": "member",
                        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Los"},
                    },
                    "new_chat_member": {
                        "status": "kicked",
                        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Los"},
                        "until_date": 0,
                    },
                }
            }
        ),
        200,
        [],
        [],
        [],
    ),
    Case(
        "tg-reaction",
        tg(
            {
                "message_reaction": {
                    "chat": {"id": CHAT, "type": "private"},
                    "message_id": 1,
                    "date": 1,
                    "old_reaction": [],
                    "new_reaction": [],
                }
            }
        ),
        200,
        [],
        [],
        [],
    ),
    Case(
        "tg-start-with-bot-name",
        tg(lambda ctx: {"message": message(text=f"/start@los_test_bot {ctx['code']}")}),
        200,
        [("/start@los_test_bot {code}", "inbound", [])],
        [],
        ["Hei Kari"],
        "invite",
        check=linked,
    ),
    # ---- Telegram: edits ----
    Case(
        "tg-edit-free-text",
        edit("kl 11", message_id=7),
        200,
        [("kl 11", "inbound", [])],
        ["kl 11 (endret)"],
        [ACK],
        "tg",
        before=(tg_text("kl 10", message_id=7),),
        check=edited_once,
    ),
    Case(
        "tg-edit-a-counted-answer",
        edit("NEI", message_id=8),
        200,
        [("NEI", "inbound", [])],
        ["NEI (endret)"],
        ["Takk for svaret"],
        "tg_question",
        before=(tg_text("JA", message_id=8),),
        check=all_of(question_is("answered", "yes"), edited_once),
    ),
    Case("tg-edit-unknown-message", edit("ny tekst", message_id=404), 200, [], [], [], "tg"),
    Case("tg-edit-in-a-group", edit("ny", chat=GROUP, kind="group"), 200, [], [], []),
    # ---- Telegram: buttons ----
    Case(
        "tg-button-yes",
        press(answer("yes")),
        200,
        [("JA", "button:{q}:yes", [])],
        ["JA"],
        ["Takk for svaret"],
        "tg_question",
        check=all_of(question_is("answered", "yes"), callback_notices("")),
    ),
    Case(
        "tg-button-second-press",
        press(answer("yes")),
        200,
        [("JA", "button:{q}:yes", []), ("JA", "button:{q}:yes", [])],
        ["JA"],
        ["Takk for svaret"],
        "tg_question",
        before=(press(answer("yes")),),
        check=callback_notices("", "Du har allerede svart."),
    ),
    Case(
        "tg-button-unknown-data",
        press("menu:settings"),
        200,
        [],
        [],
        [],
        "tg",
        check=callback_notices(""),
    ),
    Case("tg-button-empty-data", press(""), 200, [], [], [], "tg", check=callback_notices("")),
    Case(
        "tg-button-bad-question-id",
        press("q:x:yes"),
        200,
        [],
        [],
        [],
        "tg",
        check=callback_notices(""),
    ),
    Case(
        "tg-button-from-another-chat",
        press(answer("yes"), chat=OTHER_CHAT),
        200,
        [("JA", "button:{q}:yes", [])],
        [],
        [],
        "tg_question",
        check=question_is("open", None),
    ),
    Case(
        "tg-button-in-a-group",
        press(answer("yes"), chat=GROUP, kind="supergroup"),
        200,
        [],
        [],
        [],
        "tg_question",
        check=all_of(question_is("open", None), callback_notices("")),
    ),
    # ---- Telegram: junk ----
    Case("tg-bad-json", Req("tg", b"{not json"), 400, [], [], []),
    Case("tg-no-update-id", Req("tg", {"message": message(text="hei")}), 400, [], [], []),
    Case(
        "tg-wrong-secret",
        Req("tg", {"update_id": 1, "message": message(text="STOPP")}, signed=False),
        403,
        [],
        [],
        [],
    ),
]


def runs_on() -> list[Any]:
    params = []
    for case in CASES:
        params.append(pytest.param("sqlite", case, id=f"sqlite-{case.id}"))
        if case.stored:
            params.append(pytest.param("postgresql", case, id=f"postgresql-{case.id}"))
    return params


def test_the_table_is_big_enough_and_unique() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


# --- running a case ---------------------------------------------------------------------------


async def prepare(h: Harness, setup: str) -> Ctx:
    ctx: Ctx = {}
    if setup in ("sms", "sent1", "sent3"):
        person = await h.person(name="Kari Nordmann", phone=PHONE)
        ctx["person"], ctx["registered"] = person["id"], True
    if setup in ("sent1", "sent3"):
        async with h.session() as session:
            found = await session.get(Person, ctx["person"])
            assert found is not None
            for n in range(1 if setup == "sent1" else 3):
                await outbox.queue_to_person(session, h.clock, found, f"Melding {n}")
        await h.send_due()
        ctx["sids"] = [m["sid"] for m in h.twilio.sent]
    if setup in ("tg", "tg_question", "invite"):
        person = await h.person(name="Kari Nordmann", phone=None)
        ctx["person"] = person["id"]
        invite = await h.api("POST", f"/api/people/{person['id']}/invite", expect=201)
        ctx["code"] = invite["code"]
        if setup != "invite":
            await h.tg(CHAT, f"/start {invite['code']}")
    if setup == "tg_question":
        async with h.session() as session:
            found = await session.get(Person, ctx["person"])
            assert found is not None
            asked = await questions.ask(
                session, h.clock, found, kind="to_staff", text="Kommer du fredag?", label="Fredag"
            )
            assert asked is not None
            ctx["q"] = asked.id
        await h.send_due()
    async with h.session() as session:
        ctx["after"] = await session.scalar(select(func.coalesce(func.max(Message.id), 0)))
    ctx["sms_sent"], ctx["tg_sent"] = len(h.twilio.sent), len(h.telegram.sent)
    ctx["callbacks"] = len(h.telegram.callback_notices)
    return ctx


async def post(h: Harness, req: Req, ctx: Ctx) -> int:
    body = req.body(ctx) if callable(req.body) else req.body
    if req.to == "tg":
        secret = TELEGRAM_SECRET if req.signed else "wrong"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        resp = await h.client.post(TG, data=data, headers=headers)
    else:
        assert isinstance(body, dict)
        path = SMS if req.to == "sms" else STATUS
        resp = await h.twilio_post(path, body, signature=None if req.signed else "forged")
    await h.send_due()
    return int(resp.status)


async def stored_since(h: Harness, after: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    async with h.session() as session:
        found = list(
            await session.scalars(
                select(Message)
                .where(Message.direction == "in", Message.id > after)
                .order_by(Message.id)
            )
        )
        result = []
        for m in found:
            attached = await session.scalars(
                select(MessageAttachment)
                .where(MessageAttachment.message_id == m.id)
                .order_by(MessageAttachment.position)
            )
            # A button press is kind "button" with the question and the answer in their own
            # columns; written as "button:<question>:<answer>" so a case names all three.
            kind = m.kind
            if kind == "button":
                kind = f"button:{m.question_id}:{m.button_answer}"
            result.append((m.text or "", kind, [(a.kind, a.content_type or "") for a in attached]))
        return result


def replies_since(h: Harness, ctx: Ctx) -> list[str]:
    sms_texts = [m["Body"] for m in h.twilio.sent[ctx["sms_sent"] :]]
    tg_texts = [m["text"] for m in h.telegram.sent[ctx["tg_sent"] :]]
    return sms_texts + tg_texts


@pytest.mark.parametrize(("database_url", "case"), runs_on(), indirect=["database_url"])
async def test_provider_payload(h: Harness, case: Case) -> None:
    ctx = await prepare(h, case.setup)
    for req in case.before:
        assert await post(h, req, ctx) in (200, 204)
    assert await post(h, case.request, ctx) == case.status

    expected = [
        (text.format(code=ctx.get("code", "")), kind.format(q=ctx.get("q", "")), attached)
        for text, kind, attached in case.stored
    ]
    assert await stored_since(h, ctx["after"]) == expected

    inbox = await h.inbox_items("all")
    seen = [item["label"] or item["summary"] for item in inbox]
    assert len(seen) == len(case.staff), seen
    for shown, wanted in zip(seen, case.staff, strict=True):
        assert wanted in shown

    got = replies_since(h, ctx)
    assert len(got) == len(case.reply), got
    for text, wanted in zip(got, case.reply, strict=True):
        assert wanted in text
    if case.check is not None:
        await case.check(h, ctx)


async def test_leaving_a_group_logs_one_line_without_its_name(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    added = {
        "my_chat_member": {
            "chat": {"id": GROUP, "type": "group", "title": "Rusfri venner Oslo"},
            "from": {"id": 7, "is_bot": False, "first_name": "Per"},
            "date": 1,
            "old_chat_member": {"status": "left", "user": {"id": BOT_ID, "is_bot": True}},
            "new_chat_member": {"status": "member", "user": {"id": BOT_ID, "is_bot": True}},
        }
    }
    with caplog.at_level("INFO"):
        assert await post(h, tg(added), {}) == 200
    lines = [r.getMessage() for r in caplog.records if "leaving" in r.getMessage()]
    assert lines == ["added to a Telegram group; leaving it (Los is one to one)"]
    assert not any(
        "Rusfri" in r.getMessage() or str(GROUP) in r.getMessage() for r in caplog.records
    )


async def test_staff_cannot_answer_a_sender_los_never_answers(h: Harness) -> None:
    await h.person(phone=PHONE)
    for n, sender in enumerate(("Telenor", "whatsapp:" + PHONE)):
        assert await post(h, sms("Hei", sender=sender, sid=f"SMno{n}"), {}) == 200
    items = await h.inbox_items()
    assert [i["kind"] for i in items] == ["service", "whatsapp"]
    assert [i["from"] for i in items] == ["Telenor", "whatsapp:" + PHONE]
    for item in items:
        await h.api("POST", f"/api/inbox/{item['id']}/reply", {"text": "Hei"}, expect=422)
    assert h.twilio.sent == []
