"""Follow-up as the field does it: an assignment from matching to hand-over, signs of life,
consent before a partner is suggested, a meldekort series across daylight saving, a shared hostel
phone, and the desk list for a person without a phone.

The clock starts on Monday 2 March 2026 at 10:00 in Oslo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import InboxItem
from tests.harness import Harness, oslo

OLA = "+4791234567"
SIRI = "+4790000001"
PER = "+4790000002"
HOSTEL = "+4798765432"


async def key_worker(h: Harness) -> dict[str, Any]:
    return await h.person("Kari Ansatt", roles=["staff"], phone=None)


async def inbox(h: Harness, kind: str) -> list[InboxItem]:
    async with h.session() as session:
        rows = await session.scalars(
            select(InboxItem).where(InboxItem.kind == kind).order_by(InboxItem.id)
        )
        return list(rows)


async def test_an_assignment_from_matching_to_hand_over_counts_treff_hours(h: Harness) -> None:
    kari = await key_worker(h)
    ola = await h.person("Ola Nordmann", phone=OLA, contact_staff_id=kari["id"])
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=SIRI)
    per = await h.person("Per Olsen", roles=["volunteer"], phone=PER)
    await h.api(
        "PUT",
        f"/api/people/{ola['id']}/matching",
        {"area": "Grünerløkka", "gender_wish": "woman", "interests": ["sjakk", "fotball"]},
        expect=200,
    )
    await h.api(
        "PUT",
        f"/api/people/{siri['id']}/matching",
        {"area": "Grünerløkka", "gender": "woman", "interests": ["sjakk"], "languages": ["nb"]},
        expect=200,
    )
    await h.api("PUT", f"/api/people/{per['id']}/matching", {"gender": "man"}, expect=200)

    ranked = await h.api("GET", f"/api/people/{ola['id']}/volunteer-suggestions", expect=200)
    assert [s["volunteer_id"] for s in ranked["volunteers"]] == [siri["id"], per["id"]]
    assert "interesser: sjakk" in ranked["volunteers"][0]["reasons"]

    made = await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": siri["id"], "participant_id": ola["id"], "goal": "Gå turer sammen"},
        expect=201,
    )
    await h.send_due()
    assert made["review_on"] == "2026-06-02"
    assert h.sms_to(SIRI)[-1].startswith("Du er nå koblet med Ola.")
    assert h.sms_to(OLA)[-1].startswith("Siri blir din faste kontakt hos oss")

    await h.sms(SIRI, "TREFF")
    assert h.sms_to(SIRI)[-1] == "Takk! Møtet er ført opp (1 t). Til sammen 1 t."
    await h.sms(SIRI, "treff 2")
    assert h.sms_to(SIRI)[-1] == "Takk! Møtet er ført opp (2 t). Til sammen 3 t."
    shown = await h.api("GET", f"/api/assignments/{made['id']}", expect=200)
    assert (shown["meetings"], shown["hours"]) == (2, 3.0)
    figures = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert figures["assignments"] == {"active": 1, "meetings": 2, "hours": 3.0}

    # The review, three months on: both get a 1-5 question; staff get an item.
    await h.set_time(oslo(2026, 6, 2, 10, 0))
    assert h.sms_to(SIRI)[-1].startswith("Hvordan går det med deg og Ola?")
    # Ola was quiet for three months, so "Alt vel?" came too (signs of life)
    assert any(t.startswith("Hvordan går det med deg og Siri?") for t in h.sms_to(OLA)[-2:])
    assert len(await inbox(h, "assignment_review")) == 1
    await h.sms(OLA, "4 det går fint")
    answers = await inbox(h, "review_answer")
    assert [a.summary for a in answers] == ["Svar på gjennomgang av oppdraget: 4. det går fint"]

    handed = await h.api("POST", f"/api/assignments/{made['id']}/hand-over", {}, expect=200)
    await h.send_due()
    assert handed["status"] == "handed_over"
    assert handed["taken_over_by"] == kari["id"]
    assert h.sms_to(SIRI)[-1] == (
        "Tusen takk for tiden du har gitt Ola. Oppdraget er avsluttet nå. Vi tar kontakt snart."
    )
    assert h.sms_to(OLA)[-1] == "Fra nå er det Kari hos oss du kan kontakte. Skriv hit som før."
    await h.sms(SIRI, "TREFF")
    assert h.sms_to(SIRI)[-1].startswith("Du har ikke noe oppdrag nå.")


async def followed(h: Harness, phone: str | None = OLA) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ola, followed through an assignment with a volunteer who has no phone."""
    kari = await key_worker(h)
    ola = await h.person("Ola Nordmann", phone=phone, contact_staff_id=kari["id"])
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=None)
    await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": siri["id"], "participant_id": ola["id"], "review_on": "2026-12-01"},
        expect=201,
    )
    await h.advance(minutes=1)  # following starts: the count begins
    return ola, kari


