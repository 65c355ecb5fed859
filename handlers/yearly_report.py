"""The yearly report for a period and site: what funders and the yearly report ask for.

Each section is a function ``(session, site_id, start, end, options) -> list[Figure]`` in
``SECTIONS``, so a section can later read daily rollups instead of the raw rows without the
exports changing. A figure says whether it counts people: those under 5 are shown as "<5" in
every export and in the funder view (``masked``); staff views may show them exactly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import activity_types
from handlers.activities import activity_figures
from handlers.appointment_replies import appointment_figures
from handlers.checkins import checkin_figures
from handlers.followup import figures as followup_figures
from handlers.rota.figures import volunteer_figures
from handlers.segments import count_segments
from handlers.stats import message_figures
from handlers.surveys import survey_figures
from storage.models import (
    Activity,
    Appointment,
    CheckinRound,
    Message,
    Person,
    PersonRole,
    Signup,
    Site,
)
from storage.models.states import IntakeOutcome, PersonRoleName

SMALL = 5
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class Figure:
    """One line of the report: ``key`` names it (``by_gender.woman``), ``people`` marks a count
    of people (or of what people did) that "<5" protects."""

    key: str
    value: int | float | str | None
    people: bool = True
    # For an average: how many answers it is made of (fewer than 5: "<5" in exports).
    n: int | None = None


@dataclass(frozen=True)
class Options:
    sms_price: float = 0.5
    timezone: str = "Europe/Oslo"
    # The clock's time: a period that has not ended counts signs of life up to now.
    now: datetime | None = None


Section = Callable[[AsyncSession, int | None, datetime, datetime, Options], Awaitable[list[Figure]]]


def shown(figure: Figure, masked: bool) -> int | float | str | None:
    """The value as an export shows it: a count of 1-4 people is "<5" (0 stays 0)."""
    value = figure.value
    if not masked or value is None:
        return value
    if figure.people and isinstance(value, int) and 0 < value < SMALL:
        return "<5"
    if figure.n is not None and figure.n < SMALL:
        return "<5"
    return value


def in_site(query: Any, column: Any, site_id: int | None) -> Any:
    return query.where(column == site_id) if site_id is not None else query


async def people_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """People registered by the end of the period by role, new in it, active in it (a text in,
    an appointment or activity attended), and by gender, municipality and intake outcome."""
    # Only the columns counted: every person of the site, so no objects with their contacts.
    registered = in_site(
        select(
            Person.id,
            Person.created_at,
            Person.gender,
            Person.municipality,
            Person.intake_outcome,
            Person.intake_on,
        ).where(Person.created_at < end),
        Person.site_id,
        site_id,
    )
    people = list((await session.execute(registered)).all())
    roles: dict[int, set[str]] = defaultdict(set)
    if people:  # the same people by a subquery: no list of every id as parameters
        for person_id, role in await session.execute(
            select(PersonRole.person_id, PersonRole.role).where(
                PersonRole.person_id.in_(registered.with_only_columns(Person.id))
            )
        ):
            roles[person_id].add(role)
    active = await active_people(session, site_id, start, end)
    figures: list[Figure] = []
    for role in PersonRoleName:
        figures.append(Figure(f"by_role.{role.value}", sum(role in roles[p.id] for p in people)))
    figures.append(Figure("new", sum(start <= p.created_at < end for p in people)))
    figures.append(Figure("active", len(active)))
    participants = [p for p in people if PersonRoleName.PARTICIPANT in roles[p.id]]
    volunteers = [p for p in people if PersonRoleName.VOLUNTEER in roles[p.id]]
    for group, members in (("participants", participants), ("volunteers", volunteers)):
        genders = Counter(p.gender or NOT_RECORDED for p in members)
        for gender in ("woman", "man", "other", NOT_RECORDED):
            figures.append(Figure(f"{group}_by_gender.{gender}", genders[gender]))
    places = Counter(p.municipality or NOT_RECORDED for p in participants)
    for place, n in sorted(places.items(), key=lambda item: (-item[1], item[0])):
        figures.append(Figure(f"by_municipality.{place}", n))
    intakes = Counter(
        p.intake_outcome
        for p in people
        if p.intake_outcome and p.intake_on and start.date() <= p.intake_on < end.date()
    )
    figures.append(Figure("intakes", sum(intakes.values())))
    for outcome in IntakeOutcome:
        figures.append(Figure(f"intakes.{outcome.value}", intakes[outcome.value]))
    return figures


async def active_people(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> set[int]:
    texted = in_site(
        select(Message.person_id).where(
            Message.direction == "in",
            Message.person_id.is_not(None),
            Message.created_at >= start,
            Message.created_at < end,
        ),
        Message.site_id,
        site_id,
    )
    met = in_site(
        select(Appointment.person_id).where(
            Appointment.status == "attended",
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        ),
        Appointment.site_id,
        site_id,
    )
    came = in_site(
        select(Signup.person_id)
        .join(Activity, Activity.id == Signup.activity_id)
        .where(Signup.status == "attended", Activity.starts_at >= start, Activity.starts_at < end),
        Activity.site_id,
        site_id,
    )
    found: set[int] = set()
    for query in (texted, met, came):  # each person once, not each text
        found.update(i for i in await session.scalars(query.distinct()) if i is not None)
    return found


async def messages_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Texts in and out, and what the SMS cost: segments of each SMS sent × the price."""
    counts = await message_figures(session, site_id, start, end)
    sms = in_site(
        select(Message.text, func.count())
        .where(
            Message.direction == "out",
            Message.channel == "sms",
            Message.status.in_(("sent", "delivered")),
            Message.created_at >= start,
            Message.created_at < end,
        )
        .group_by(Message.text),
        Message.site_id,
        site_id,
    )
    # Each distinct text is counted once (reminders and broadcasts repeat); a text blanked by
    # retention or erasure counts as one segment.
    segments = sum(
        (count_segments(text).segments if text else 1) * int(n)
        for text, n in (await session.execute(sms)).all()
    )
    return [
        Figure("received", counts["received"], people=False),
        Figure("sent", counts["sent"], people=False),
        Figure("failed", counts["failed"], people=False),
        Figure("opt_outs", counts["opt_outs"]),
        Figure("sms_segments", segments, people=False),
        Figure("sms_price", options.sms_price, people=False),
        Figure("sms_cost", round(segments * options.sms_price, 2), people=False),
    ]


