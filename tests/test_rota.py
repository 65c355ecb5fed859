"""The volunteer rota by text: plans, offers, JA/NEI, silence, open calls, AVBUD, reminders,
hours and the calendar feed. The clock starts on Monday 2 March 2026 10:00 in Oslo."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Assignment, InboxItem, Message
from tests.harness import Harness, oslo

KARI = "+4791000001"
PER = "+4791000002"
LISE = "+4791000003"
OFFER = "Kan du ta kafévakt torsdag 5. mars 16:00-20:00? Svar JA eller NEI."
CONFIRMED = (
    "Tusen takk! Du har kafévakt torsdag 5. mars 16:00-20:00. Skriv AVBUD hvis du ikke kan likevel."
)
TAKEN = "Takk! Vakten er allerede tatt. Vi spør deg gjerne en annen gang."


async def volunteer(h: Harness, name: str, phone: str | None, **terms: Any) -> int:
    person = await h.person(name, ["volunteer"], phone)
    if terms:
        body = {"weekdays": list(range(7)), **terms}
        await h.api("PUT", f"/api/people/{person['id']}/availability", body, expect=200)
    return int(person["id"])


async def cafe(h: Harness, needed: int = 1, **extra: Any) -> int:
    body = {
        "title": "kafévakt",
        "starts_at": "2026-03-05T16:00:00",
        "ends_at": "2026-03-05T20:00:00",
        "needed": needed,
        **extra,
    }
    shift = await h.api("POST", "/api/shifts", body, expect=201)
    return int(shift["id"])


async def plan(h: Harness, first: str = "2026-03-05", last: str = "2026-03-05", **extra: Any):
    """Plan the days ``first`` to ``last``, both included (the API's ``to`` is exclusive)."""
    to = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    body = {"from": first, "to": to, **extra}
    result = await h.api("POST", "/api/rota/plan", body, expect=200)
    await h.send_due()
    return result


async def statuses(h: Harness, shift_id: int) -> dict[int, str]:
    shift = await h.api("GET", f"/api/shifts/{shift_id}", expect=200)
    return {a["person_id"]: a["status"] for a in shift["assignments"]}


async def inbox_kinds(h: Harness) -> list[str]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem.kind).order_by(InboxItem.id)))


async def test_templates_make_the_shifts_of_a_period(h: Harness) -> None:
    template = await h.api(
        "POST",
        "/api/shift-templates",
        {
            "title": "kjøkken",
            "weekdays": [0, 1, 2, 3, 4],
            "start": "07:30",
            "end": "13:00",
            "needed": 2,
            "role": "kjøkken",
        },
        expect=201,
    )
    made = await h.api(
        "POST",
        f"/api/shift-templates/{template['id']}/generate",
        {"from": "2026-03-23", "to": "2026-04-06"},
        expect=201,
    )
    assert made["created"] == 10  # two weeks, Monday to Friday
    starts = [s["starts_at"] for s in made["shifts"]]
    assert starts[0] == "2026-03-23T06:30:00+00:00"  # 07:30 in winter time
    assert starts[5] == "2026-03-30T05:30:00+00:00"  # 07:30 in summer time
    assert {s["needed"] for s in made["shifts"]} == {2}
    again = await h.api(
        "POST",
        f"/api/shift-templates/{template['id']}/generate",
        {"from": "2026-03-23", "to": "2026-04-01"},
        expect=201,
    )
    assert again["created"] == 0  # making a period twice is harmless
    bad = await h.api(
        "POST",
        "/api/shift-templates",
        {"title": "x", "weekdays": [1], "start": "7", "end": "13:00"},
    )
    assert h.last_status == 422 and "start" in bad["error"]["fields"]
    bad = await h.api(
        "POST",
        "/api/shift-templates",
        {"title": "x", "weekdays": [7], "start": "07:00", "end": "13:00"},
    )
    assert h.last_status == 422 and "weekdays.0" in bad["error"]["fields"]
    # /api/rota/plan makes the templates' shifts of its period too.
    result = await plan(h, "2026-04-06", "2026-04-06")
    assert result["generated"] == 1
    assert result["unfilled"] == [{"shift_id": result["unfilled"][0]["shift_id"], "places": 2}]


