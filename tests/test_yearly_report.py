"""The yearly report on the demo's year of history, against figures counted by hand, and the
"<5" rule in the funder view, the CSV and the XLSX workbook.

The clock stands at Monday 2 March 2026, 10:00 in Oslo; the report covers the year before.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from bot.demo import fill_demo
from storage.models import CheckinPlan, CheckinRound, Person
from tests.harness import Harness

PERIOD = "from=2025-03-02&to=2026-03-03"
# Figures that count things, not people: small numbers of them are shown as they are.
NOT_PEOPLE = {"held", "cancelled", "surveys", "shifts", "shifts_filled", "shifts_open"}
NOT_PEOPLE |= {"received", "sent", "failed", "sms_segments"}


async def demo(h: Harness) -> None:
    async with h.session() as session:
        await fill_demo(session, h.clock)


def figures(report: dict[str, Any], section: str) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["sections"][section]}


async def test_the_report_on_the_demo_year_matches_hand_counts(h: Harness) -> None:
    await demo(h)
    report = await h.api("GET", f"/api/reports/year?{PERIOD}", expect=200)
    assert report["masked"] is False
    activities = figures(report, "activities")
    by_hand = {
        "quiz_bingo": (17, 17 * 12),
        "hairdresser": (6, 6 * 5),
        "football": (4, 4 * 9),
        "culture_trip": (9, 9 * 11),
        "talk_group": (14, 14 * 4),
    }
    for key, (held, participations) in by_hand.items():
        assert activities[f"by_type.{key}.held"] == held
        assert activities[f"by_type.{key}.participations"] == participations
    assert activities["held"] == 50
    assert activities["participations"] == 425

    appointments = figures(report, "appointments")
    assert (appointments["attended"], appointments["missed"]) == (14, 6)
    assert appointments["attendance_rate_confirmed"] == round(10 / 12, 3)
    assert appointments["attendance_rate_not_confirmed"] == 0.5
    assert appointments["attendance_rate"] == 0.7

    people = figures(report, "people")
    assert (people["intakes"], people["intakes.taken_in"]) == (30, 24)
    assert (people["intakes.short_term"], people["intakes.referred"]) == (3, 3)
    # 30 participants, one volunteer who is a participant too, and the follow-up demo's two
    # without a phone of their own (a hostel phone's second user, and a man with no phone)
    assert people["by_role.participant"] == 33
    assert people["participants_by_gender.woman"] == 10
    assert people["participants_by_gender.man"] == 20
    assert people["participants_by_gender.not_recorded"] == 3
    municipalities = {k: v for k, v in people.items() if k.startswith("by_municipality.")}
    assert municipalities == {
        "by_municipality.Oslo": 20,
        "by_municipality.Bærum": 4,
        "by_municipality.not_recorded": 6,
        "by_municipality.Lørenskog": 3,
    }
    surveys = figures(report, "surveys")
    assert (surveys["surveys"], surveys["asked"], surveys["answered"]) == (1, 15, 12)

    # bot/demo_followup.py: a walking assignment (4 meetings: 1.5 + 2 + 1 + 2 hours), one gone
    # quiet (no meetings), and one handed over to the key worker in the autumn (5 × 2 hours).
    volunteers = figures(report, "volunteers")
    assert (volunteers["assignments_active"], volunteers["assignments_started"]) == (2, 3)
    assert (volunteers["assignments_ended"], volunteers["assignments_handed_over"]) == (0, 1)
    assert volunteers["assignment_meetings"] == 4 + 5
    assert volunteers["assignment_hours"] == 6.5 + 10
    # Followed: four with a check-in plan (followed from today) and the two active
    # assignments; only the quiet one is past the 14 days, texted "Alt vel?" once.
    signs = figures(report, "signs_of_life")
    assert (signs["followed"], signs["reached"], signs["not_reached"]) == (6, 5, 1)
    assert (signs["gentle_texts"], signs["key_worker_items"], signs["team_items"]) == (1, 0, 0)


async def test_small_numbers_are_under_5_in_every_export(h: Harness) -> None:
    await demo(h)
    exact = await h.api("GET", f"/api/reports/year?{PERIOD}", expect=200)
    funder = await h.api("GET", f"/api/reports/year?{PERIOD}&funder=true", expect=200)
    assert funder["masked"] is True
    assert figures(exact, "people")["intakes.short_term"] == 3
    assert figures(funder, "people")["intakes.short_term"] == "<5"
    assert figures(funder, "people")["by_municipality.Bærum"] == "<5"
    assert figures(funder, "people")["intakes.taken_in"] == 24
    assert figures(funder, "activities")["by_type.football.held"] == 4  # activities, not people

    def small_people(report: dict[str, Any]) -> list[str]:
        return [
            f"{name}/{f['key']}"
            for name, items in report["sections"].items()
            for f in items
            if isinstance(f["value"], int)
            and 0 < f["value"] < 5
            and f["key"] not in NOT_PEOPLE
            and not f["key"].endswith(".held")
        ]

    assert small_people(exact)  # there are small numbers to protect
    assert small_people(funder) == []

    resp = await h.client.get(
        f"/api/reports/year.csv?{PERIOD}", headers={"Authorization": f"Bearer {h.token}"}
    )
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert rows[0] == ["section", "figure", "value"]
    shown = {(r[0], r[1]): r[2] for r in rows[1:]}
    for name, items in funder["sections"].items():
        for f in items:
            expected = "" if f["value"] is None else str(f["value"])
            assert shown[(name, f["key"])] == expected, (name, f["key"])

    resp = await h.client.get(
        f"/api/reports/year.xlsx?{PERIOD}", headers={"Authorization": f"Bearer {h.token}"}
    )
    assert resp.status == 200
    book = load_workbook(io.BytesIO(await resp.read()))
    assert book.sheetnames == [
        "report",
        "people",
        "messages",
        "appointments",
        "activities",
        "waiting_lines",
        "volunteers",
        "checkins",
        "signs_of_life",
        "surveys",
    ]
    sheet = {row[0]: row[1] for row in book["people"].iter_rows(min_row=2, values_only=True)}
    assert sheet["intakes.short_term"] == "<5"
    assert sheet["intakes.taken_in"] == 24
    for name, items in funder["sections"].items():
        cells = {r[0]: r[1] for r in book[name].iter_rows(min_row=2, values_only=True)}
        for f in items:
            assert cells[f["key"]] == f["value"], (name, f["key"])


async def test_a_bad_period_is_named(h: Harness) -> None:
    bad = await h.api("GET", "/api/reports/year?from=2026-03-01&to=2026-02-01", expect=422)
    assert "to must be after from" in repr(bad["error"]["fields"])


async def test_report_fields_on_people_and_activity_types(h: Harness) -> None:
    person = await h.person(
        "Per Hansen",
        gender="man",
        municipality="Drammen",
        intake_outcome="short_term",
        intake_on="2026-02-20",
    )
    assert (person["gender"], person["municipality"]) == ("man", "Drammen")
    changed = await h.api(
        "PATCH",
        f"/api/people/{person['id']}",
        {"gender": None, "intake_outcome": "referred"},
        expect=200,
    )
    assert (changed["gender"], changed["intake_outcome"]) == (None, "referred")
    bad = await h.api("PATCH", f"/api/people/{person['id']}", {"gender": "x"}, expect=422)
    assert "gender" in bad["error"]["fields"]
    types = await h.api("GET", "/api/activity-types", expect=200)
    assert [t["key"] for t in types][:5] == [
        "quiz_bingo",
        "hairdresser",
        "football",
        "culture_trip",
        "talk_group",
    ]
    added = await h.api("POST", "/api/activity-types", {"name": "Båttur"}, expect=201)
    assert added == {"site_id": 1, "key": "battur", "name": "Båttur"}
    activity = await h.api(
        "POST",
        "/api/activities",
        {"title": "Tur", "starts_at": "2026-03-04T10:00:00", "activity_type": "battur"},
        expect=201,
    )
    assert activity["activity_type"] == "battur"
    bad = await h.api(
        "POST",
        "/api/activities",
        {"title": "Tur", "starts_at": "2026-03-04T10:00:00", "activity_type": "nope"},
        expect=422,
    )
    assert "activity_type" in bad["error"]["fields"]


async def test_check_in_scores_are_averaged_by_the_sites_own_months(h: Harness) -> None:
    """An answer at 00:30 on 1 February in Oslo is February's, though it is still January in
    UTC: the report's months are the site's own."""
    await demo(h)
    answers = [
        (datetime(2025, 6, 15, 10, 0, tzinfo=UTC), 4),
        (datetime(2025, 6, 16, 10, 0, tzinfo=UTC), 3),
        (datetime(2026, 1, 31, 22, 30, tzinfo=UTC), 1),  # 23:30 on 31 January in Oslo
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), 5),  # 00:30 on 1 February in Oslo
        (datetime(2026, 2, 10, 10, 0, tzinfo=UTC), 3),
        (datetime(2026, 3, 2, 23, 30, tzinfo=UTC), 2),  # 3 March in Oslo: after the period
    ]
    async with h.session() as session:
        person = await session.scalar(select(Person).order_by(Person.id).limit(1))
        assert person is not None
        plan = CheckinPlan(
            person_id=person.id, at="10:00", starts_on=date(2025, 6, 1), created_at=answers[0][0]
        )
        session.add(plan)
        await session.flush()
        session.add_all(
            CheckinRound(
                plan_id=plan.id, person_id=person.id, asked_at=at, answered_at=at, score=score
            )
            for at, score in answers
        )
    report = await h.api("GET", f"/api/reports/year?{PERIOD}", expect=200)
    monthly = {
        f["key"].removeprefix("average_score."): f["value"]
        for f in report["sections"]["checkins"]
        if f["key"].startswith("average_score.")
    }
    assert monthly == {"2025-06": 3.5, "2026-01": 1.0, "2026-02": 4.0}
