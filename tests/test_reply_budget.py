"""The reply budget (CONTRACT §8): floods and auto-responder loops cost a few texts, not
thousands; crisis answers stay outside it and reach even someone who said STOPP."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.clock import FakeClock
from storage.models import InboxItem, Message
from tests import harness
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import Harness, oslo, running_harness

PHONE = "+4791234567"
ROBOT = "+4798700000"
CRISIS = "jeg vil ikke leve lenger"


async def inbox_kinds(h: Harness) -> list[str]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem.kind).order_by(InboxItem.id)))


async def inbound_count(h: Harness, phone: str) -> int:
    async with h.session() as session:
        count = await session.scalar(
            select(func.count()).where(Message.direction == "in", Message.address == phone)
        )
        return int(count or 0)


async def test_200_hjelp_from_one_number_get_at_most_5_answers(h: Harness) -> None:
    await h.person(phone=PHONE)
    for n in range(200):
        assert await h.sms(PHONE, "HJELP") == 200
        if n % 20 == 19:
            await h.advance(minutes=1)  # 200 texts over ten minutes
    assert 1 <= len(h.sms_to(PHONE)) <= 5
    assert await inbound_count(h, PHONE) == 200  # every text is stored all the same
    kinds = await inbox_kinds(h)
    # Staff hear of it once: the same text again and again is taken for an auto-responder.
    assert kinds.count("flood") + kinds.count("auto_responder") == 1


async def test_different_answers_stop_at_5_in_10_minutes_and_20_a_day(h: Harness) -> None:
    await h.person(phone=PHONE)
    words = ["HJELP", "TIMER", "AKTIVITETER", "VAKTER", "FORSLAG", "kan noen ringe meg?"]

    async def one_round() -> None:
        for word in words:
            await h.sms(PHONE, word)
            await h.advance(seconds=6)  # slower than an auto-responder
        await h.advance(minutes=11)

    for _ in range(6):
        await one_round()
    # Six rounds more than ten minutes apart: at most 5 in each, and 20 in the day.
    assert len(h.sms_to(PHONE)) == 20
    await h.advance(hours=24)
    await one_round()
    assert len(h.sms_to(PHONE)) == 25  # a new day, a new budget
    assert (await inbox_kinds(h)).count("flood") == 2  # one item a day about the flood


async def test_answers_to_questions_still_count_past_the_budget(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    created = await h.api(
        "POST",
        "/api/checkins",
        {"person_id": ola["id"], "every": "daily", "at": "10:30"},
        expect=201,
    )
    await h.set_time(oslo(2026, 3, 2, 10, 30))
    for word in ["HJELP", "TIMER", "AKTIVITETER", "VAKTER", "FORSLAG"]:
        await h.sms(PHONE, word)
    answered = len(h.sms_to(PHONE))
    await h.sms(PHONE, "4 ok i dag")
    assert len(h.sms_to(PHONE)) == answered  # no "thanks": the budget is spent
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["rounds"][0]["score"] == 4  # but the answer counts


async def test_an_auto_responder_loop_ends_within_5_texts(h: Harness) -> None:
    """A robot that answers every text from Los within two seconds, always the same way."""
    away = "Takk for meldingen! Jeg er borte til mandag og svarer da."
    await h.person(phone=ROBOT)
    await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Kafeen holder stengt i morgen.", "audience": {"roles": ["participant"]}},
        expect=202,
    )
    await h.send_due()
    robot_texts, seen = 0, 0
    while len(h.sms_to(ROBOT)) > seen and robot_texts < 20:
        seen = len(h.sms_to(ROBOT))
        await h.advance(seconds=2)
        await h.sms(ROBOT, away)
        robot_texts += 1
    assert robot_texts <= 5
    for _ in range(3):  # it goes on: the same text, again and again
        await h.advance(seconds=30)
        await h.sms(ROBOT, away)
    assert "auto_responder" in await inbox_kinds(h)
    muted_at = len(h.sms_to(ROBOT))
    await h.advance(hours=2)
    await h.sms(ROBOT, "HJELP")
    assert len(h.sms_to(ROBOT)) == muted_at  # not answered for a day
    await h.advance(hours=24)
    await h.sms(ROBOT, "HJELP")
    assert len(h.sms_to(ROBOT)) == muted_at + 1


async def test_prose_within_seconds_of_our_answer_again_and_again_marks_a_robot(
    h: Harness,
) -> None:
    await h.person(phone=ROBOT)
    await h.sms(ROBOT, "Automatisk svar: jeg er ikke til stede.")
    assert len(h.sms_to(ROBOT)) == 1
    for n in range(2):
        await h.advance(seconds=1)
        await h.sms(ROBOT, f"Auto-reply {n}: I am out of office.")
    assert "auto_responder" not in await inbox_kinds(h)
    await h.advance(seconds=1)
    await h.sms(ROBOT, "Auto-reply 3: I am out of office.")
    assert "auto_responder" in await inbox_kinds(h)


async def test_a_person_texting_now_and_then_is_never_taken_for_a_robot(h: Harness) -> None:
    await h.person(phone=PHONE)
    for word in ["HJELP", "TIMER", "AKTIVITETER", "VAKTER"]:
        await h.sms(PHONE, word)
        await h.advance(seconds=40)
    assert len(h.sms_to(PHONE)) == 4
    assert "auto_responder" not in await inbox_kinds(h)


async def test_crisis_answers_are_outside_the_budget_at_most_one_per_15_minutes(
    h: Harness,
) -> None:
    await h.person(phone=PHONE)
    for _ in range(6):
        await h.sms(PHONE, "HJELP")
        await h.sms(PHONE, "TIMER")
    before = len(h.sms_to(PHONE))
    await h.sms(PHONE, CRISIS)
    await h.sms(PHONE, CRISIS)
    crisis = [text for text in h.sms_to(PHONE)[before:] if "113" in text]
    assert len(crisis) == 1
    await h.advance(minutes=15)
    await h.sms(PHONE, CRISIS)
    assert len([text for text in h.sms_to(PHONE) if "113" in text]) == 2
    assert (await inbox_kinds(h)).count("crisis") == 3  # every crisis text reaches staff


async def test_crisis_words_after_stopp_get_the_emergency_numbers_and_nothing_else(
    h: Harness,
) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "STOPP")
    assert len(h.sms_to(PHONE)) == 1
    await h.advance(minutes=1)
    await h.sms(PHONE, CRISIS)
    assert "113" in h.sms_to(PHONE)[-1]
    await h.sms(PHONE, "HJELP")
    await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Kafeen er stengt i dag.", "audience": {"roles": ["participant"]}},
        expect=202,
    )
    await h.send_due()
    assert len(h.sms_to(PHONE)) == 2  # the confirmation and the emergency numbers only


async def test_the_limits_are_settings(
    database_url: str, clock: FakeClock, twilio: FakeTwilio, telegram: FakeTelegram
) -> None:
    settings = harness.test_settings(
        database_url, twilio.url, telegram.url, los_replies_per_10_min=2, los_same_reply_minutes=0
    )
    async with running_harness(settings, clock, twilio, telegram) as h:
        await h.person(phone=PHONE)
        for _ in range(4):
            await h.sms(PHONE, "HJELP")
        assert len(h.sms_to(PHONE)) == 2
