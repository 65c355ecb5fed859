"""Check-in conversations: plans at local time, tapering, answers, silence, pauses, reports.

The clock starts on Monday 2 March 2026 at 10:00 in Oslo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import CheckinPlan, CheckinRound, InboxItem
from tests.harness import Harness, oslo

PHONE = "+4791234567"
STAFF_PHONE = "+4791111111"
QUESTION = "Hvordan har du det i dag? Svar 1 (dårlig) til 5 (bra)."


async def participant(h: Harness, phone: str | None = PHONE, **extra: Any) -> dict[str, Any]:
    staff = await h.person("Kari Ansatt", roles=["staff"], phone=None)
    return await h.person(phone=phone, contact_staff_id=staff["id"], **extra)


async def plan(h: Harness, person_id: int, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = await h.api(
        "POST", "/api/checkins", {"person_id": person_id, **body}, expect=201
    )
    return result


def questions_to(h: Harness, phone: str = PHONE) -> list[str]:
    return [text for text in h.sms_to(phone) if text.startswith("Hvordan har du det")]


async def inbox(h: Harness, kind: str) -> list[InboxItem]:
    async with h.session() as session:
        rows = await session.scalars(
            select(InboxItem).where(InboxItem.kind == kind).order_by(InboxItem.id)
        )
        return list(rows)


async def test_daily_plan_asks_at_local_time_and_keeps_the_answer(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], every="daily", at="18:00")
    assert created["next_due_at"] == "2026-03-02T17:00:00+00:00"
    await h.set_time(oslo(2026, 3, 2, 17, 59))
    assert questions_to(h) == []
    await h.set_time(oslo(2026, 3, 2, 18, 0))
    assert questions_to(h) == [QUESTION]

    await h.sms(PHONE, "4 Ok i dag, litt sliten")
    assert h.sms_to(PHONE)[-1] == "Takk for svaret!"
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["rounds"][0]["score"] == 4
    assert shown["rounds"][0]["free_text"] == "Ok i dag, litt sliten"
    assert shown["next_due_at"] == "2026-03-03T17:00:00+00:00"

    await h.set_time(oslo(2026, 3, 3, 18, 0))
    assert len(questions_to(h)) == 2


async def test_daily_plan_stays_at_ten_oclock_across_daylight_saving(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], every="daily", at="10:00")
    await h.set_time(oslo(2026, 3, 28, 10, 0))  # Saturday, still winter time
    asked = len(questions_to(h))
    await h.set_time(oslo(2026, 3, 29, 9, 59))  # Sunday: clocks went forward at 02:00
    assert len(questions_to(h)) == asked
    await h.set_time(oslo(2026, 3, 29, 10, 0))
    assert len(questions_to(h)) == asked + 1


async def test_weekly_plan_asks_on_its_day_only(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], every="weekly", weekday=3, at="12:00")  # Thursdays
    await h.set_time(oslo(2026, 3, 4, 12, 0))
    assert questions_to(h) == []
    await h.set_time(oslo(2026, 3, 5, 12, 0))
    assert questions_to(h) == [QUESTION]
    for day in (6, 9, 11):
        await h.set_time(oslo(2026, 3, day, 12, 0))
    assert len(questions_to(h)) == 1
    await h.set_time(oslo(2026, 3, 12, 12, 0))
    assert len(questions_to(h)) == 2


async def test_custom_question_and_telegram_buttons(h: Harness) -> None:
    ola = await participant(h, phone=None)
    await h.link_telegram(ola["id"], 7001)
    await plan(h, ola["id"], at="11:00", question="Hvordan gikk natten? Svar 1 til 5.")
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    sent = h.telegram.sent[-1]
    assert sent["text"] == "Hvordan gikk natten? Svar 1 til 5."
    buttons = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    await h.tg_press(7001, buttons[4]["callback_data"])
    assert h.tg_to(7001)[-1] == "Takk for svaret!"


async def test_transition_plan_tapers_from_daily_to_twice_weekly_to_weekly(h: Harness) -> None:
    ola = await participant(h)
    # Discharged on Monday 2 March: check in every day the first week.
    await plan(h, ola["id"], schedule="transition", starts_on="2026-03-02", at="11:00")
    asked_on: list[str] = []
    for n in range(42):
        day = oslo(2026, 3, 2, 11, 0) + timedelta(days=n)  # 11:00 local, also after DST
        before = len(questions_to(h))
        await h.set_time(day)
        if len(questions_to(h)) > before:
            asked_on.append(day.date().isoformat())
    assert asked_on[:7] == [f"2026-03-0{d}" for d in range(2, 9)]  # daily, week 1
    assert asked_on[7:13] == [  # Monday and Thursday, weeks 2-4
        "2026-03-09",
        "2026-03-12",
        "2026-03-16",
        "2026-03-19",
        "2026-03-23",
        "2026-03-26",
    ]
    assert asked_on[13:] == ["2026-03-30", "2026-04-06"]  # then weekly on Mondays


async def test_low_score_goes_to_the_contact_staff_with_a_caring_reply(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], at="11:00")
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    await h.sms(PHONE, "2 har det tungt")
    assert h.sms_to(PHONE)[-1].startswith("Takk for at du svarte. En av de ansatte tar kontakt")
    [item] = await inbox(h, "checkin_low")
    assert item.person_id == ola["id"]
    assert item.assigned_to == ola["contact_staff_id"]
    assert item.summary == "Innsjekk: 2 av 5. «har det tungt»"
    listed = await h.api("GET", "/api/inbox", expect=200)
    assert [i["kind"] for t in listed["items"] for i in t["items"]] == ["checkin_low"]


async def test_silence_one_nudge_then_not_reached_and_the_plan_keeps_going(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], at="11:00", escalate_after_missed=3)
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    await h.set_time(oslo(2026, 3, 2, 14, 59))
    assert len(h.sms_to(PHONE)) == 1
    await h.set_time(oslo(2026, 3, 2, 15, 0))  # four hours without an answer
    assert h.sms_to(PHONE)[-1] == f"Hei igjen, vi vil gjerne høre fra deg. {QUESTION}"
    await h.set_time(oslo(2026, 3, 2, 20, 0))
    assert len(h.sms_to(PHONE)) == 2  # one nudge, never more

    for day in (3, 4):
        await h.set_time(oslo(2026, 3, day, 11, 0))
        await h.set_time(oslo(2026, 3, day, 15, 0))
    assert await inbox(h, "not_reached") == []  # two missed so far
    await h.set_time(oslo(2026, 3, 5, 11, 0))  # the third round went unanswered
    [item] = await inbox(h, "not_reached")
    assert item.assigned_to == ola["contact_staff_id"]
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["status"] == "active"
    assert shown["missed_in_row"] == 3
    assert h.sms_to(PHONE)[-1] == QUESTION  # asked again, as always

    await h.sms(PHONE, "3")
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["missed_in_row"] == 0


async def test_nudge_waits_for_the_morning_after_a_late_question(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], at="19:00")
    await h.set_time(oslo(2026, 3, 2, 19, 0))
    await h.set_time(oslo(2026, 3, 2, 23, 30))
    await h.set_time(oslo(2026, 3, 3, 3, 0))
    assert len(h.sms_to(PHONE)) == 1
    await h.set_time(oslo(2026, 3, 3, 8, 0))
    assert h.sms_to(PHONE)[-1].startswith("Hei igjen")


async def test_crisis_words_at_three_at_night_get_an_answer_at_once(h: Harness) -> None:
    ola = await participant(h)
    await h.set_time(oslo(2026, 3, 3, 3, 0))  # quiet hours
    await h.sms(PHONE, "jeg orker ikke mer, vil ta livet mitt")
    reply = h.sms_to(PHONE)[-1]
    assert "113" in reply and "116 117" in reply and "116 123" in reply
    [item] = await inbox(h, "crisis")
    assert item.urgent and item.person_id == ola["id"]
    assert item.assigned_to == ola["contact_staff_id"]
    listed = await h.api("GET", "/api/inbox", expect=200)
    first = listed["items"][0]
    assert first["urgent"] is True and "crisis" in [i["kind"] for i in first["items"]]


async def test_crisis_from_an_unknown_number_and_in_english(h: Harness) -> None:
    await h.set_time(oslo(2026, 3, 3, 2, 0))
    await h.sms("+4798765432", "I want to kill myself")
    reply = h.sms_to("+4798765432")
    assert len(reply) == 1 and "113" in reply[0]
    [item] = await inbox(h, "crisis")
    assert item.urgent and item.person_id is None


async def test_crisis_words_win_over_an_open_checkin(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], at="11:00")
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    await h.sms(PHONE, "1 vil ikke leve")
    assert "116 123" in h.sms_to(PHONE)[-1]
    assert len(await inbox(h, "crisis")) == 1
    async with h.session() as session:
        [round_] = list(await session.scalars(select(CheckinRound)))
    assert round_.score == 1  # the score is kept, so it never counts as silence
    assert await inbox(h, "checkin_low") == []  # one urgent item is enough


async def test_no_false_alarm_for_activity_titles(h: Harness) -> None:
    await participant(h)
    for text in (
        "Kan jeg bli med på selvmordsforebygging-kurset?",
        "Selvmordsforebyggende arbeid, er det i dag?",
        "Er det plass på overdosekurs?",
        "naloxone course next week?",
    ):
        await h.sms(PHONE, text)
    assert await inbox(h, "crisis") == []
    assert len(await inbox(h, "message")) == 4
    assert h.sms_to(PHONE) == ["Takk, meldingen er mottatt. En av de ansatte leser den."]


async def test_out_of_office_hours_says_when_staff_are_back(h: Harness) -> None:
    await participant(h)
    await h.set_time(oslo(2026, 3, 6, 18, 0))  # Friday evening
    await h.sms(PHONE, "Kan noen ringe meg?")
    reply = h.sms_to(PHONE)[-1]
    assert "tilbake mandag 9. mars kl. 08:00" in reply
    assert "113" in reply and "116 117" in reply
    await h.sms(PHONE, "Hallo?")
    assert len(h.sms_to(PHONE)) == 1  # a burst of texts shares one answer
    [first, second] = await inbox(h, "message")
    assert first.summary == "Kan noen ringe meg?" and second.summary == "Hallo?"

    await h.set_time(oslo(2026, 3, 9, 22, 0))  # Monday night, quiet hours
    await h.sms(PHONE, "Hei igjen")
    assert "tilbake i morgen kl. 08:00" in h.sms_to(PHONE)[-1]
    await h.set_time(oslo(2026, 3, 10, 9, 0))
    await h.sms(PHONE, "God morgen")
    assert h.sms_to(PHONE)[-1] == "Takk, meldingen er mottatt. En av de ansatte leser den."


async def test_unknown_number_out_of_hours(h: Harness) -> None:
    await h.set_time(oslo(2026, 3, 7, 13, 0))  # Saturday
    await h.sms("+4798765432", "Hei, jeg trenger hjelp med noe")
    reply = h.sms_to("+4798765432")[-1]
    assert reply.startswith("Hei! Dette nummeret er ikke registrert hos oss.")
    assert "tilbake mandag 9. mars kl. 08:00" in reply


async def test_paused_person_gets_no_checkins_and_resumes_by_themselves(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], at="11:00")
    await h.api(
        "PATCH",
        f"/api/people/{ola['id']}",
        {"status": "paused", "paused_until": "2026-03-05T12:00:00"},
        expect=200,
    )
    paused = await h.items("/api/people?status=paused")
    assert [(p["id"], p["paused_until"]) for p in paused] == [
        (ola["id"], "2026-03-05T11:00:00+00:00")
    ]
    for day in (2, 3, 4, 5):
        await h.set_time(oslo(2026, 3, day, 11, 0))
    assert questions_to(h) == []
    await h.sms(PHONE, "Hei, jeg er på sykehuset")  # their own texts are still answered
    assert h.sms_to(PHONE)[-1].startswith("Takk, meldingen er mottatt")

    await h.set_time(oslo(2026, 3, 5, 12, 0))
    assert await h.items("/api/people?status=paused") == []
    await h.set_time(oslo(2026, 3, 6, 11, 0))
    assert questions_to(h) == [QUESTION]
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["missed_in_row"] == 0  # a pause is not silence


async def test_plan_pause_resume_and_end_by_staff(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], at="11:00")
    path = f"/api/checkins/{created['id']}"
    paused = await h.api("PATCH", path, {"status": "paused"}, expect=200)
    assert paused["status"] == "paused" and paused["next_due_at"] is None
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    assert questions_to(h) == []
    resumed = await h.api("PATCH", path, {"status": "active", "at": "12:00"}, expect=200)
    assert resumed["next_due_at"] == "2026-03-02T11:00:00+00:00"
    await h.set_time(oslo(2026, 3, 2, 12, 0))
    assert questions_to(h) == [QUESTION]
    ended = await h.api("DELETE", path, expect=200)
    assert ended["status"] == "ended" and ended["ended_reason"] == "staff"
    await h.set_time(oslo(2026, 3, 3, 12, 0))
    assert len(questions_to(h)) == 1
    await h.sms(PHONE, "4")  # the closed question takes no answer
    async with h.session() as session:
        scores = list(await session.scalars(select(CheckinRound.score)))
    assert scores == [None]


async def test_stopp_ends_the_plan(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], at="11:00")
    await h.sms(PHONE, "STOPP")
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    shown = await h.api("GET", f"/api/checkins/{created['id']}", expect=200)
    assert shown["status"] == "ended" and shown["ended_reason"] == "opted_out"
    assert questions_to(h) == []


async def test_weekly_contact_report_lists_who_was_not_heard_from(h: Harness) -> None:
    staff = await h.person("Kari Ansatt", roles=["staff"], phone=None)
    answered = await h.person("Anne Svar", phone="+4790000001", contact_staff_id=staff["id"])
    wrote = await h.person("Bjørn Skrev", phone="+4790000002", contact_staff_id=staff["id"])
    silent = await h.person("Cato Stille", phone="+4790000003", contact_staff_id=staff["id"])
    await h.person("Dina Uten Plan", phone="+4790000004")
    paused = await h.person("Even Innlagt", phone="+4790000005")
    for person in (answered, wrote, silent, paused):
        await plan(h, person["id"], every="weekly", weekday=2, at="11:00")  # Wednesdays
    await h.api("PATCH", f"/api/people/{paused['id']}", {"status": "paused"}, expect=200)
    await h.set_time(oslo(2026, 3, 4, 11, 0))
    await h.sms("+4790000001", "5")
    await h.sms("+4790000002", "Hei, ses på fredag")

    report = await h.api("GET", "/api/reports/contact?week=2026-W10", expect=200)
    assert report["week"] == "2026-W10" and report["from"] == "2026-03-02"
    assert [p["person_id"] for p in report["not_reached"]] == [silent["id"]]
    row = report["not_reached"][0]
    assert row["name"] == "Cato Stille" and row["checkins_asked"] == 1
    assert row["last_heard_at"] is None and row["contact_staff_id"] == staff["id"]

    await h.set_time(oslo(2026, 3, 11, 11, 0))
    await h.sms("+4790000003", "4")
    next_week = await h.api("GET", "/api/reports/contact?week=2026-W11", expect=200)
    assert sorted(p["name"] for p in next_week["not_reached"]) == ["Anne Svar", "Bjørn Skrev"]
    await h.api("GET", "/api/reports/contact?week=uke10", expect=422)


async def test_stats_count_checkins_and_give_a_weekly_trend(h: Harness) -> None:
    ola = await participant(h)
    await plan(h, ola["id"], at="11:00", escalate_after_missed=2)
    answers = {2: "4", 3: "2", 4: None, 5: None, 9: "3"}
    for day, answer in answers.items():
        await h.set_time(oslo(2026, 3, day, 11, 0))
        if answer:
            await h.sms(PHONE, answer)
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    figures = stats["checkins"]
    assert figures["sent"] == 5 and figures["answered"] == 3
    assert figures["escalations"] == {"low_score": 1, "not_reached": 1, "crisis": 0}
    assert figures["trend"] == [
        {"person_id": ola["id"], "week": "2026-W10", "average": 3.0, "answers": 2},
        {"person_id": ola["id"], "week": "2026-W11", "average": 3.0, "answers": 1},
    ]
    march_first_week = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-03-04", expect=200)
    assert march_first_week["checkins"]["sent"] == 2


async def test_erasing_a_person_erases_what_they_wrote_and_ends_the_plan(h: Harness) -> None:
    ola = await participant(h)
    created = await plan(h, ola["id"], at="11:00", question="Hvordan var dagen, Ola?")
    await h.set_time(oslo(2026, 3, 2, 11, 0))
    await h.sms(PHONE, "4 fint besøk hos mor")
    await h.api("DELETE", f"/api/people/{ola['id']}", expect=200)
    async with h.session() as session:
        stored = await session.get(CheckinPlan, created["id"])
        rounds = list(await session.scalars(select(CheckinRound)))
    assert stored is not None and stored.status == "ended" and stored.question is None
    assert [(r.score, r.free_text) for r in rounds] == [(4, None)]


async def test_plan_input_is_checked(h: Harness) -> None:
    ola = await participant(h)
    bad = await h.api("POST", "/api/checkins", {"person_id": ola["id"], "at": "25:00"}, expect=422)
    assert "at" in bad["error"]["fields"]
    bad = await h.api("POST", "/api/checkins", {"person_id": 999, "at": "10:00"}, expect=422)
    assert "person_id" in bad["error"]["fields"]
    bad = await h.api(
        "POST",
        "/api/checkins",
        {"person_id": ola["id"], "at": "10:00", "every": "hourly"},
        expect=422,
    )
    assert "every" in bad["error"]["fields"]
    await h.api("GET", "/api/checkins/999", expect=404)
    created = await plan(h, ola["id"], at="10:00")
    listed = await h.items(f"/api/checkins?person_id={ola['id']}")
    assert [p["id"] for p in listed] == [created["id"]]
    doc = await (await h.client.get("/api/openapi.json")).json()
    assert "/api/checkins" in doc["paths"] and "/api/reports/contact" in doc["paths"]
