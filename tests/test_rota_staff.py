"""The rota for staff: hours in the statistics, swaps by hand, the calendar feed, erasure."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import select

from storage.models import CalendarToken, VolunteerTerms
from tests.harness import Harness, oslo
from tests.test_rota import KARI, LISE, OFFER, PER, cafe, plan, statuses, volunteer


async def test_hours_count_for_shifts_that_took_place(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h, needed=2)
    for person in (kari, per):
        await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": person}, expect=200)
    full = await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": kari}, expect=200)
    assert full["confirmed"] == 2
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["volunteers"]["volunteer_hours"] == 0  # not held yet
    assert stats["volunteers"]["shifts_filled"] == 1
    await h.set_time(oslo(2026, 3, 5, 17, 0))
    per_assignment = next(
        a["id"]
        for a in (await h.api("GET", f"/api/shifts/{shift}"))["assignments"]
        if a["person_id"] == per
    )
    await h.api(
        "PATCH",
        f"/api/shifts/{shift}/assignments/{per_assignment}",
        {"status": "no_show"},
        expect=200,
    )
    await h.set_time(oslo(2026, 3, 5, 20, 10))
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    figures = stats["volunteers"]
    assert figures["volunteer_hours"] == 4.0  # Kari's four hours; Per did not come
    assert figures["shifts_held"] == 1 and figures["no_shows"] == 1 and figures["volunteers"] == 1
    assert figures["full_time_equivalents"] == round(4 / (1695 * 31 / 365), 3)
    april = await h.api("GET", "/api/stats?from=2026-04-01&to=2026-05-01", expect=200)
    assert april["volunteers"]["volunteer_hours"] == 0


async def test_staff_can_swap_by_hand(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h)
    await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": kari}, expect=200)
    taken = await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": per})
    assert h.last_status == 409, taken
    kari_assignment = (await h.api("GET", f"/api/shifts/{shift}"))["assignments"][0]["id"]
    place = f"/api/shifts/{shift}/assignments/{kari_assignment}"
    other_shift = await cafe(h, starts_at="2026-03-06T16:00:00", ends_at="2026-03-06T20:00:00")
    # A place is reached through its own shift only.
    wrong = f"/api/shifts/{other_shift}/assignments/{kari_assignment}"
    await h.api("PATCH", wrong, {"status": "cancelled"}, expect=404)
    await h.api("PATCH", place, {"status": "cancelled"}, expect=200)
    await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": per}, expect=200)
    await h.send_due()
    assert (
        h.sms_to(KARI)[-1]
        == "Du er ikke lenger satt opp på kafévakt torsdag 5. mars 16:00-20:00. Takk!"
    )
    assert await statuses(h, shift) == {kari: "cancelled", per: "confirmed"}
    # Cancelling with find_replacement starts the chain: Lise is the one not yet on it.
    lise = await volunteer(h, "Lise", LISE)
    per_assignment = next(
        a["id"]
        for a in (await h.api("GET", f"/api/shifts/{shift}"))["assignments"]
        if a["person_id"] == per
    )
    await h.api(
        "PATCH",
        f"/api/shifts/{shift}/assignments/{per_assignment}",
        {"status": "cancelled", "find_replacement": True},
        expect=200,
    )
    await h.send_due()
    assert h.sms_to(LISE) == [OFFER]
    assert await statuses(h, shift) == {kari: "cancelled", per: "cancelled", lise: "offered"}


async def test_the_calendar_feed_shows_only_confirmed_shifts(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    confirmed = await cafe(h)
    offered = await h.api(
        "POST",
        "/api/shifts",
        {"title": "quiz", "starts_at": "2026-03-06T18:00", "ends_at": "2026-03-06T21:00"},
        expect=201,
    )
    await h.api("POST", f"/api/shifts/{confirmed}/assign", {"person_id": kari}, expect=200)
    await plan(h, "2026-03-06", "2026-03-06")
    assert await statuses(h, offered["id"]) == {kari: "offered"}
    made = await h.api("POST", f"/api/people/{kari}/calendar-token", expect=201)
    assert made["url"].endswith(f"/calendar/{made['token']}.ics")
    resp = await h.client.get(f"/calendar/{made['token']}.ics")  # no bearer token
    assert resp.status == 200 and resp.content_type == "text/calendar"
    calendar = Calendar.from_ical(await resp.read())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert [str(e["summary"]) for e in events] == ["kafévakt"]
    assert events[0].decoded("dtstart") == oslo(2026, 3, 5, 16, 0)
    assert events[0].decoded("dtend") == oslo(2026, 3, 5, 20, 0)
    async with h.session() as session:
        stored = list(await session.scalars(select(CalendarToken.token_hash)))
    assert stored and made["token"] not in stored  # only the hash is kept
    assert (await h.client.get("/calendar/not-the-token.ics")).status == 404
    rotated = await h.api("POST", f"/api/people/{kari}/calendar-token", expect=201)
    assert (await h.client.get(f"/calendar/{made['token']}.ics")).status == 404
    assert (await h.client.get(f"/calendar/{rotated['token']}.ics")).status == 200
    await h.api("DELETE", f"/api/people/{kari}/calendar-token", expect=200)
    assert (await h.client.get(f"/calendar/{rotated['token']}.ics")).status == 404


async def test_erasing_a_volunteer_removes_terms_and_calendar_tokens(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI, weekdays=[3])
    token = (await h.api("POST", f"/api/people/{kari}/calendar-token", expect=201))["token"]
    shift = await cafe(h)
    await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": kari}, expect=200)
    await h.api("DELETE", f"/api/people/{kari}", expect=200)
    async with h.session() as session:
        assert await session.get(VolunteerTerms, kari) is None
        assert list(await session.scalars(select(CalendarToken))) == []
    assert (await h.client.get(f"/calendar/{token}.ics")).status == 404
    assert await statuses(h, shift) == {kari: "cancelled"}


async def test_staff_list_shifts_and_start_an_open_call(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    await volunteer(h, "Per", PER, weekdays=[0])  # never on Thursdays: not called
    shift = await cafe(h)
    listed = await h.items("/api/shifts?from=2026-03-05&to=2026-03-06")
    assert [s["id"] for s in listed] == [shift]
    assert await h.items("/api/shifts?from=2026-03-06") == []
    called = await h.api("POST", f"/api/shifts/{shift}/call", expect=202)
    await h.send_due()
    assert called == {"asked": 1}
    assert h.sms_to(KARI)[-1].startswith("Vi mangler en på kafévakt torsdag 5. mars")
    assert h.sms_to(PER) == []
    await h.sms(KARI, "ja")
    assert await statuses(h, shift) == {kari: "confirmed"}
    await h.api("POST", f"/api/shifts/{shift}/call")
    assert h.last_status == 409  # full
    assert (await h.api("GET", "/api/shifts/999999")) and h.last_status == 404


async def test_staff_call_a_shift_off(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    per = await volunteer(h, "Per", PER)
    shift = await cafe(h, needed=2)
    await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": kari}, expect=200)
    await plan(h)
    assert h.sms_to(PER) == [OFFER]
    gone = await h.api("DELETE", f"/api/shifts/{shift}", expect=200)
    await h.send_due()
    assert gone["status"] == "cancelled"
    assert await statuses(h, shift) == {kari: "cancelled", per: "cancelled"}
    assert h.sms_to(KARI)[-1] == (
        "Vakten kafévakt torsdag 5. mars 16:00-20:00 er avlyst. Takk for at du sa ja!"
    )
    await h.sms(PER, "ja")  # the offer was withdrawn
    assert h.sms_to(PER)[-1] == "Takk for svaret! Den vakten er avlyst."
    await h.set_time(oslo(2026, 3, 5, 16, 0))
    assert len(h.sms_to(KARI)) == 2  # no reminders for a shift called off


async def test_staff_change_a_shift_with_patch(h: Harness) -> None:
    kari = await volunteer(h, "Kari", KARI)
    shift = await cafe(h, needed=2)
    moved = await h.api(
        "PATCH",
        f"/api/shifts/{shift}",
        {
            "title": "kveldsvakt",
            "starts_at": "2026-03-05T17:00:00",
            "ends_at": "2026-03-05T21:00:00",
        },
        expect=200,
    )
    assert (moved["title"], moved["starts_at"][:16]) == ("kveldsvakt", "2026-03-05T16:00")
    await h.api("POST", f"/api/shifts/{shift}/assign", {"person_id": kari}, expect=200)
    refused = await h.api("PATCH", f"/api/shifts/{shift}", {"starts_at": "2026-03-05T18:00:00"})
    assert h.last_status == 409 and "starts_at" in refused["error"]["fields"], refused
    await h.api("PATCH", f"/api/shifts/{shift}", {"needed": 1}, expect=200)
    fewer = await h.api("PATCH", f"/api/shifts/{shift}", {"needed": 0})
    assert h.last_status == 422 and "needed" in fewer["error"]["fields"], fewer
    unknown = await h.api("PATCH", f"/api/shifts/{shift}", {"colour": "red"})
    assert h.last_status in (400, 422), unknown