NOT_HEARD = "Vi har ikke hørt fra deg på en stund. Alt vel?"


async def test_signs_of_life_move_through_each_step_and_any_signal_resets_them(
    h: Harness,
) -> None:
    ola, kari = await followed(h)
    await h.set_time(oslo(2026, 3, 16, 10, 0))  # 13 days, 23 hours and 59 minutes
    assert NOT_HEARD not in h.sms_to(OLA)
    await h.set_time(oslo(2026, 3, 16, 10, 2))
    assert h.sms_to(OLA).count(NOT_HEARD) == 1
    listed = await h.api("GET", "/api/not-seen", expect=200)
    assert [(n["person_id"], n["days"], n["step"]) for n in listed] == [(ola["id"], 14, 1)]

    await h.set_time(oslo(2026, 3, 19, 10, 2))  # three days after the text: the key worker
    items = await inbox(h, "not_seen")
    assert len(items) == 1 and items[0].assigned_to == kari["id"]
    assert await inbox(h, "not_seen_team") == []
    await h.set_time(oslo(2026, 3, 23, 10, 2))  # seven days after the text: the team
    team = await inbox(h, "not_seen_team")
    assert len(team) == 1 and team[0].assigned_to is None
    assert h.sms_to(OLA).count(NOT_HEARD) == 1  # one gentle text, never a flood

    await h.sms(OLA, "Hei, jeg har vært syk")  # any signal: a text in
    await h.advance(minutes=15)
    assert await h.api("GET", "/api/not-seen", expect=200) == []
    sign = await h.api("GET", f"/api/people/{ola['id']}/signs-of-life", expect=200)
    assert (sign["last_signal"], sign["step"]) == ("text", 0)

    # Fourteen more quiet days: the steps start over, and staff tapping "seen today" resets.
    await h.set_time(oslo(2026, 4, 7, 10, 0))
    assert h.sms_to(OLA).count(NOT_HEARD) == 2
    seen = await h.api("POST", f"/api/people/{ola['id']}/seen", expect=200)
    assert (seen["last_signal"], seen["step"]) == ("seen", 0)
    await h.set_time(oslo(2026, 4, 10, 12, 0))
    assert len(await inbox(h, "not_seen")) == 1  # no new item: they were seen


