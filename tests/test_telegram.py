"""The Telegram edge: the secret header, Updates in, buttons, and the Bot API's refusals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from handlers import questions
from storage.models import ContactPoint, Message, OpenQuestion, Person
from tests.harness import TELEGRAM_SECRET, Harness

CHAT = 555001
OTHER_CHAT = 555002
PATH = "/webhooks/telegram"


def text_update(update_id: int, text: str, chat_id: int | None = CHAT) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 0,
        "text": text,
        "from": {"id": chat_id or 1, "is_bot": False, "first_name": "X"},
    }
    if chat_id is not None:
        message["chat"] = {"id": chat_id, "type": "private"}
    return {"update_id": update_id, "message": message}


async def stored_in(h: Harness) -> list[Message]:
    async with h.session() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.direction == "in").order_by(Message.id)
            )
        )


async def replies_to(h: Harness, chat_id: int) -> list[Message]:
    async with h.session() as session:
        return list(
            await session.scalars(
                select(Message)
                .where(Message.direction == "out", Message.address == str(chat_id))
                .order_by(Message.id)
            )
        )


async def linked_person(h: Harness, chat_id: int = CHAT, name: str = "Kari Nordmann") -> int:
    person = await h.person(name=name, phone=None)
    await h.link_telegram(person["id"], chat_id)
    assert h.tg_to(chat_id)[-1].startswith("Hei Kari")
    return int(person["id"])


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_SECRET + "x"])
async def test_wrong_or_missing_secret_is_refused_and_nothing_stored(
    h: Harness, secret: str | None
) -> None:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    resp = await h.client.post(PATH, json=text_update(1, "/start"), headers=headers)
    await h.send_due()
    assert resp.status == 403
    assert await stored_in(h) == []
    assert h.telegram.sent == []


async def test_a_repeated_update_id_is_processed_once(h: Harness) -> None:
    first = await h.telegram_update(text_update(77, "hei"))
    again = await h.telegram_update(text_update(77, "hei"))  # Telegram redelivered it
    assert (first.status, again.status) == (200, 200)
    assert [m.provider_id for m in await stored_in(h)] == ["u77"]
    assert len(h.tg_to(CHAT)) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"[1, 2, 3]", id="not-an-object"),
        pytest.param(b'{"message": {"text": "hei", "chat": {"id": 1}}}', id="no-update-id"),
        pytest.param(b'{"update_id": "12", "message": {}}', id="update-id-not-int"),
        pytest.param(b'{"update_id": 12, "message": {"text": "hei"}}', id="no-chat"),
        pytest.param(b'{"update_id": 13, "message": {"chat": {"id": "x"}}}', id="chat-id-text"),
        # Button data Los does not know is answered 200 (test_providers.py), never a 4xx.
    ],
)
async def test_malformed_updates_get_400_and_the_service_keeps_serving(
    h: Harness, body: bytes
) -> None:
    resp = await h.client.post(
        PATH,
        data=body,
        headers={
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
            "Content-Type": "application/json",
        },
    )
    assert resp.status == 400
    assert await stored_in(h) == []
    assert await h.tg(CHAT, "/start") == 200
    assert h.tg_to(CHAT) == ["Hei! Skriv koden du fikk av de ansatte: /start KODE"]


async def test_updates_without_a_message_are_accepted_and_ignored(h: Harness) -> None:
    resp = await h.telegram_update({"update_id": 5, "my_chat_member": {"chat": {"id": CHAT}}})
    assert resp.status == 200
    assert await stored_in(h) == []


async def test_start_with_code_links_the_chat(h: Harness) -> None:
    person_id = await linked_person(h)
    async with h.session() as session:
        contact = await session.scalar(
            select(ContactPoint).where(ContactPoint.address == str(CHAT))
        )
        assert contact is not None
        assert (contact.channel, contact.person_id) == ("telegram", person_id)
    await h.tg(CHAT, "hjelp")
    assert "TIMER" in h.tg_to(CHAT)[-1]


async def test_start_with_a_bad_or_used_code_gets_a_kind_refusal(h: Harness) -> None:
    person = await h.person(name="Kari Nordmann", phone=None)
    invite = await h.api("POST", f"/api/people/{person['id']}/invite", expect=201)
    await h.tg(CHAT, "/start FEILKODE")
    assert h.tg_to(CHAT) == ["Koden virker ikke. Spør de ansatte om en ny kode."]
    await h.tg(CHAT, f"/start {invite['code']}")
    assert h.tg_to(CHAT)[-1].startswith("Hei Kari")
    await h.tg(OTHER_CHAT, f"/start {invite['code']}")  # someone else tries the same code
    assert h.tg_to(OTHER_CHAT) == ["Koden virker ikke. Spør de ansatte om en ny kode."]
    async with h.session() as session:
        other = await session.scalar(
            select(ContactPoint).where(ContactPoint.address == str(OTHER_CHAT))
        )
        assert other is not None
        assert other.person_id is None


async def test_a_button_press_answers_the_question_and_stops_the_spinner(h: Harness) -> None:
    person_id = await linked_person(h)
    async with h.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        question = await questions.ask(
            session, h.clock, person, kind="to_staff", text="Kommer du fredag?", label="Fredag"
        )
        assert question is not None
        question_id = question.id
    await h.send_due()
    asked = h.telegram.sent[-1]
    assert asked["text"] == "Kommer du fredag?"
    buttons = asked["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"q:{question_id}:yes", f"q:{question_id}:no"]

    assert await h.tg_press(CHAT, f"q:{question_id}:yes") == 200
    assert h.tg_to(CHAT)[-1] == "Takk for svaret!"
    assert h.telegram.answered_callbacks == [f"cb{h._update_id}"]
    async with h.session() as session:
        answered = await session.get(OpenQuestion, question_id)
        assert answered is not None
        assert (answered.status, answered.answer) == ("answered", "yes")


async def test_429_is_obeyed_on_the_clock_then_delivered_once(h: Harness) -> None:
    await linked_person(h)
    h.telegram.fail_next(429, "Too Many Requests: retry after 40", retry_after=40)
    await h.tg(CHAT, "hjelp")
    assert h.telegram.send_attempts == 2  # the link reply, then the refused one
    assert len(h.tg_to(CHAT)) == 1
    [_, reply] = await replies_to(h, CHAT)
    assert reply.status == "queued"
    assert reply.next_attempt_at is not None
    assert (reply.next_attempt_at - h.clock.now()).total_seconds() >= 40

    await h.advance(seconds=20)
    await h.tg(OTHER_CHAT, "/start")  # the whole channel is held, not only this chat
    await h.advance(seconds=19)
    assert h.telegram.send_attempts == 2
    assert h.tg_to(OTHER_CHAT) == []

    await h.advance(seconds=1)
    assert "TIMER" in h.tg_to(CHAT)[-1]
    assert len(h.tg_to(OTHER_CHAT)) == 1
    await h.advance(hours=1)
    assert len(h.tg_to(CHAT)) == 2
    [_, reply] = await replies_to(h, CHAT)
    assert (reply.status, reply.attempts) == ("sent", 2)


async def test_blocked_by_the_user_fails_for_good(h: Harness) -> None:
    await linked_person(h)
    h.telegram.fail_next(403, "Forbidden: bot was blocked by the user")
    await h.tg(CHAT, "hjelp")
    await h.advance(hours=3)
    assert h.telegram.send_attempts == 2
    [_, reply] = await replies_to(h, CHAT)
    assert reply.status == "failed"
    assert "blocked" in (reply.error or "")
    assert reply.attempts == 1


async def test_a_server_error_is_retried_with_backoff(h: Harness) -> None:
    await linked_person(h)
    h.telegram.fail_next(502, "Bad Gateway")
    await h.tg(CHAT, "hjelp")
    await h.advance(seconds=10)
    assert h.telegram.send_attempts == 2
    await h.advance(seconds=10)
    assert h.telegram.send_attempts == 3
    assert "TIMER" in h.tg_to(CHAT)[-1]