async def test_availability_is_for_volunteers_and_checked(h: Harness) -> None:
    ola = await h.person("Ola", ["participant"], "+4791000009")
    answer = await h.api("PUT", f"/api/people/{ola['id']}/availability", {"weekdays": [0]})
    assert h.last_status == 422 and "person_id" in answer["error"]["fields"]
    kari = await volunteer(h, "Kari", KARI)
    answer = await h.api(
        "PUT",
        f"/api/people/{kari}/availability",
        {"weekdays": [0], "from_time": "16:00", "to_time": "08:00"},
    )
    assert h.last_status == 422 and "to_time" in answer["error"]["fields"]
    terms = await h.api(
        "PUT",
        f"/api/people/{kari}/availability",
        {
            "weekdays": [3, 0, 3],
            "max_shifts_per_month": 4,
            "unavailable_dates": ["2026-03-12"],
            "from_time": "15:00",
            "to_time": "21:00",
            "qualifications": ["førstehjelp", "kurs modul 1"],
        },
        expect=200,
    )
    assert terms["weekdays"] == [0, 3] and terms["unavailable_dates"] == ["2026-03-12"]
    assert (await h.api("GET", f"/api/people/{kari}/availability", expect=200)) == terms


async def test_the_plan_follows_the_terms_and_spreads_evenly(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI, weekdays=[0, 1, 2, 3, 4])
    per = await volunteer(h, "Per", PER, weekdays=[0, 1, 2, 3, 4])
    lise = await volunteer(h, "Lise", LISE, weekdays=[5, 6])  # weekends only
    first_aid = await volunteer(
        h, "Nils", "+4791000004", weekdays=[3], qualifications=["førstehjelp"]
    )
    await h.api(
        "POST",
        "/api/shift-templates",
        {"title": "kjøkken", "weekdays": [0, 1, 2, 3], "start": "08:00", "end": "12:00"},
        expect=201,
    )
    tur = await h.api(
        "POST",
        "/api/shifts",
        {
            "title": "tur",
            "starts_at": "2026-03-05T13:00",
            "ends_at": "2026-03-05T15:00",
            "qualification": "førstehjelp",
        },
        expect=201,
    )
    result = await plan(h, "2026-03-09", "2026-03-12")
    assert result["unfilled"] == []
    load: dict[int, int] = {}
    for offer in result["offers"]:
        load[offer["person_id"]] = load.get(offer["person_id"], 0) + 1
    assert sum(load.values()) == 4 and lise not in load  # Lise only comes at weekends
    assert max(load.values()) - min(load.values()) <= 1 and set(load) == {kari, per, first_aid}
    result = await plan(h, "2026-03-05", "2026-03-05")
    assert (tur["id"], first_aid) in [(o["shift_id"], o["person_id"]) for o in result["offers"]]
    assert "Kan du ta tur torsdag 5. mars 13:00-15:00?" in h.sms_to("+4791000004")[-1]


async def test_offer_then_ja_confirms_and_thanks(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI, weekdays=[3])
    shift = await cafe(h)
    result = await plan(h)
    assert [o["person_id"] for o in result["offers"]] == [kari]
    assert h.sms_to(KARI) == [OFFER]
    await h.sms(KARI, "Ja!")
    assert h.sms_to(KARI)[-1] == CONFIRMED
    assert await statuses(h, shift) == {kari: "confirmed"}
    await h.sms(KARI, "vakter")
    assert h.sms_to(KARI)[-1] == "Dine vakter:\n1: kafévakt torsdag 5. mars 16:00-20:00"


async def test_telegram_offer_has_buttons_and_a_press_answers_it(h: Harness) -> None:
    kari = await volunteer(h, "Kari", None, weekdays=[3])
    await h.link_telegram(kari, 7001)
    shift = await cafe(h)
    await plan(h)
    sent = h.telegram.sent[-1]
    assert sent["text"] == OFFER
    yes = sent["reply_markup"]["inline_keyboard"][0][0]
    assert yes["text"] == "JA"
    await h.tg_press(7001, yes["callback_data"])
    assert h.tg_to(7001)[-1] == CONFIRMED
    assert await statuses(h, shift) == {kari: "confirmed"}


async def test_offer_then_nei_asks_the_next_at_once(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h)
    await plan(h)
    assert h.sms_to(KARI) == [OFFER] and h.sms_to(PER) == []
    await h.sms(KARI, "nei")
    assert h.sms_to(KARI)[-1] == "Takk for svaret! Vi spør en annen."
    assert h.sms_to(PER) == [OFFER]
    assert await statuses(h, shift) == {kari: "declined", per: "offered"}
    await h.sms(PER, "JA")
    assert h.sms_to(PER)[-1] == CONFIRMED
    assert await statuses(h, shift) == {kari: "declined", per: "confirmed"}