async def test_a_partner_is_suggested_only_where_consent_is_recorded(h: Harness) -> None:
    ola, _kari = await followed(h)
    await h.set_time(oslo(2026, 3, 16, 10, 5))
    await h.set_time(oslo(2026, 3, 19, 10, 5))
    first = (await inbox(h, "not_seen"))[0]
    assert "Samtykke" not in (first.summary or "")

    await h.sms(OLA, "SAMTYKKE")
    assert h.sms_to(OLA)[-1].startswith("Vi har ikke skrevet ned noe samtykke fra deg.")
    nav = await h.api(
        "POST",
        f"/api/people/{ola['id']}/consents",
        {
            "scope": "partner",
            "party": "NAV Grünerløkka",
            "how": "written",
            "given_on": "2026-03-18",
        },
        expect=201,
    )
    await h.api(
        "POST", f"/api/people/{ola['id']}/consents", {"scope": "partner", "how": "oral"}, expect=422
    )
    await h.sms(OLA, "samtykke")
    assert h.sms_to(OLA)[-1] == (
        "Dette har du sagt ja til hos oss: at vi snakker med NAV Grünerløkka (onsdag 18. mars)."
        " Vil du endre noe, si fra til oss."
    )
    await h.set_time(oslo(2026, 4, 2, 12, 0))  # quiet again since the SAMTYKKE text
    await h.set_time(oslo(2026, 4, 5, 12, 0))
    second = (await inbox(h, "not_seen"))[-1]
    assert second.id != first.id
    assert "Samtykke er registrert for kontakt med: NAV Grünerløkka." in (second.summary or "")

    withdrawn = await h.api(
        "POST", f"/api/people/{ola['id']}/consents/{nav['id']}/withdraw", expect=200
    )
    assert withdrawn["withdrawn_at"] is not None
    await h.set_time(oslo(2026, 4, 9, 12, 0))
    team = (await inbox(h, "not_seen_team"))[-1]
    assert "NAV" not in (team.summary or "")
    listed = await h.api("GET", f"/api/people/{ola['id']}/consents", expect=200)
    assert [c["withdrawn_at"] is not None for c in listed] == [True]


MELDEKORT = "Husk meldekortet i dag. Svar FERDIG når det er gjort."


async def test_a_meldekort_series_across_daylight_saving_with_ferdig(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=OLA)
    series = await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "meldekort", "starts_on": "2026-03-16", "at": "09:00"},
        expect=201,
    )
    assert series["every_days"] == 14
    assert series["next_due_at"] == "2026-03-16T08:00:00+00:00"  # 09:00 winter time
    await h.set_time(oslo(2026, 3, 16, 8, 59))
    assert MELDEKORT not in h.sms_to(OLA)
    await h.set_time(oslo(2026, 3, 16, 9, 0))
    assert h.sms_to(OLA)[-1] == MELDEKORT
    await h.sms(OLA, "FERDIG")
    assert h.sms_to(OLA)[-1] == "Bra! Det er ført opp som gjort."

    # Clocks go forward on 29 March; the next one is still 09:00 local, now 07:00 UTC.
    await h.set_time(oslo(2026, 3, 30, 8, 59))
    assert h.sms_to(OLA).count(MELDEKORT) == 1
    await h.set_time(oslo(2026, 3, 30, 9, 0))
    assert h.sms_to(OLA).count(MELDEKORT) == 2
    [shown] = await h.items(f"/api/reminders?person_id={ola['id']}")
    assert shown["next_due_at"] == "2026-04-13T07:00:00+00:00"
    await h.sms(OLA, "ok")  # OK counts too
    assert h.sms_to(OLA)[-1] == "Bra! Det er ført opp som gjort."

    await h.set_time(oslo(2026, 4, 13, 9, 0))  # this one nobody answers
    await h.set_time(oslo(2026, 4, 14, 10, 0))
    [shown] = await h.items(f"/api/reminders?person_id={ola['id']}")
    assert (shown["done"], shown["missed"]) == (2, 1)
    await h.sms(OLA, "FERDIG")
    assert h.sms_to(OLA)[-1] == "Du har ingen påminnelse å svare på nå."
    figures = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-05-01", expect=200)
    assert figures["reminders"] == {"sent": 3, "done": 2, "missed": 1}


async def test_a_site_words_its_own_reminder_and_a_missed_one_makes_an_item(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=OLA)
    await h.api(
        "PUT",
        "/api/reminder-templates",
        {"kind": "rent", "text_nb": "Husleia forfaller i dag."},
        expect=200,
    )
    await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "rent", "day_of_month": 31, "missed_to_inbox": True},
        expect=201,
    )
    await h.set_time(oslo(2026, 3, 31, 9, 0))
    assert h.sms_to(OLA)[-1] == "Husleia forfaller i dag. Svar FERDIG når det er gjort."
    await h.set_time(oslo(2026, 4, 1, 9, 30))
    assert len(await inbox(h, "reminder_missed")) == 1
    await h.set_time(oslo(2026, 4, 30, 9, 0))  # the 31st in a 30-day month: the last day
    assert h.sms_to(OLA)[-1] == "Husleia forfaller i dag. Svar FERDIG når det er gjort."
    await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "own", "weekday": 2},
        expect=422,
    )