def rate(attended: int, missed: int) -> float | None:
    return round(attended / (attended + missed), 3) if attended + missed else None


async def appointments_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Reminded, confirmed, declined, attended and missed; and the attendance rate of
    appointments whose reminder was confirmed (JA) against all others with an outcome."""
    base = await appointment_figures(session, site_id, start, end)
    outcomes = await session.execute(
        in_site(
            select(Appointment.status, Appointment.confirmed_at.is_not(None), func.count())
            .where(
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
                Appointment.status.in_(("attended", "missed")),
            )
            .group_by(Appointment.status, Appointment.confirmed_at.is_not(None)),
            Appointment.site_id,
            site_id,
        )
    )
    seen: Counter[tuple[str, bool]] = Counter()
    for status, confirmed, n in outcomes.all():
        seen[(status, bool(confirmed))] += int(n)
    return [
        Figure("appointments", base["appointments"]),
        Figure("reminders_sent", base["reminders_sent"]),
        Figure("confirmed", base["confirmed"]),
        Figure("declined", base["declined"]),
        Figure("attended", base["attended"]),
        Figure("missed", base["missed"]),
        Figure("attendance_rate", base["attendance_rate"], people=False),
        Figure(
            "attendance_rate_confirmed",
            rate(seen[("attended", True)], seen[("missed", True)]),
            people=False,
        ),
        Figure(
            "attendance_rate_not_confirmed",
            rate(seen[("attended", False)], seen[("missed", False)]),
            people=False,
        ),
    ]


async def activities_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Activities held and participations (attended + head counts), in all and by type."""
    totals = await activity_figures(session, site_id, start, end)
    held = in_site(
        select(Activity.id, Activity.activity_type, Activity.head_count).where(
            Activity.starts_at >= start, Activity.starts_at < end, Activity.status == "held"
        ),
        Activity.site_id,
        site_id,
    )
    rows = (await session.execute(held)).all()
    attended: Counter[int] = Counter()
    if rows:
        for activity_id, n in await session.execute(
            select(Signup.activity_id, func.count())
            .where(Signup.activity_id.in_([r[0] for r in rows]), Signup.status == "attended")
            .group_by(Signup.activity_id)
        ):
            attended[activity_id] = int(n)
    occurrences: Counter[str] = Counter()
    participations: Counter[str] = Counter()
    for activity_id, kind, head_count in rows:
        key = kind or NOT_RECORDED
        occurrences[key] += 1
        participations[key] += attended[activity_id] + (head_count or 0)
    figures = [
        Figure("held", totals["held"], people=False),
        Figure("cancelled", totals["cancelled"], people=False),
        Figure("participations", totals["participations"]),
    ]
    keys = [*await activity_types.names_of(session, site_id), NOT_RECORDED]
    for key in keys:
        if occurrences[key] or key != NOT_RECORDED:
            figures.append(Figure(f"by_type.{key}.held", occurrences[key], people=False))
            figures.append(Figure(f"by_type.{key}.participations", participations[key]))
    return figures