async def test_silence_gets_one_nudge_then_expires_and_the_next_is_asked(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h)
    result = await plan(h, respond_within_minutes=120)
    assert result["offers"][0]["respond_by"] == "2026-03-02T11:00:00+00:00"  # 12:00 in Oslo
    await h.advance(minutes=50)
    assert h.sms_to(KARI) == [OFFER]
    await h.advance(minutes=15)  # 11:05, past halfway
    nudge = "Vi har ikke fått svar: " + OFFER
    assert h.sms_to(KARI) == [OFFER, nudge]
    await h.advance(minutes=30)
    assert len(h.sms_to(KARI)) == 2  # only one nudge
    assert h.sms_to(PER) == []
    await h.advance(minutes=30)  # 12:05: expired
    assert await statuses(h, shift) == {kari: "expired", per: "offered"}
    assert h.sms_to(PER) == [OFFER]
    await h.sms(KARI, "ja")  # too late: the offer has passed on
    assert h.sms_to(KARI)[-1] == TAKEN
    assert await statuses(h, shift) == {kari: "expired", per: "offered"}


async def run_until_open_call(h: Harness) -> int:
    """Kari and Per let their offers expire: nobody is left, so an open call goes out."""
    await volunteer(h, "Kari", KARI)
    await volunteer(h, "Per", PER)
    await volunteer(h, "Lise", LISE, weekdays=[3], max_shifts_per_month=0)  # cap: never planned
    shift = await cafe(h)
    await plan(h, respond_within_minutes=60)
    await h.advance(minutes=61)
    await h.advance(minutes=61)
    return shift


async def test_nobody_left_means_inbox_and_an_open_call_where_the_first_ja_wins(
    h: Harness,
) -> None:
    shift = await run_until_open_call(h)
    assert "shift_unfilled" in await inbox_kinds(h)
    call = (
        "Vi mangler en på kafévakt torsdag 5. mars 16:00-20:00. "
        "Kan du? Den første som svarer JA, får vakten."
    )
    for phone in (KARI, PER, LISE):
        assert h.sms_to(phone)[-1] == call
    await h.sms(LISE, "JA")
    assert h.sms_to(LISE)[-1] == CONFIRMED
    await h.sms(KARI, "ja")
    assert h.sms_to(KARI)[-1] == TAKEN
    await h.sms(PER, "nei")
    assert h.sms_to(PER)[-1] == "Takk for svaret!"
    confirmed = [s for s in (await statuses(h, shift)).values() if s == "confirmed"]
    assert len(confirmed) == 1


async def test_two_ja_to_an_open_call_at_the_same_moment_never_both_win(h: Harness) -> None:
    if h.los.engine.dialect.name != "postgresql":
        pytest.skip("row locks are what is tested; SQLite has one writer at a time")
    shift = await run_until_open_call(h)
    await asyncio.gather(h.sms(KARI, "JA"), h.sms(PER, "JA"), h.sms(LISE, "JA"))
    await h.send_due()
    winners = [pid for pid, s in (await statuses(h, shift)).items() if s == "confirmed"]
    assert len(winners) == 1
    last = [h.sms_to(p)[-1] for p in (KARI, PER, LISE)]
    assert sorted(last) == sorted([CONFIRMED, TAKEN, TAKEN])


async def test_avbud_on_a_confirmed_shift_releases_it_and_asks_a_replacement(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h)
    await plan(h)
    await h.sms(KARI, "JA")
    async with h.session() as session:
        assignment = await session.scalar(select(Assignment).where(Assignment.person_id == kari))
        assert assignment is not None
        keys = f"reminder:shift:{assignment.id}:"
    await h.sms(KARI, "AVBUD")
    assert (
        h.sms_to(KARI)[-1] == "Takk for beskjed! Vi finner en annen til kafévakt torsdag 5. mars."
    )
    assert h.sms_to(PER) == [OFFER]
    assert await statuses(h, shift) == {kari: "cancelled", per: "offered"}
    assert "shift_cancelled" in await inbox_kinds(h)
    async with h.session() as session:
        reminders = list(
            await session.scalars(
                select(Message.status).where(Message.idempotency_key.startswith(keys))
            )
        )
    assert reminders == ["cancelled", "cancelled"]
    await h.sms(KARI, "vakter")
    assert h.sms_to(KARI)[-1] == "Du har ingen vakter framover."
    await h.sms(KARI, "avbud")
    assert h.sms_to(KARI)[-1] == "Du har ingen vakter å melde avbud på."