async def test_a_shared_hostel_phone_where_two_people_answer_their_own_reminder(
    h: Harness,
) -> None:
    jon = await h.person("Jon Berg", phone=HOSTEL)
    ali = await h.person("Ali Khan", phone=None)
    tor = await h.person("Tor Lie", phone=None)
    shared = await h.api(
        "POST", f"/api/people/{ali['id']}/shared-phone", {"phone": HOSTEL}, expect=200
    )
    assert [s["person_id"] for s in shared] == [jon["id"], ali["id"]]
    await h.api(
        "POST",
        f"/api/people/{tor['id']}/shared-phone",
        {"phone": HOSTEL, "code_word": "Ørn"},
        expect=200,
    )
    for person in (jon, ali):
        await h.api(
            "POST",
            "/api/reminders",
            {"person_id": person["id"], "kind": "mailbox", "weekday": 2, "at": "11:00"},
            expect=201,
        )
    await h.set_time(oslo(2026, 3, 4, 11, 0))  # Wednesday
    texts = h.sms_to(HOSTEL)
    assert "Jon: Husk å sjekke postkassen i dag. Svar FERDIG når det er gjort." in texts
    assert "Ali: Husk å sjekke postkassen i dag. Svar FERDIG når det er gjort." in texts

    await h.sms(HOSTEL, "FERDIG")  # could be either of them
    assert h.sms_to(HOSTEL)[-1] == "Hvem svarer? Skriv navnet ditt."
    await h.sms(HOSTEL, "Ali")
    assert h.sms_to(HOSTEL)[-1] == "Ali: Bra! Det er ført opp som gjort."
    await h.sms(HOSTEL, "ferdig")  # only Jon's is open now
    assert h.sms_to(HOSTEL)[-1] == "Jon: Bra! Det er ført opp som gjort."
    for person in (jon, ali):
        [shown] = await h.items(f"/api/reminders?person_id={person['id']}")
        assert shown["done"] == 1

    # A text that begins with a name is that person's; a fifth person does not fit.
    await h.sms(HOSTEL, "Ørn: kan jeg låne en sovepose?")
    [item] = [i for i in await inbox(h, "message") if i.person_id == tor["id"]]
    assert item.contact_point_id is not None
    extra = [await h.person(f"Nr {n}", phone=None) for n in (4, 5)]
    await h.api("POST", f"/api/people/{extra[0]['id']}/shared-phone", {"phone": HOSTEL}, expect=200)
    await h.api("POST", f"/api/people/{extra[1]['id']}/shared-phone", {"phone": HOSTEL}, expect=409)


async def test_the_desk_list_holds_what_a_person_without_a_phone_would_have_got(
    h: Harness,
) -> None:
    kari = await key_worker(h)
    ola = await h.person("Ola Nordmann", phone=None, contact_staff_id=kari["id"])
    await h.person("Eva Telefon", phone=OLA)
    await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "pickup", "weekday": 3, "at": "10:00"},
        expect=201,
    )
    await h.set_time(oslo(2026, 3, 5, 10, 0))
    desk = await h.api("GET", "/api/desk-list", expect=200)
    assert [(d["name"], d["text"]) for d in desk["messages"]] == [
        ("Ola Nordmann", "Husk hentingen i dag. Svar FERDIG når det er gjort.")
    ]


async def test_changing_a_number_keeps_the_history(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=OLA)
    await h.sms(OLA, "Hei")
    await h.api("PATCH", f"/api/people/{ola['id']}", {"phone": "+4799999999"}, expect=200)
    await h.sms("+4799999999", "Ny telefon")
    texts = [m["text"] for m in await h.items(f"/api/people/{ola['id']}/messages")]
    assert "Hei" in texts and "Ny telefon" in texts


