"""Surveys by text: one question at a time, a reminder, STOPP, Telegram buttons, and anonymous
answers that nothing leads back to the person who gave them.

The clock starts on Monday 2 March 2026 at 10:00 in Oslo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy import text as sql

from storage.models import Base, Message, OpenQuestion, SurveyRecipient
from tests.harness import Harness

PHONES = [f"+479100000{n}" for n in range(5)]
CHAT = 777001
SECRET = "Mer kaffe takk fra Kari"


async def survey(h: Harness, **body: Any) -> dict[str, Any]:
    questions = [
        {"kind": "scale", "text": "Hvor fornøyd er du med maten?"},
        {"kind": "yesno", "text": "Vil du være med på tur?"},
        {"kind": "text", "text": "Hva kan vi gjøre bedre?"},
    ]
    result: dict[str, Any] = await h.api(
        "POST", "/api/surveys", {"title": "Høst", "questions": questions, **body}, expect=201
    )
    return result


async def people(h: Harness, count: int) -> list[int]:
    return [(await h.person(f"Person {n}", phone=PHONES[n]))["id"] for n in range(count)]


async def send(h: Harness, survey_id: int, person_ids: list[int]) -> dict[str, Any]:
    result: dict[str, Any] = await h.api(
        "POST",
        f"/api/surveys/{survey_id}/send",
        {"audience": {"person_ids": person_ids}},
        expect=200,
    )
    await h.send_due()
    return result


async def test_one_question_at_a_time_and_results_with_n_mean_and_distribution(
    h: Harness,
) -> None:
    ids = await people(h, 5)
    made = await survey(h)
    assert (await send(h, made["id"], ids)) == {"asked": 5, "skipped": 0}
    first = h.sms_to(PHONES[0])
    assert first == [
        "Høst: 3 korte spørsmål, ett om gangen. Svar om du vil. STOPP for å slutte.\n"
        "1/3: Hvor fornøyd er du med maten? Svar 1 (lite) til 5 (mye)."
    ]
    scores = [5, 4, 4, 3, 5]
    for n, phone in enumerate(PHONES):
        await h.sms(phone, str(scores[n]))
        assert h.sms_to(phone)[-1] == "2/3: Vil du være med på tur? Svar JA eller NEI."
        await h.sms(phone, "ja" if n < 3 else "nei")
        assert h.sms_to(phone)[-1] == "3/3: Hva kan vi gjøre bedre? Svar med noen få ord."
        await h.sms(phone, SECRET if n == 1 else f"Alt bra, ring meg på 912 34 567 ({n})")
        assert h.sms_to(phone)[-1] == "Takk for svarene dine! De hjelper oss å bli bedre."
    result = await h.api("GET", f"/api/surveys/{made['id']}/results", expect=200)
    assert result["withheld"] is False
    assert result["recipients"]["answered"] == 5
    food, trip, better = result["questions"]
    assert (food["n"], food["mean"]) == (5, 4.2)
    assert food["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 2, "5": 2}
    assert trip["distribution"] == {"yes": 3, "no": 2}
    assert better["n"] == 5 and SECRET in better["answers"]
    assert not any("912" in a for a in better["answers"])  # phone numbers are taken out


async def test_an_anonymous_answer_cannot_be_tied_to_the_person(h: Harness) -> None:
    ids = await people(h, 5)
    made = await survey(h, anonymous=True)
    await send(h, made["id"], ids)
    for n, phone in enumerate(PHONES):
        await h.sms(phone, "2" if n == 1 else "5")
        await h.sms(phone, "nei" if n == 1 else "ja")
        await h.sms(phone, SECRET if n == 1 else "Fint")
    kari = ids[1]

    # Through the API: her messages, the survey and its results name no answer of hers.
    thread = await h.items(f"/api/people/{kari}/messages")
    shown = repr(thread)
    assert SECRET not in shown
    assert all(m.get("text") in (None, "") for m in thread if m["direction"] == "in")
    results = await h.api("GET", f"/api/surveys/{made['id']}/results", expect=200)
    assert "person" not in repr(results) and "recipient_id" not in repr(results)
    assert "person" not in repr(await h.api("GET", f"/api/surveys/{made['id']}", expect=200))

    async with h.session() as session:
        # Her incoming rows are kept (they count) without what they said.
        rows = await session.scalars(
            select(Message).where(Message.person_id == kari, Message.direction == "in")
        )
        for row in rows:
            assert (row.text, row.kind, row.button_answer) == (None, "survey_answer", None)
        asked = await session.scalars(
            select(OpenQuestion).where(
                OpenQuestion.person_id == kari, OpenQuestion.kind == "survey"
            )
        )
        assert [q.answer for q in asked] == [None, None, None]
        # Every text column of every table: her words are only in the question's shuffled list.
        holding = []
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, String | Text) or column.name == "answers":
                    found = await session.scalar(
                        select(table.c[column.name])
                        .where(sql(f"CAST({column.name} AS TEXT) LIKE :s"))
                        .params(s=f"%{SECRET}%")
                        .limit(1)
                    )
                    if found is not None:
                        holding.append(f"{table.name}.{column.name}")
        assert holding == ["survey_free_texts.answers"]
        # No time, no person and no row per answer where the answers are kept.
        for name in ("survey_tallies", "survey_free_texts"):
            columns = Base.metadata.tables[name].columns
            assert not [c.name for c in columns if isinstance(c.type, DateTime)]
            assert not [c.name for c in columns if "person" in c.name or "recipient" in c.name]
        # One row per question and value, all made when the survey opened, in a fixed order
        # that says nothing about who answered last.
        read = await session.execute(sql("SELECT question_id, value FROM survey_tallies"))
        tallies = read.all()
        assert sorted(v for _, v in tallies) == ["1", "2", "3", "4", "5", "no", "yes"]
        for question_id in {q for q, _ in tallies}:
            values = [v for q, v in tallies if q == question_id]
            # as made, or by key (SQLite reads the primary key's index)
            assert values in (["1", "2", "3", "4", "5"], ["yes", "no"], ["no", "yes"])
        free = await session.execute(sql("SELECT * FROM survey_free_texts"))
        assert len(free.all()) == 1  # one list for the question, not a row per answer
        named = await session.execute(sql("SELECT count(*) FROM survey_answers"))
        assert named.scalar() == 0


async def test_an_anonymous_survey_shows_results_only_from_five_answers(h: Harness) -> None:
    ids = await people(h, 2)
    made = await survey(h, anonymous=True)
    await send(h, made["id"], ids)
    for answer in ("4", "ja", "Bra"):
        await h.sms(PHONES[0], answer)
    result = await h.api("GET", f"/api/surveys/{made['id']}/results", expect=200)
    assert result["withheld"] is True
    assert "n" not in result["questions"][0] or result["questions"][0]["n"] is None


async def test_one_reminder_then_the_survey_gives_up(h: Harness) -> None:
    ids = await people(h, 1)
    made = await survey(h)
    await send(h, made["id"], ids)
    await h.sms(PHONES[0], "4")
    assert len(h.sms_to(PHONES[0])) == 2
    await h.advance(hours=23)
    assert len(h.sms_to(PHONES[0])) == 2
    await h.advance(hours=2)
    assert h.sms_to(PHONES[0])[-1] == (
        "Vi minner om spørsmålet: 2/3: Vil du være med på tur? Svar JA eller NEI."
    )
    await h.advance(days=3)
    assert len(h.sms_to(PHONES[0])) == 3  # one reminder, never a second
    async with h.session() as session:
        recipient = await session.scalar(select(SurveyRecipient))
        assert recipient is not None
        assert (recipient.status, recipient.position, recipient.reminded) == ("expired", 1, True)


async def test_stopp_in_the_middle_ends_the_survey_for_that_person(h: Harness) -> None:
    ids = await people(h, 1)
    made = await survey(h, anonymous=False)
    await send(h, made["id"], ids)
    await h.sms(PHONES[0], "4")
    await h.sms(PHONES[0], "STOPP")
    assert h.sms_to(PHONES[0])[-1].startswith("Du får ikke flere meldinger")
    sent = len(h.sms_to(PHONES[0]))
    await h.advance(days=2)
    assert len(h.sms_to(PHONES[0])) == sent  # no reminder, no next question
    async with h.session() as session:
        recipient = await session.scalar(select(SurveyRecipient))
        assert recipient is not None and recipient.status == "stopped"
    result = await h.api("GET", f"/api/surveys/{made['id']}/results", expect=200)
    assert result["questions"][0]["n"] == 1  # what was answered before STOPP still counts
    again = await send(h, made["id"], ids)
    assert again == {"asked": 0, "skipped": 1}


async def test_telegram_gets_buttons_and_a_press_answers(h: Harness) -> None:
    person = await h.person("Tele Gram", phone=None)
    await h.link_telegram(person["id"], CHAT)
    made = await survey(h, anonymous=False)
    await send(h, made["id"], [person["id"]])
    asked = h.telegram.sent[-1]
    buttons = asked["reply_markup"]["inline_keyboard"]
    data = [b["callback_data"] for row in buttons for b in row]
    assert [d.rsplit(":", 1)[1] for d in data] == ["1", "2", "3", "4", "5"]
    await h.tg_press(CHAT, data[2])
    assert h.tg_to(CHAT)[-1].startswith("2/3: Vil du være med på tur?")
    yes_no = h.telegram.sent[-1]["reply_markup"]["inline_keyboard"]
    yes = next(b["callback_data"] for row in yes_no for b in row)
    await h.tg_press(CHAT, yes)
    assert "reply_markup" not in h.telegram.sent[-1] or not h.telegram.sent[-1]["reply_markup"]
    await h.tg(CHAT, "Mer frukt")
    assert h.tg_to(CHAT)[-1].startswith("Takk for svarene")
    result = await h.api("GET", f"/api/surveys/{made['id']}/results", expect=200)
    assert result["questions"][0]["distribution"]["3"] == 1
    assert result["questions"][2]["answers"] == ["Mer frukt"]


async def test_templates_and_bad_surveys(h: Harness) -> None:
    templates = (await h.api("GET", "/api/survey-templates", expect=200))["templates"]
    yearly = next(t for t in templates if t["key"] == "yearly")
    assert len(yearly["questions"]) == 5
    session_feedback = next(t for t in templates if t["key"] == "session")
    assert len(session_feedback["questions"]) == 4
    made = await h.api("POST", "/api/surveys", {"template": "yearly"}, expect=201)
    assert made["title"] == "Brukerundersøkelse" and made["anonymous"] is True
    too_many = [{"kind": "scale", "text": f"Q{n}"} for n in range(7)]
    bad = await h.api("POST", "/api/surveys", {"title": "X", "questions": too_many}, expect=422)
    assert "questions" in bad["error"]["fields"]
    bad = await h.api("POST", "/api/surveys", {"title": "X"}, expect=422)
    assert "questions" in bad["error"]["fields"]
    bad = await h.api("POST", f"/api/surveys/{made['id']}/send", {}, expect=422)
    assert "audience" in bad["error"]["fields"]


async def test_session_feedback_follows_an_attended_appointment(h: Harness) -> None:
    ids = await people(h, 1)
    made = await h.api("POST", "/api/surveys", {"template": "session"}, expect=201)
    assert made["trigger"] == "appointment_attended"
    await h.api("POST", f"/api/surveys/{made['id']}/send", {}, expect=200)
    appointment = await h.api(
        "POST",
        "/api/appointments",
        {"person_id": ids[0], "starts_at": "2026-03-02T11:00:00", "reminders_minutes_before": []},
        expect=201,
    )
    await h.advance(hours=2)
    await h.api(
        "PATCH", f"/api/appointments/{appointment['id']}", {"status": "attended"}, expect=200
    )
    await h.advance(minutes=6)
    assert h.sms_to(PHONES[0])[-1].endswith(
        "1/4: Følte du deg lyttet til i dag? Svar 1 (lite) til 5 (mye)."
    )