async def test_avbud_with_several_shifts_asks_which(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    first = await cafe(h)
    second = await h.api(
        "POST",
        "/api/shifts",
        {"title": "quiz", "starts_at": "2026-03-06T18:00", "ends_at": "2026-03-06T21:00"},
        expect=201,
    )
    for shift_id in (first, second["id"]):
        await h.api("POST", f"/api/shifts/{shift_id}/assign", {"person_id": kari}, expect=200)
    await h.send_due()
    assert h.sms_to(KARI)[0].startswith("Du er satt opp på kafévakt torsdag 5. mars 16:00-20:00.")
    await h.sms(KARI, "avbud")
    assert h.sms_to(KARI)[-1] == (
        "Hvilken vakt kan du ikke ta? Skriv AVBUD og nummeret:\n"
        "1: kafévakt torsdag 5. mars 16:00-20:00\n2: quiz fredag 6. mars 18:00-21:00"
    )
    await h.sms(KARI, "avbud 2")
    assert await statuses(h, second["id"]) == {kari: "cancelled"}
    assert await statuses(h, first) == {kari: "confirmed"}


async def test_reminders_the_day_before_and_three_hours_before(h: Harness) -> None:
    await volunteer(h, "Kari", KARI)
    await cafe(h)
    await plan(h)
    await h.sms(KARI, "JA")
    await h.set_time(oslo(2026, 3, 4, 15, 59))
    assert h.sms_to(KARI)[-1] == CONFIRMED
    await h.set_time(oslo(2026, 3, 4, 16, 0))
    assert h.sms_to(KARI)[-1] == (
        "Påminnelse: Du har kafévakt i morgen kl. 16:00-20:00. Skriv AVBUD hvis du ikke kan komme."
    )
    await h.set_time(oslo(2026, 3, 5, 13, 0))
    assert h.sms_to(KARI)[-1] == (
        "Påminnelse: Du har kafévakt i dag kl. 16:00-20:00. Skriv AVBUD hvis du ikke kan komme."
    )
    assert len(h.sms_to(KARI)) == 4


async def test_a_reminder_in_quiet_hours_moves_to_before_them(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    early = await h.api(
        "POST",
        "/api/shifts",
        {"title": "frokost", "starts_at": "2026-03-04T07:30", "ends_at": "2026-03-04T10:00"},
        expect=201,
    )
    await h.api("POST", f"/api/shifts/{early['id']}/assign", {"person_id": kari}, expect=200)
    async with h.session() as session:
        rows = await session.execute(
            select(Message.idempotency_key, Message.send_after)
            .where(Message.kind == "reminder")
            .order_by(Message.send_after)
        )
        when = {str(key).rsplit(":", 1)[1]: at for key, at in rows.all()}
    assert when["1440"] == oslo(2026, 3, 3, 8, 0)  # 07:30 the day before is quiet: at 08:00
    assert when["180"] == oslo(2026, 3, 3, 20, 59)  # 04:30 is quiet: the evening before


async def test_an_offer_made_at_night_waits_and_its_window_starts_in_the_morning(
    h: Harness,
) -> None:
    await volunteer(h, "Kari", KARI)
    await h.set_time(oslo(2026, 3, 2, 22, 0))
    await cafe(h)
    result = await plan(h, respond_within_minutes=120)
    assert result["offers"][0]["offered_at"] == "2026-03-03T07:00:00+00:00"  # 08:00 in Oslo
    assert result["offers"][0]["respond_by"] == "2026-03-03T09:00:00+00:00"
    assert h.sms_to(KARI) == []  # quiet hours
    await h.set_time(oslo(2026, 3, 3, 8, 0))
    assert h.sms_to(KARI) == [OFFER]


async def test_kanskje_keeps_the_offer_open_and_english_works_too(h: Harness) -> None:
    anna = await h.person("Anna", ["volunteer"], KARI, language="en")
    shift = await cafe(h)
    await plan(h)
    assert h.sms_to(KARI) == [
        "Can you take kafévakt on Thursday 5 March 16:00-20:00? Reply YES or NO."
    ]
    await h.sms(KARI, "maybe")
    assert h.sms_to(KARI)[-1] == (
        "Reply YES or NO: can you take kafévakt on Thursday 5 March 16:00-20:00?"
    )
    assert await statuses(h, shift) == {anna["id"]: "offered"}
    await h.sms(KARI, "yes")
    assert h.sms_to(KARI)[-1].startswith("Thank you! You have kafévakt on Thursday 5 March")
    await h.sms(KARI, "SHIFTS")
    assert h.sms_to(KARI)[-1] == "Your shifts:\n1: kafévakt Thursday 5 March 16:00-20:00"


async def test_erasing_a_confirmed_volunteer_asks_the_next_one(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h)
    await plan(h)
    await h.sms(KARI, "JA")
    await h.api("DELETE", f"/api/people/{kari}", expect=200)
    await h.send_due()
    assert await statuses(h, shift) == {kari: "cancelled", per: "offered"}
    assert h.sms_to(PER) == [OFFER]
