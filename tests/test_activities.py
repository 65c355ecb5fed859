"""Activities by text: invitations, MELD/AVMELD/AKTIVITETER, the waiting line, deadlines,
weekly series, reminders, attendance and the figures for the yearly report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Activity, Message
from tests.harness import Harness, oslo

ANNE = "+4791000001"
BJORN = "+4791000002"
CARL = "+4791000003"
VERA = "+4791000009"


async def activity(h: Harness, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Quiz",
        "description": "Lag på 2-4, premie til alle.",
        "starts_at": "2026-03-05T18:00:00",
        "location": "Kafeen",
        "audience": "participants",
    } | fields
    result: dict[str, Any] = await h.api("POST", "/api/activities", body, expect=201)
    return result


async def signups(h: Harness, activity_id: int) -> dict[int, str]:
    rows = await h.items(f"/api/activities/{activity_id}/signups")
    return {r["person_id"]: r["status"] for r in rows}


async def queued_keys(h: Harness, prefix: str) -> dict[str, str]:
    async with h.session() as session:
        rows = await session.execute(
            select(Message.idempotency_key, Message.status).where(
                Message.idempotency_key.startswith(prefix)
            )
        )
        return {str(k): s for k, s in rows.all()}


async def test_invitation_answered_ja_nei_kanskje(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    carl = await h.person("Carl Holm", phone=CARL)
    await h.person("Vera Frivillig", roles=["volunteer"], phone=VERA)
    quiz = await activity(h)
    assert quiz["code"] == "QUIZ"

    sent = await h.api("POST", f"/api/activities/{quiz['id']}/announce", expect=202)
    await h.send_due()
    invitation = h.sms_to(ANNE)[-1]
    assert invitation == (
        "Quiz torsdag 5. mars kl. 18:00, Kafeen. Lag på 2-4, premie til alle. "
        "Vil du være med? Svar JA, NEI eller KANSKJE."
    )
    assert h.sms_to(VERA) == []  # the audience is participants

    await h.sms(ANNE, "Ja!")
    assert h.sms_to(ANNE)[-1] == (
        "Du er påmeldt Quiz torsdag 5. mars kl. 18:00, Kafeen. "
        "Kan du ikke komme? Skriv AVMELD QUIZ."
    )
    await h.sms(BJORN, "nei takk")
    assert h.sms_to(BJORN)[-1] == "Takk for svaret! Kanskje neste gang."
    await h.sms(CARL, "Kanskje")
    assert h.sms_to(CARL)[-1].startswith("Takk! Vi har notert at du kanskje blir med på Quiz.")
    assert "MELD QUIZ" in h.sms_to(CARL)[-1]

    assert await signups(h, quiz["id"]) == {anne["id"]: "signed_up", carl["id"]: "interested"}
    progress = await h.api("GET", f"/api/broadcasts/{sent['broadcast_id']}", expect=200)
    assert progress["recipients"] == 3 and progress["sent"] == 3
    assert progress["status"] == "done"
    # Announcing again asks nobody twice, and skips those already signed up.
    again = await h.api("POST", f"/api/activities/{quiz['id']}/announce", expect=202)
    assert again["recipients"] == 0


async def test_invitation_buttons_on_telegram_include_kanskje(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=None)
    await h.link_telegram(ola["id"], 7001)
    quiz = await activity(h)
    await h.api("POST", f"/api/activities/{quiz['id']}/announce", expect=202)
    await h.send_due()
    buttons = h.telegram.sent[-1]["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["JA", "NEI", "KANSKJE"]
    await h.tg_press(7001, buttons[0]["callback_data"])
    assert h.tg_to(7001)[-1].startswith("Du er påmeldt Quiz")
    assert await signups(h, quiz["id"]) == {ola["id"]: "signed_up"}


async def test_capacity_one_two_ja_then_cancellation_promotes_the_first_in_line(
    h: Harness,
) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    bjorn = await h.person("Bjørn Lie", phone=BJORN)
    carl = await h.person("Carl Holm", phone=CARL)
    trip = await activity(
        h, title="Tur til Gressholmen", starts_at="2026-03-07T10:00:00", capacity=1
    )
    assert trip["code"] == "TUR"
    await h.api("POST", f"/api/activities/{trip['id']}/announce", expect=202)
    await h.send_due()

    await h.sms(ANNE, "JA")
    await h.sms(BJORN, "ja")
    await h.sms(CARL, "MELD tur")
    assert h.sms_to(ANNE)[-1].startswith("Du er påmeldt Tur til Gressholmen")
    assert h.sms_to(BJORN)[-1] == (
        "Tur til Gressholmen er full. Du står som nr. 1 på ventelisten. "
        "Vi sier fra hvis du får plass."
    )
    assert "nr. 2 på ventelisten" in h.sms_to(CARL)[-1]
    assert await signups(h, trip["id"]) == {
        anne["id"]: "signed_up",
        bjorn["id"]: "waitlisted",
        carl["id"]: "waitlisted",
    }

    await h.sms(ANNE, "AVMELD TUR")
    assert h.sms_to(ANNE)[-1] == "Du er meldt av Tur til Gressholmen. Takk for at du sa fra!"
    assert h.sms_to(BJORN)[-1] == (
        "Du har fått plass på Tur til Gressholmen lørdag 7. mars kl. 10:00, Kafeen! "
        "Kan du ikke komme? Skriv AVMELD TUR."
    )
    assert "nr. 2" in h.sms_to(CARL)[-1]  # Carl was not told anything new
    assert await signups(h, trip["id"]) == {
        anne["id"]: "cancelled",
        bjorn["id"]: "signed_up",
        carl["id"]: "waitlisted",
    }
    keys = await queued_keys(h, f"reminder:activity:{trip['id']}:")
    assert keys == {f"reminder:activity:{trip['id']}:{bjorn['id']}:1440": "queued"}
    await h.sms(CARL, "meld tur")
    assert (
        h.sms_to(CARL)[-1] == "Du står allerede som nr. 1 på ventelisten til Tur til Gressholmen."
    )

    # Staff raise the capacity: the next in line gets the place and is told.
    await h.api("PATCH", f"/api/activities/{trip['id']}", {"capacity": 2}, expect=200)
    await h.send_due()
    assert h.sms_to(CARL)[-1].startswith("Du har fått plass på Tur til Gressholmen")


async def test_meld_avmeld_aktiviteter_with_wrong_and_unknown_codes(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Anna Smith", phone=BJORN, language="en")
    await h.sms(ANNE, "AKTIVITETER")
    assert h.sms_to(ANNE)[-1] == "Ingen aktiviteter er planlagt nå. Spør gjerne de ansatte."
    await h.sms(ANNE, "MELD QUIZ")
    assert h.sms_to(ANNE)[-1] == (
        "Ingen aktiviteter er åpne for påmelding nå. Spør gjerne de ansatte."
    )

    await activity(h)
    await activity(h, title="Tur til Gressholmen", starts_at="2026-03-07T10:00:00")
    await activity(h, title="Tur til Sverige", starts_at="2026-03-14T08:00:00")
    await activity(h, title="Frivilligmøte", starts_at="2026-03-04T17:00:00", audience="volunteers")

    await h.sms(ANNE, "aktiviteter")
    listing = h.sms_to(ANNE)[-1]
    assert listing == (
        "Aktiviteter:\n"
        "QUIZ: Quiz torsdag 5. mars kl. 18:00\n"
        "TUR: Tur til Gressholmen lørdag 7. mars kl. 10:00\n"
        "TUR2: Tur til Sverige lørdag 14. mars kl. 08:00\n"
        "Skriv MELD og koden for å melde deg på."
    )
    await h.sms(ANNE, "MELD")
    assert h.sms_to(ANNE)[-1] == (
        "Skriv MELD og koden. Åpne nå: QUIZ, TUR, TUR2. For eksempel MELD QUIZ."
    )
    await h.sms(ANNE, "MELD BINGO")
    assert h.sms_to(ANNE)[-1] == (
        "Vi fant ikke koden BINGO. Åpne nå: QUIZ, TUR, TUR2. Skriv for eksempel MELD QUIZ."
    )
    await h.advance(minutes=10)  # past her reply budget of 5 answers in 10 minutes
    await h.sms(ANNE, "MELD FRIVI")  # a volunteers' activity is not open to her
    assert h.sms_to(ANNE)[-1].startswith("Vi fant ikke koden FRIVI.")
    await h.sms(ANNE, "meld quiz!")
    assert h.sms_to(ANNE)[-1].startswith("Du er påmeldt Quiz")
    await h.sms(ANNE, "Meld Quiz")
    assert h.sms_to(ANNE)[-1] == "Du er allerede påmeldt Quiz torsdag 5. mars kl. 18:00."
    await h.sms(ANNE, "AKTIVITETER")
    assert "QUIZ: Quiz torsdag 5. mars kl. 18:00 (påmeldt)" in h.sms_to(ANNE)[-1]

    await h.advance(minutes=10)
    await h.sms(ANNE, "AVMELD TUR")
    assert h.sms_to(ANNE)[-1] == "Du er ikke påmeldt Tur til Gressholmen."
    await h.sms(ANNE, "AVMELD XYZ")
    assert h.sms_to(ANNE)[-1] == "Skriv AVMELD og koden. Du er påmeldt: QUIZ."
    await h.sms(ANNE, "avmeld quiz")
    assert h.sms_to(ANNE)[-1] == "Du er meldt av Quiz. Takk for at du sa fra!"
    await h.sms(ANNE, "AVMELD")
    assert h.sms_to(ANNE)[-1] == (
        "Du er ikke påmeldt noe nå. Skriv AKTIVITETER for å se hva som skjer."
    )

    await h.sms(BJORN, "join tur 2")
    assert h.sms_to(BJORN)[-1] == (
        "You are signed up for Tur til Sverige Saturday 14 March at 08:00, Kafeen. "
        "Can't come? Text LEAVE TUR2."
    )
    await h.sms(BJORN, "LEAVE QUIZZ")
    assert h.sms_to(BJORN)[-1] == "Text LEAVE and the code. You are signed up for: TUR2."
    await h.sms(BJORN, "activities")
    assert "TUR2: Tur til Sverige Saturday 14 March at 08:00 (signed up)" in h.sms_to(BJORN)[-1]


async def test_sign_up_after_the_deadline_is_refused_kindly(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    trip = await activity(
        h,
        title="Tur til Gressholmen",
        starts_at="2026-03-07T10:00:00",
        signup_deadline="2026-03-03T12:00:00",
    )
    await h.api("POST", f"/api/activities/{trip['id']}/announce", expect=202)
    await h.send_due()  # the invitations go out before her answer does
    await h.sms(ANNE, "MELD TUR")
    assert h.sms_to(ANNE)[-1].startswith("Du er påmeldt")

    await h.set_time(oslo(2026, 3, 3, 13, 0))
    await h.sms(BJORN, "MELD TUR")
    assert h.sms_to(BJORN)[-1] == (
        "Påmeldingen til Tur til Gressholmen er dessverre stengt. Spør gjerne de ansatte."
    )
    await h.sms(BJORN, "JA")  # the invitation expired with the deadline
    assert h.sms_to(BJORN)[-1] == "Takk for svaret. Den tiden er allerede passert."
    await h.sms(BJORN, "AKTIVITETER")
    assert "TUR: Tur til Gressholmen lørdag 7. mars kl. 10:00 (stengt)" in h.sms_to(BJORN)[-1]
    # Cancelling is still welcome after the deadline.
    await h.sms(ANNE, "AVMELD TUR")
    assert h.sms_to(ANNE)[-1].startswith("Du er meldt av")
    assert (await signups(h, trip["id"]))[anne["id"]] == "cancelled"
    refused = await h.api("POST", f"/api/activities/{trip['id']}/announce", expect=409)
    assert refused["error"]["fields"] == {"signup_deadline": "has passed"}


async def test_weekly_series_one_cancelled_occurrence_tells_only_its_signups(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    created = await activity(
        h,
        title="Bingo",
        starts_at="2026-03-04T18:00:00",
        ends_at="2026-03-04T20:00:00",
        capacity=12,
        repeat={"every": "week", "until": "2026-04-01"},
    )
    series = created["series"]
    codes = [o["code"] for o in series["occurrences"]]
    assert codes == ["BINGO4", "BINGO11", "BINGO18", "BINGO25", "BINGO1"]
    assert [o["starts_at"] for o in series["occurrences"]][-2:] == [
        "2026-03-25T17:00:00+00:00",
        "2026-04-01T16:00:00+00:00",  # summer time: still 18:00 in Oslo
    ]
    await h.sms(ANNE, "MELD BINGO11")
    await h.sms(BJORN, "MELD bingo 18")
    assert h.sms_to(BJORN)[-1].startswith("Du er påmeldt Bingo onsdag 18. mars kl. 18:00")
    before = len(h.sms_to(BJORN))

    eleventh = series["occurrences"][1]
    cancelled = await h.api("DELETE", f"/api/activities/{eleventh['id']}", expect=200)
    assert cancelled["status"] == "cancelled" and cancelled["notified"] == 1
    await h.send_due()
    assert h.sms_to(ANNE)[-1] == "Bingo onsdag 11. mars kl. 18:00 er dessverre avlyst."
    assert len(h.sms_to(BJORN)) == before  # other occurrences' sign-ups hear nothing
    assert (await queued_keys(h, f"reminder:activity:{eleventh['id']}:")) == {}

    # Changing one occurrence: only its own sign-ups are told.
    eighteenth = series["occurrences"][2]
    await h.api(
        "PATCH",
        f"/api/activities/{eighteenth['id']}",
        {"starts_at": "2026-03-18T19:00:00", "location": "Peisestua"},
        expect=200,
    )
    await h.send_due()
    assert h.sms_to(BJORN)[-1] == "Endring: Bingo er nå onsdag 18. mars kl. 19:00, Peisestua."
    assert h.sms_to(ANNE)[-1].endswith("er dessverre avlyst.")
    listing = await h.items(f"/api/activities?series_id={series['id']}")
    assert [a["status"] for a in listing] == [
        "planned",
        "cancelled",
        "planned",
        "planned",
        "planned",
    ]
    await h.sms(ANNE, "AVMELD BINGO11")  # the cancelled one is no longer hers to leave
    assert (
        h.sms_to(ANNE)[-1] == "Du er ikke påmeldt noe nå. Skriv AKTIVITETER for å se hva som skjer."
    )
    assert (await signups(h, eleventh["id"])) == {anne["id"]: "signed_up"}


async def test_open_ended_series_without_signup_is_kept_eight_weeks_ahead(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    created = await activity(
        h,
        title="Første Steg",
        description="Enkel lunsj, vi lager nye avtaler.",
        starts_at="2026-03-06T12:00:00",
        ends_at="2026-03-06T14:00:00",
        signup_required=False,
        audience="all",
        repeat={"every": "week"},
    )
    series = created["series"]
    assert len(series["occurrences"]) == 8
    assert series["occurrences"][0]["code"] == "FORST6"
    await h.sms(ANNE, "MELD FORST6")
    assert (
        h.sms_to(ANNE)[-1]
        == "Du trenger ikke melde deg på Første Steg. Bare kom fredag 6. mars kl. 12:00!"
    )
    await h.sms(ANNE, "AKTIVITETER")
    assert "FORST6: Første Steg fredag 6. mars kl. 12:00 (bare kom)" in h.sms_to(ANNE)[-1]
    sent = await h.api("POST", f"/api/activities/{created['id']}/announce", expect=202)
    assert sent["recipients"] == 1
    await h.send_due()
    assert h.sms_to(ANNE)[-1].endswith(
        "Enkel lunsj, vi lager nye avtaler. Ingen påmelding, bare kom!"
    )

    await h.set_time(oslo(2026, 3, 20, 15, 0))
    after = await h.api("GET", f"/api/activity-series/{series['id']}", expect=200)
    assert len(after["occurrences"]) == 11  # three more weeks made by the job
    assert [o["status"] for o in after["occurrences"][:4]] == ["held", "held", "held", "planned"]
    ended = await h.api("DELETE", f"/api/activity-series/{series['id']}", expect=200)
    assert ended["status"] == "ended" and ended["cancelled"] == 8


async def test_reminder_the_day_before_and_none_after_avmeld(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    bjorn = await h.person("Bjørn Lie", phone=BJORN)
    quiz = await activity(h, reminders_minutes_before=[1440, 120])
    await h.sms(ANNE, "MELD QUIZ")
    await h.sms(BJORN, "MELD QUIZ")
    await h.sms(BJORN, "AVMELD QUIZ")
    await h.sms(BJORN, "MELD QUIZ")  # changed his mind: the reminders are queued anew
    prefix = f"reminder:activity:{quiz['id']}:{bjorn['id']}:"
    assert await queued_keys(h, prefix) == {f"{prefix}120": "queued", f"{prefix}1440": "queued"}
    await h.sms(BJORN, "AVMELD QUIZ")
    assert await queued_keys(h, prefix) == {}
    anne_before, bjorn_before = len(h.sms_to(ANNE)), len(h.sms_to(BJORN))

    await h.set_time(oslo(2026, 3, 4, 17, 59))
    assert len(h.sms_to(ANNE)) == anne_before
    await h.set_time(oslo(2026, 3, 4, 18, 0))
    assert h.sms_to(ANNE)[-1] == (
        "Påminnelse: Quiz i morgen kl. 18:00, Kafeen. Kan du ikke komme? Skriv AVMELD QUIZ."
    )
    await h.set_time(oslo(2026, 3, 5, 16, 0))
    assert h.sms_to(ANNE)[-1].startswith("Påminnelse: Quiz i dag kl. 18:00")
    assert len(h.sms_to(ANNE)) == anne_before + 2
    assert len(h.sms_to(BJORN)) == bjorn_before


async def test_moving_an_activity_moves_the_reminders(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    quiz = await activity(h)
    await h.sms(ANNE, "MELD QUIZ")
    await h.api(
        "PATCH", f"/api/activities/{quiz['id']}", {"starts_at": "2026-03-06T18:00:00"}, expect=200
    )
    await h.send_due()
    assert h.sms_to(ANNE)[-1] == "Endring: Quiz er nå fredag 6. mars kl. 18:00, Kafeen."
    await h.set_time(oslo(2026, 3, 4, 18, 30))
    assert not h.sms_to(ANNE)[-1].startswith("Påminnelse")
    await h.set_time(oslo(2026, 3, 5, 18, 0))
    assert h.sms_to(ANNE)[-1].startswith("Påminnelse: Quiz i morgen kl. 18:00")
    async with h.session() as session:
        moved = await session.get(Activity, quiz["id"])
        assert moved is not None and moved.status == "planned"
    assert (await signups(h, quiz["id"])) == {anne["id"]: "signed_up"}


async def test_attendance_head_count_and_the_yearly_figures(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    bjorn = await h.person("Bjørn Lie", phone=BJORN)
    carl = await h.person("Carl Holm", phone=CARL)
    quiz = await activity(h, capacity=1)
    lunch = await activity(
        h, title="Første Steg", starts_at="2026-03-06T12:00:00", signup_required=False
    )
    cancelled = await activity(h, title="Kino", starts_at="2026-03-06T19:00:00")
    await h.sms(ANNE, "MELD QUIZ")
    await h.sms(BJORN, "MELD QUIZ")
    await h.sms(ANNE, "AVMELD QUIZ")  # Bjørn moves up
    await h.sms(CARL, "MELD QUIZ")  # waiting
    await h.api("DELETE", f"/api/activities/{cancelled['id']}", expect=200)

    early = await h.api(
        "POST", f"/api/activities/{quiz['id']}/attendance", {"attended": [bjorn["id"]]}
    )
    assert early["error"]["code"] == "conflict"
    await h.set_time(oslo(2026, 3, 6, 21, 0))
    done = await h.api(
        "POST",
        f"/api/activities/{quiz['id']}/attendance",
        {"attended": [bjorn["id"], anne["id"]], "no_show": []},
        expect=200,
    )
    assert done["status"] == "held" and done["counts"]["attended"] == 2
    await h.api(
        "PATCH",
        f"/api/activities/{quiz['id']}/signups/{carl['id']}",
        {"status": "no_show"},
        expect=200,
    )
    await h.api("PATCH", f"/api/activities/{lunch['id']}", {"head_count": 11}, expect=200)
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["activities"] == {
        "held": 2,
        "cancelled": 1,
        "participations": 13,
        "attended": 2,
        "head_counts": 11,
        "signups": 2,
        "waitlist_promotions": 1,
        "no_shows": 1,
        "interested": 0,
    }
    later = await h.api("GET", "/api/stats?from=2026-04-01&to=2026-05-01", expect=200)
    assert later["activities"]["held"] == 0


async def test_staff_api_validation_and_codes(h: Harness) -> None:
    bad = await h.api(
        "POST",
        "/api/activities",
        {"title": "Quiz", "starts_at": "2026-03-05T18:00", "ends_at": "2026-03-05T17:00"},
    )
    assert h.last_status == 422 and "ends_at" in bad["error"]["fields"]
    bad = await h.api(
        "POST", "/api/activities", {"title": "Quiz", "starts_at": "2026-03-05T18:00", "code": "ÆØÅ"}
    )
    assert h.last_status == 422 and "code" in bad["error"]["fields"]
    mine = await activity(h, code="tur2")
    assert mine["code"] == "TUR2"
    taken = await h.api(
        "POST", "/api/activities", {"title": "X", "starts_at": "2026-03-06T18:00", "code": "TUR2"}
    )
    assert h.last_status == 409 and "code" in taken["error"]["fields"]
    second = await activity(h, title="Quiz")
    assert second["code"] == "QUIZ"
    third = await activity(h, title="Quiz")
    assert third["code"] == "QUIZ2"
    one = await h.api("GET", f"/api/activities/{mine['id']}", expect=200)
    assert one["counts"]["signed_up"] == 0
    await h.api("GET", "/api/activities/99999", expect=404)


async def test_demo_has_activities_a_waiting_line_and_a_weekly_series(h: Harness) -> None:
    from bot.demo import fill_demo

    async with h.session() as session:
        await fill_demo(session, h.clock)
    listing = await h.items("/api/activities")
    titles = {a["title"] for a in listing}
    assert {"Quiz og bingo", "Tur til Gressholmen", "Første Steg"} <= titles
    trip = next(a for a in listing if a["title"] == "Tur til Gressholmen")
    rows = await h.items(f"/api/activities/{trip['id']}/signups")
    assert sorted(r["status"] for r in rows).count("waitlisted") == 2
    assert sum(a["title"] == "Første Steg" for a in listing) == 8


async def test_openapi_lists_the_activity_and_broadcast_calls(h: Harness) -> None:
    doc = await h.api("GET", "/api/openapi.json", expect=200)
    for path in (
        "/api/activities",
        "/api/activities/{id}/announce",
        "/api/activities/{id}/signups/{person_id}",
        "/api/activities/{id}/attendance",
        "/api/activity-series/{id}",
        "/api/broadcasts/preview",
        "/api/broadcasts/{id}/cancel",
    ):
        assert path in doc["paths"], path