async def waiting_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Places asked for on a full activity: who waited, who got a place, who still waits."""
    query = in_site(
        select(Signup.status, Signup.promoted_at.is_not(None))
        .join(Activity, Activity.id == Signup.activity_id)
        .where(
            Activity.starts_at >= start,
            Activity.starts_at < end,
            or_(Signup.status == "waitlisted", Signup.promoted_at.is_not(None)),
        ),
        Activity.site_id,
        site_id,
    )
    rows = (await session.execute(query)).all()
    return [
        Figure("waited", len(rows)),
        Figure("got_a_place", sum(1 for _, promoted in rows if promoted)),
        Figure("never_got_a_place", sum(1 for status, _ in rows if status == "waitlisted")),
    ]


async def volunteers_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Hours and full-time equivalents, shifts filled and open; and volunteer assignments
    (oppdrag): running at the period's end, started, ended and handed over in it, and the
    meetings and hours volunteers reported with ``TREFF``."""
    v = await volunteer_figures(session, site_id, start, end)
    a = await followup_figures.assignments_in_period(session, site_id, start, end)
    return [
        Figure("volunteers", v["volunteers"]),
        Figure("volunteer_hours", v["volunteer_hours"], people=False),
        Figure("full_time_equivalents", v["full_time_equivalents"], people=False),
        Figure("shifts", v["shifts"], people=False),
        Figure("shifts_filled", v["shifts_filled"], people=False),
        Figure("shifts_open", v["shifts"] - v["shifts_filled"], people=False),
        Figure("no_shows", v["no_shows"]),
        Figure("assignments_active", int(a["active"])),
        Figure("assignments_started", int(a["started"])),
        Figure("assignments_ended", int(a["ended"])),
        Figure("assignments_handed_over", int(a["handed_over"])),
        Figure("assignment_meetings", int(a["meetings"])),
        Figure("assignment_hours", a["hours"], people=False),
    ]


async def checkins_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """Check-ins sent and answered, and the average score of each month (local time)."""
    c = await checkin_figures(session, site_id, start, end, trend=False)
    figures = [
        Figure("sent", c["sent"]),
        Figure("answered", c["answered"]),
        Figure("average_score", c["average_score"], people=False, n=c["answered"]),
    ]
    # Averaged per month of each site's own calendar, in SQL: a year's answers stay in the
    # database, and only a sum and a count per month come back.
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    zones = await session.scalars(in_site(select(Site.timezone).distinct(), Site.id, site_id))
    for zone in list(zones):
        months = local_months(start, end, ZoneInfo(zone))
        if not months:
            continue
        month = case(*[(CheckinRound.answered_at < until, label) for label, until in months]).label(
            "month"
        )
        rows = await session.execute(
            in_site(
                select(month, func.sum(CheckinRound.score), func.count(CheckinRound.score))
                .join(Person, Person.id == CheckinRound.person_id)
                .join(Site, Site.id == Person.site_id)
                .where(
                    Site.timezone == zone,
                    CheckinRound.score.is_not(None),
                    CheckinRound.answered_at >= start,
                    CheckinRound.answered_at < end,
                )
                .group_by(month),
                Person.site_id,
                site_id,
            )
        )
        for label, total, count in rows.all():
            totals[label][0] += int(total)
            totals[label][1] += int(count)
    for label, (total, count) in sorted(totals.items()):
        figures.append(
            Figure(
                f"average_score.{label}",
                round(total / count, 2),
                people=False,
                n=count,
            )
        )
    return figures


def local_months(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """The months of ``zone``'s calendar that [start, end) touches: each one's "YYYY-MM" and the
    instant it ends (the next month's first midnight there, or ``end``)."""
    local = start.astimezone(zone)
    first = datetime(local.year, local.month, 1, tzinfo=zone)
    months: list[tuple[str, datetime]] = []
    while first < end:
        following = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=zone)
        months.append((f"{first.year:04d}-{first.month:02d}", min(following, end)))
        first = following
    return months


async def signs_of_life_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    """From the signs-of-life follow-up: people with an active plan or assignment reached
    within their threshold by any signal, and not; the gentle texts sent and the inbox items
    raised for the key worker and the team."""
    s = await followup_figures.signs_in_period(session, site_id, start, end, options.now or end)
    return [
        Figure("followed", s["followed"]),
        Figure("reached", s["reached"]),
        Figure("not_reached", s["not_reached"]),
        Figure("gentle_texts", s["gentle_texts"]),
        Figure("key_worker_items", s["key_worker_items"]),
        Figure("team_items", s["team_items"]),
    ]


async def surveys_section(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> list[Figure]:
    s = await survey_figures(session, site_id, start, end)
    figures = [
        Figure("surveys", s["surveys"], people=False),
        Figure("asked", s["asked"]),
        Figure("answered", s["answered"]),
    ]
    for item in s["items"]:
        figures.append(Figure(f"survey.{item['id']}.n", item["answered"]))
    return figures


SECTIONS: dict[str, Section] = {
    "people": people_section,
    "messages": messages_section,
    "appointments": appointments_section,
    "activities": activities_section,
    "waiting_lines": waiting_section,
    "volunteers": volunteers_section,
    "checkins": checkins_section,
    "signs_of_life": signs_of_life_section,
    "surveys": surveys_section,
}


async def build(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, options: Options
) -> dict[str, list[Figure]]:
    return {
        name: await section(session, site_id, start, end, options)
        for name, section in SECTIONS.items()
    }
