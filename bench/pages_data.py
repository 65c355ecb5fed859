"""The staff app's work on the scaled bench site: what the views of the staff app, part 2 and
the follow-up pages show once a site has run for some months.

A rota with 300 volunteers' terms, twelve weeks of shifts held and two weeks of offers out; check-in
plans with three months of answers; activities with sign-up lists and waiting lines (one at the
door now); a month of appointments either side of today; a finished survey; volunteer
assignments with meetings and signs of life; a broadcast that went out; texts for the desk.
Rows go in with bulk ``INSERT``s where the rules do not matter, through ``handlers`` where they do
(shifts, offers, activities).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.activities import ActivityFields, create_activity
from handlers.clock import Clock
from handlers.context import Rules
from handlers.rota import offers, shifts
from handlers.rota.plan import plan
from storage.models import (
    Activity,
    Appointment,
    Assignment,
    AssignmentMeeting,
    Broadcast,
    CheckinPlan,
    CheckinRound,
    ContactPoint,
    Message,
    Person,
    PersonRole,
    Shift,
    SignOfLife,
    Signup,
    Site,
    Survey,
    SurveyFreeText,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTally,
    VolunteerAssignment,
    VolunteerTerms,
)

HELD_WEEKS = 12
CHECKIN_DAYS = 90
PLANS = 120
ASSIGNMENTS = 80
DESK_PEOPLE = 30
EXTRA_TEMPLATES = [
    ("matutdeling", [0, 1, 2, 3, 4, 5], "11:00", "15:00", 4, None, None),
    ("nattvakt", [0, 1, 2, 3, 4, 5, 6], "22:00", "07:00", 2, None, "førstehjelp"),
    ("turgruppe", [1, 4], "10:00", "13:00", 3, None, None),
]


@dataclass
class WorkIds:
    """The rows the bench opens a page of."""

    activity: int  # upcoming, with a full list and a waiting line
    door: int  # starts within the hour: the attendance view
    shift: int  # open, with offers out
    broadcast: int
    survey: int
    participant: int  # with a check-in plan, an assignment and months of answers


async def people_of(session: AsyncSession, site_id: int, role: str) -> list[int]:
    return list(
        await session.scalars(
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.site_id == site_id, PersonRole.role == role)
            .order_by(Person.id)
        )
    )


async def scale_work(session: AsyncSession, clock: Clock) -> WorkIds:
    rng = random.Random(10)
    site = await session.scalar(select(Site).order_by(Site.id).limit(1))
    assert site is not None
    participants = await people_of(session, site.id, "participant")
    volunteers = await people_of(session, site.id, "volunteer")
    shift = await rota(session, clock, site, volunteers, rng)
    participant = await checkins(session, clock, participants, rng)
    activity, door = await activities(session, clock, site.id, participants, rng)
    await appointments(session, clock, site.id, participants, rng)
    survey = await finished_survey(session, clock, site.id, participants, rng)
    await follow_up(session, clock, site.id, participant, participants, volunteers, rng)
    broadcast = await sent_broadcast(session, clock, site.id, participants)
    await desk_texts(session, clock, site.id, rng)
    return WorkIds(activity, door, shift, broadcast, survey, participant)


async def rota(
    session: AsyncSession, clock: Clock, site: Site, volunteers: list[int], rng: random.Random
) -> int:
    """Terms for every volunteer without any, more templates, twelve weeks held, two weeks
    offered through the planner (``plan_period``: questions and texts queued as in use)."""
    for title, weekdays, start, end, needed, role, qualification in EXTRA_TEMPLATES:
        await shifts.create_template(
            session,
            clock,
            site,
            title=title,
            weekdays=weekdays,
            start=start,
            end=end,
            needed=needed,
            role=role,
            qualification=qualification,
        )
    have = set(await session.scalars(select(VolunteerTerms.person_id)))
    await session.execute(
        insert(VolunteerTerms),
        [
            {
                "person_id": pid,
                "weekdays": rng.choice([[0, 1, 2, 3, 4], [0, 2], [1, 3], [5, 6], [2, 3, 4]]),
                "max_shifts_per_month": rng.choice([None, 2, 4, 8]),
                "unavailable_dates": [],
                "qualifications": rng.sample(["kurs modul 1", "førstehjelp"], rng.randint(0, 2)),
                "updated_at": clock.now(),
            }
            for pid in volunteers
            if pid not in have
        ],
    )
    tz = ZoneInfo(site.timezone)
    today = clock.now().astimezone(tz).date()
    first = today - timedelta(weeks=HELD_WEEKS)
    past = await shifts.generate_for_site(session, clock, site, first, today - timedelta(days=1))
    held = [s for s in past if s.ends_at <= clock.now()]
    pool = await shifts.pool_for(session, site, clock.now(), held[0].starts_at, clock.now())
    history = plan(
        [shifts.plan_shift(s, s.needed, tz) for s in held], pool.volunteers, pool.existing, tz=tz
    )
    if history.offers:
        await session.execute(
            insert(Assignment),
            [
                {
                    "shift_id": o.shift_id,
                    "person_id": o.person_id,
                    "status": "confirmed" if n % 9 else "no_show",
                    "source": "plan",
                    "round": 1,
                    "created_at": clock.now(),
                }
                for n, o in enumerate(history.offers)
            ],
        )
    for shift in held:
        shift.status = "done"
    await session.flush()
    await offers.plan_period(
        session,
        clock,
        Rules(timezone=site.timezone),
        site,
        today,
        today + timedelta(days=13),
        respond_within=timedelta(hours=24),
    )
    # Some offers were answered: a no and a yes each, so "who was asked" has rounds.
    offered = list(
        await session.scalars(
            select(Assignment).where(Assignment.status == "offered").order_by(Assignment.id)
        )
    )
    for n, assignment in enumerate(offered):
        if n % 4 == 0:
            assignment.status = "declined"
            assignment.answered_at = clock.now()
        elif n % 4 == 1:
            assignment.status = "confirmed"
            assignment.answered_at = clock.now()
    await session.flush()
    busiest = await session.scalar(
        select(Shift.id)
        .join(Assignment, Assignment.shift_id == Shift.id)
        .where(Shift.status == "open", Shift.starts_at > clock.now(), Shift.title == "matutdeling")
        .group_by(Shift.id)
        .order_by(func.count().desc(), Shift.id)
        .limit(1)
    )
    assert busiest is not None
    return int(busiest)


async def checkins(
    session: AsyncSession, clock: Clock, participants: list[int], rng: random.Random
) -> int:
    """Plans for 120 participants (a third daily), each with answers since it started."""
    now = clock.now()
    chosen = participants[-PLANS:]
    plans = [
        {
            "person_id": pid,
            "schedule": "fixed",
            "every": "daily" if n % 3 == 0 else "weekly",
            "weekday": None if n % 3 == 0 else n % 7,
            "at": "10:00",
            "starts_on": (now - timedelta(days=CHECKIN_DAYS)).date(),
            "escalate_after_missed": 3,
            "low_score_threshold": 2,
            "nudge_after_minutes": 240,
            "status": "paused" if n % 17 == 0 else "active",
            "missed_in_row": 0,
            "next_due_at": now + timedelta(hours=2),
            "created_at": now - timedelta(days=CHECKIN_DAYS),
        }
        for n, pid in enumerate(chosen)
    ]
    await session.execute(insert(CheckinPlan), plans)
    rows = (
        await session.execute(
            select(CheckinPlan.id, CheckinPlan.person_id, CheckinPlan.every).where(
                CheckinPlan.person_id.in_(chosen)
            )
        )
    ).all()
    rounds = []
    for plan_id, person_id, every in rows:
        step = 1 if every == "daily" else 7
        for back in range(CHECKIN_DAYS, 0, -step):
            asked = now - timedelta(days=back)
            missed = rng.random() < 0.15
            rounds.append(
                {
                    "plan_id": plan_id,
                    "person_id": person_id,
                    "asked_at": asked,
                    "answered_at": None if missed else asked + timedelta(minutes=30),
                    "score": None if missed else rng.choice([1, 2, 3, 3, 4, 4, 4, 5]),
                    "missed": missed,
                }
            )
    await session.execute(insert(CheckinRound), rounds)
    return chosen[0]


async def activities(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    participants: list[int],
    rng: random.Random,
) -> tuple[int, int]:
    """Eight weeks held (three a week, with attendance), four upcoming with full lists and
    waiting lines, and one starting within the hour (the door)."""
    now = clock.now()
    made: list[tuple[Activity, str]] = []
    for week in range(8, 0, -1):
        for day, title in ((0, "Frokostklubb"), (2, "Turgruppe"), (4, "Quiz")):
            starts = now - timedelta(weeks=week) + timedelta(days=day)
            if starts >= now - timedelta(hours=6):
                continue
            made.append((await add_activity(session, clock, site_id, title, starts, None), "held"))
    for n in range(4):
        starts = now + timedelta(days=2 + 3 * n, hours=3)
        made.append((await add_activity(session, clock, site_id, "Tur", starts, 25), "coming"))
    door = await add_activity(session, clock, site_id, "Middag", now + timedelta(minutes=45), 40)
    made.append((door, "door"))
    for activity, kind in made:
        if kind == "held":
            activity.status = "held"
            activity.head_count = rng.randint(15, 40)
    await session.flush()
    signups = []
    for activity, kind in made:
        people = rng.sample(participants, 35 if kind != "door" else 40)
        for position, pid in enumerate(people):
            if kind == "held":
                status = "attended" if position % 5 else "no_show"
            elif activity.capacity is not None and position >= activity.capacity:
                status = "waitlisted"
            else:
                status = "signed_up"
            signups.append(
                {
                    "activity_id": activity.id,
                    "person_id": pid,
                    "status": status,
                    "position": position,
                    "source": "invitation",
                    "created_at": now - timedelta(days=3),
                    "signed_up_at": now - timedelta(days=3),
                }
            )
    await session.execute(insert(Signup), signups)
    coming = [a for a, kind in made if kind == "coming"]
    for activity in coming:
        activity.audience = "all"
    return coming[0].id, door.id


async def add_activity(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    title: str,
    starts: datetime,
    capacity: int | None,
) -> Activity:
    fields = ActivityFields(
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location="Dagsenteret",
        capacity=capacity,
    )
    if starts <= clock.now():  # the rules refuse a start in the past: make it, then move it
        fields.starts_at, fields.ends_at = clock.now() + timedelta(days=1), None
        activity = await create_activity(session, clock, site_id, fields)
        activity.starts_at, activity.ends_at = starts, starts + timedelta(hours=2)
        return activity
    return await create_activity(session, clock, site_id, fields)


async def appointments(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    participants: list[int],
    rng: random.Random,
) -> None:
    """Twelve appointments a working day, four weeks back and four ahead."""
    now = clock.now()
    today = now.date()
    rows = []
    for back in range(-28, 29):
        day = today + timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for n in range(12):
            starts = datetime.combine(day, time(8 + n // 2, 30 * (n % 2)), tzinfo=now.tzinfo)
            past = starts < now
            rows.append(
                {
                    "site_id": site_id,
                    "person_id": rng.choice(participants),
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=30),
                    "title": "Samtale",
                    "location": "Kontoret",
                    "reminders_minutes_before": [1440],
                    "status": rng.choice(["attended", "attended", "missed"])
                    if past
                    else rng.choice(["scheduled", "confirmed", "confirmed", "declined"]),
                    "version": 1,
                    "created_at": now - timedelta(days=30),
                    "updated_at": now - timedelta(days=1),
                }
            )
    await session.execute(insert(Appointment), rows)


async def finished_survey(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    participants: list[int],
    rng: random.Random,
) -> int:
    """A closed anonymous survey: 300 asked, three questions, tallies and free text."""
    now = clock.now()
    survey = Survey(
        site_id=site_id,
        title="Brukerundersøkelse 2025",
        anonymous=True,
        status="closed",
        created_at=now - timedelta(days=40),
        sent_at=now - timedelta(days=39),
        closed_at=now - timedelta(days=10),
    )
    session.add(survey)
    await session.flush()
    kinds = [("scale", "Hvor fornøyd er du med dagsenteret?"), ("yesno", "Vil du anbefale oss?")]
    kinds.append(("text", "Hva kan vi gjøre bedre?"))
    questions = [
        SurveyQuestion(survey_id=survey.id, position=n, kind=kind, text=text)
        for n, (kind, text) in enumerate(kinds)
    ]
    session.add_all(questions)
    await session.flush()
    asked = rng.sample(participants, 300)
    await session.execute(
        insert(SurveyRecipient),
        [
            {
                "survey_id": survey.id,
                "person_id": pid,
                "status": "answered" if n % 3 else "expired",
                "position": 3 if n % 3 else 0,
            }
            for n, pid in enumerate(asked)
        ],
    )
    scale, yesno, text = questions
    tallies = [(scale.id, str(v), c) for v, c in zip(range(1, 6), (8, 14, 40, 80, 58), strict=True)]
    tallies += [(yesno.id, "yes", 170), (yesno.id, "no", 30)]
    await session.execute(
        insert(SurveyTally),
        [{"question_id": q, "value": v, "count": c} for q, v, c in tallies],
    )
    session.add(
        SurveyFreeText(
            question_id=text.id,
            answers=[f"Svar {n}: mer åpent i helgene og flere turer." for n in range(90)],
        )
    )
    return survey.id


async def follow_up(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    participant: int,
    participants: list[int],
    volunteers: list[int],
    rng: random.Random,
) -> None:
    """Eighty volunteer assignments with weekly meetings, and signs of life for everyone on a
    check-in plan or assignment (a fifth not seen for three weeks)."""
    now = clock.now()
    pairs = [participant, *rng.sample(participants[:-PLANS], ASSIGNMENTS - 1)]
    await session.execute(
        insert(VolunteerAssignment),
        [
            {
                "site_id": site_id,
                "volunteer_id": volunteers[n % len(volunteers)],
                "participant_id": pid,
                "goal": "Gå tur sammen hver uke",
                "starts_on": (now - timedelta(days=100)).date(),
                "review_on": (now + timedelta(days=n % 30)).date(),
                "status": "active",
                "created_at": now - timedelta(days=100),
            }
            for n, pid in enumerate(pairs)
        ],
    )
    made = (
        await session.execute(
            select(VolunteerAssignment.id).where(VolunteerAssignment.participant_id.in_(pairs))
        )
    ).scalars()
    await session.execute(
        insert(AssignmentMeeting),
        [
            {"assignment_id": aid, "met_at": now - timedelta(weeks=w, days=1), "minutes": 60}
            for aid in made
            for w in range(12)
        ],
    )
    followed = set(pairs) | set(participants[-PLANS:])
    have = set(await session.scalars(select(SignOfLife.person_id)))
    await session.execute(
        insert(SignOfLife),
        [
            {
                "person_id": pid,
                "last_seen_at": now - timedelta(days=21 if n % 5 == 0 else n % 6),
                "last_signal": "text",
                "threshold_days": 14,
                "step": 0,
            }
            for n, pid in enumerate(sorted(followed - have))
        ],
    )


async def sent_broadcast(
    session: AsyncSession, clock: Clock, site_id: int, participants: list[int]
) -> int:
    """A broadcast to every participant last week, delivered, with a few failed and skipped."""
    now = clock.now()
    text = "Dagsenteret holder stengt fredag. God helg!"
    broadcast = Broadcast(
        site_id=site_id,
        text=text,
        audience={"roles": ["participant"]},
        kind="broadcast",
        send_at=now - timedelta(days=7),
        status="queued",
        recipients=len(participants),
        created_at=now - timedelta(days=7),
    )
    session.add(broadcast)
    await session.flush()
    contacts = dict(
        (
            await session.execute(
                select(ContactPoint.person_id, ContactPoint.id).where(
                    ContactPoint.person_id.in_(participants)
                )
            )
        ).all()
    )
    await session.execute(
        insert(Message),
        [
            message(
                site_id,
                pid,
                contacts.get(pid),
                text,
                "delivered" if n % 40 else "failed",
                now - timedelta(days=7),
                broadcast_id=broadcast.id,
            )
            for n, pid in enumerate(participants)
        ],
    )
    return broadcast.id


async def desk_texts(session: AsyncSession, clock: Clock, site_id: int, rng: random.Random) -> None:
    """Thirty people with no phone: three texts each this week that only the desk can pass on."""
    now = clock.now()
    start = (await session.scalar(select(func.max(Person.id)))) or 0
    await session.execute(
        insert(Person),
        [
            {
                "id": start + 1 + n,
                "site_id": site_id,
                "name": f"Uten telefon {n:02d}",
                "language": "nb",
                "status": "active",
                "created_at": now,
            }
            for n in range(DESK_PEOPLE)
        ],
    )
    await session.execute(
        insert(PersonRole),
        [{"person_id": start + 1 + n, "role": "participant"} for n in range(DESK_PEOPLE)],
    )
    texts = []
    for n in range(DESK_PEOPLE):
        for k in range(3):
            at = now - timedelta(days=rng.randint(0, 6), hours=k)
            text = "Husk matutdelingen i morgen kl. 11."
            texts.append(message(site_id, start + 1 + n, None, text, "skipped", at))
            texts[-1]["error"] = "unreachable"
    await session.execute(insert(Message), texts)


def message(
    site_id: int,
    person_id: int,
    contact_id: int | None,
    text: str,
    status: str,
    at: datetime,
    *,
    broadcast_id: int | None = None,
) -> dict[str, Any]:
    return {
        "direction": "out",
        "site_id": site_id,
        "person_id": person_id,
        "contact_point_id": contact_id,
        "channel": "sms",
        "address": "+47",
        "text": text,
        "status": status,
        "kind": "broadcast" if broadcast_id else "reminder",
        "broadcast_id": broadcast_id,
        "attempts": 1,
        "urgent": False,
        "created_at": at,
    }
