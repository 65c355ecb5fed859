"""JA/NEI against open questions: one open, several open, buttons, too late."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers import questions
from storage.models import InboxItem, OpenQuestion, Person
from tests.harness import Harness

PHONE = "+4791234567"


async def ask(h: Harness, person_id: int, label: str, **options: Any) -> int:
    async with h.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        question = await questions.ask(
            session,
            h.clock,
            person,
            kind="to_staff",
            text=f"{label}? Svar JA eller NEI.",
            label=label,
            **options,
        )
        assert question is not None
        question_id = question.id
    await h.send_due()
    return question_id


async def inbox(h: Harness) -> list[InboxItem]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem).order_by(InboxItem.id)))


async def test_one_open_question_takes_the_answer(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    await ask(h, ola["id"], "Vil du ha en ny time")
    assert h.sms_to(PHONE) == ["Vil du ha en ny time? Svar JA eller NEI."]
    await h.sms(PHONE, "Ja takk!")
    assert h.sms_to(PHONE)[-1] == "Takk for svaret!"
    assert [i.summary for i in await inbox(h)] == ["JA: Vil du ha en ny time"]


async def test_two_open_questions_ask_which_then_numbered_answer(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    first = await ask(h, ola["id"], "Kafé fredag")
    second = await ask(h, ola["id"], "Tur lørdag")
    await h.sms(PHONE, "JA")
    assert "1: Kafé fredag" in h.sms_to(PHONE)[-1] and "2: Tur lørdag" in h.sms_to(PHONE)[-1]
    async with h.session() as session:
        statuses = list(
            await session.scalars(select(OpenQuestion.status).order_by(OpenQuestion.id))
        )
    assert statuses == ["open", "open"]  # never guessed
    await h.sms(PHONE, "2 ja")
    async with h.session() as session:
        assert (await session.get(OpenQuestion, second)).status == "answered"  # type: ignore[union-attr]
        assert (await session.get(OpenQuestion, first)).status == "open"  # type: ignore[union-attr]


async def test_telegram_button_answers_its_own_question(h: Harness) -> None:
    ola = await h.person(phone=None)
    await h.link_telegram(ola["id"], 5551)
    assert h.tg_to(5551)[-1].startswith("Hei Ola!")
    first = await ask(h, ola["id"], "Kafé fredag")
    await ask(h, ola["id"], "Tur lørdag")
    sent = h.telegram.sent[-2]
    buttons = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["JA", "NEI"]
    assert buttons[1]["callback_data"] == f"q:{first}:no"
    await h.tg_press(5551, f"q:{first}:no")
    async with h.session() as session:
        question = await session.get(OpenQuestion, first)
        assert question is not None and question.answer == "no"
    assert h.telegram.answered_callbacks  # the button's spinner was stopped


async def test_answer_after_the_question_expired_is_not_applied(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    qid = await ask(h, ola["id"], "Avtale", expires_at=h.clock.now().replace(hour=10))
    await h.advance(hours=2)
    await h.sms(PHONE, "ja")
    assert h.sms_to(PHONE)[-1] == "Takk for svaret. Den tiden er allerede passert."
    async with h.session() as session:
        assert (await session.get(OpenQuestion, qid)).status == "open"  # type: ignore[union-attr]