async def test_follow_up_api_refuses_bad_input_and_other_sites(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=OLA)
    await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": ola["id"], "participant_id": ola["id"]},
        expect=422,
    )
    await h.api("POST", "/api/people/999999/seen", expect=404)
    await h.api(
        "POST", f"/api/people/{ola['id']}/consents", {"scope": "x", "how": "oral"}, expect=422
    )
    await h.api("PUT", "/api/reminder-templates", {"kind": "own", "text_nb": "x"}, expect=422)
    await h.api(
        "POST", "/api/reminders", {"person_id": ola["id"], "kind": "rent", "at": "9"}, expect=422
    )


async def test_another_sites_follow_up_is_not_found(h: Harness) -> None:
    from bot.staff_users import add_staff
    from storage.models import Site

    async with h.session() as session:
        bergen = Site(name="Bergen", created_at=h.clock.now())
        session.add(bergen)
        await session.flush()
        _, oslo_token = await add_staff(
            session, h.clock, name="En", email="en@los.test", site_ids=[1]
        )
    ola = await h.person("Ola Nordmann", phone=None, site_id=bergen.id)
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=None, site_id=bergen.id)
    made = await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": siri["id"], "participant_id": ola["id"]},
        expect=201,
    )
    for method, path in (
        ("GET", f"/api/assignments/{made['id']}"),
        ("POST", f"/api/assignments/{made['id']}/hand-over"),
        ("POST", f"/api/people/{ola['id']}/seen"),
        ("GET", f"/api/people/{ola['id']}/consents"),
        ("GET", f"/api/people/{ola['id']}/volunteer-suggestions"),
    ):
        await h.api(
            method,
            path,
            {} if method == "POST" and "hand" in path else None,
            token=oslo_token,
            expect=404,
        )
    assert await h.items("/api/assignments", token=oslo_token) == []
    body = await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "rent", "day_of_month": 1},
        token=oslo_token,
    )
    assert body["error"]["fields"] == {"person_id": "no such person"}


async def test_the_old_volunteer_assignments_path_is_a_deprecated_alias(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=None)
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=None)
    body = {"volunteer_id": siri["id"], "participant_id": ola["id"], "goal": "Turer"}
    made = await h.api("POST", "/api/volunteer-assignments", body, expect=201)
    assert await h.api("GET", f"/api/assignments/{made['id']}", expect=200) == made
    old = await h.api(
        "PATCH", f"/api/volunteer-assignments/{made['id']}", {"goal": "Sjakk"}, expect=200
    )
    assert old == await h.api("GET", f"/api/assignments/{made['id']}", expect=200)
    assert old["goal"] == "Sjakk"
    document = await h.api("GET", "/api/openapi.json", expect=200)
    paths = document["paths"]
    for method, path in (
        ("get", "/api/volunteer-assignments"),
        ("post", "/api/volunteer-assignments"),
        ("get", "/api/volunteer-assignments/{id}"),
        ("patch", "/api/volunteer-assignments/{id}"),
        ("post", "/api/volunteer-assignments/{id}/hand-over"),
    ):
        assert paths[path][method]["deprecated"] is True
        current = paths[path.replace("volunteer-assignments", "assignments")][method]
        assert "deprecated" not in current
        assert current["operationId"] != paths[path][method]["operationId"]
    # /api/assignments/{id} is no longer a shift place: that is under its shift.
    assert "/api/shifts/{shift_id}/assignments/{id}" in paths
    body_of = {
        path: paths[path]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path in ("/api/assignments/{id}", "/api/shifts/{shift_id}/assignments/{id}")
    }
    assert body_of["/api/assignments/{id}"].endswith("volunteer_assignments.AssignmentPatch")
    assert body_of["/api/shifts/{shift_id}/assignments/{id}"].endswith("rota.AssignmentPatch")
