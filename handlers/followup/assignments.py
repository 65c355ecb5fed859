"""Volunteer assignments (oppdrag): one volunteer (tidgiver), one participant, a goal in plain
words, a review every three months, and a hand-over to the key worker in one step.

Matching ranks volunteers by what staff record on both sides (area, age band, gender wish,
interests, languages) and how many assignments each already has; it never sees a diagnosis.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox, questions
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.errors import InputError
from handlers.keywords import Answer
from handlers.localtime import local_day
from handlers.texts import t
from storage.models import (
    AssignmentMeeting,
    MatchingProfile,
    OpenQuestion,
    Person,
    PersonRole,
    Site,
    VolunteerAssignment,
)

REVIEW_MONTHS = 3
DEFAULT_MEETING_HOURS = 1.0
MAX_MEETING_HOURS = 12
OPEN = ("active", "paused")


def review_after(day: date) -> date:
    """Three months on; the 31st becomes the last day of a shorter month."""
    month = day.month - 1 + REVIEW_MONTHS
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split(value: str | None) -> set[str]:
    return {v.strip().lower() for v in (value or "").split(",") if v.strip()}


@dataclass
class Suggestion:
    volunteer: Person
    score: int
    load: int
    reasons: list[str] = field(default_factory=list)


def score(
    participant: MatchingProfile | None, volunteer: MatchingProfile | None, load: int
) -> tuple[int, list[str]]:
    """Points for what fits, with the reasons in words staff use; fewer points per assignment
    the volunteer already has."""
    points, reasons = 0, []
    p = participant or MatchingProfile()
    v = volunteer or MatchingProfile()
    if p.area and v.area and p.area.lower() == v.area.lower():
        points += 3
        reasons.append(f"område: {v.area}")
    if p.gender_wish and v.gender:
        if p.gender_wish.lower() == v.gender.lower():
            points += 3
            reasons.append("ønsket kjønn")
        else:
            points -= 5
    if p.age_band and v.age_band and p.age_band == v.age_band:
        points += 1
        reasons.append(f"alder: {v.age_band}")
    shared = sorted(split(p.interests) & split(v.interests))
    if shared:
        points += 2 * len(shared)
        reasons.append("interesser: " + ", ".join(shared))
    languages = sorted(split(p.languages) & split(v.languages))
    if languages:
        points += 2
        reasons.append("språk: " + ", ".join(languages))
    points -= 2 * load
    reasons.append(f"oppdrag nå: {load}")
    return points, reasons


async def load_of(session: AsyncSession, volunteer_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(VolunteerAssignment.volunteer_id, func.count())
        .where(
            VolunteerAssignment.volunteer_id.in_(volunteer_ids),
            VolunteerAssignment.status.in_(OPEN),
        )
        .group_by(VolunteerAssignment.volunteer_id)
    )
    return {vid: int(n) for vid, n in rows}


async def suggestions(
    session: AsyncSession, participant: Person, limit: int = 10
) -> list[Suggestion]:
    """Volunteers of the participant's site, best fit first; those at their own cap left out.
    They are ranked by id and name; only the ``limit`` chosen are read as people."""
    volunteers = (
        await session.execute(
            select(Person.id, Person.name)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == "volunteer",
                Person.site_id == participant.site_id,
                Person.erased_at.is_(None),
                Person.status == "active",
                Person.id != participant.id,
            )
        )
    ).all()
    ids = [v.id for v in volunteers]
    profiles = {
        p.person_id: p
        for p in await session.scalars(
            select(MatchingProfile).where(MatchingProfile.person_id.in_([*ids, participant.id]))
        )
    }
    loads = await load_of(session, ids)
    ranked = []
    for volunteer in volunteers:
        profile = profiles.get(volunteer.id)
        load = loads.get(volunteer.id, 0)
        if load >= (profile.max_assignments if profile else 1):
            continue
        points, reasons = score(profiles.get(participant.id), profile, load)
        ranked.append((-points, load, volunteer.name or "", volunteer.id, reasons))
    ranked.sort(key=lambda r: r[:3])
    chosen = ranked[:limit]
    people = {
        p.id: p
        for p in await session.scalars(select(Person).where(Person.id.in_([r[3] for r in chosen])))
    }
    return [Suggestion(people[pid], -minus, load, why) for minus, load, _, pid, why in chosen]


async def start(
    session: AsyncSession,
    clock: Clock,
    volunteer: Person,
    participant: Person,
    *,
    goal: str | None,
    starts_on: date | None,
    review_on: date | None,
) -> VolunteerAssignment:
    """Pair them, and tell both."""
    if volunteer.id == participant.id:
        raise InputError({"volunteer_id": "a volunteer cannot be paired with themselves"})
    if "volunteer" not in volunteer.role_names:
        raise InputError({"volunteer_id": "this person is not a volunteer"})
    if volunteer.site_id != participant.site_id:
        raise InputError({"volunteer_id": "no such person"})
    site = await session.get(Site, participant.site_id)
    assert site is not None
    first_day = starts_on or local_day(clock.now(), ZoneInfo(site.timezone))
    assignment = VolunteerAssignment(
        site_id=participant.site_id,
        volunteer_id=volunteer.id,
        participant_id=participant.id,
        goal=(goal or "").strip() or None,
        starts_on=first_day,
        review_on=review_on or review_after(first_day),
        status="active",
        created_at=clock.now(),
    )
    session.add(assignment)
    await session.flush()
    await outbox.queue_to_person(
        session,
        clock,
        volunteer,
        t(volunteer.language, "assignment_start_volunteer", name=participant.first_name),
        kind="assignment",
        key=f"assignment:{assignment.id}:start:volunteer",
    )
    await outbox.queue_to_person(
        session,
        clock,
        participant,
        t(participant.language, "assignment_start_participant", name=volunteer.first_name),
        kind="assignment",
        key=f"assignment:{assignment.id}:start:participant",
    )
    return assignment


async def hand_over(
    session: AsyncSession, clock: Clock, assignment: VolunteerAssignment, key_worker: Person
) -> None:
    """The volunteer is thanked with no reasons, the key worker takes over, and the participant
    is told whom to contact. One step, one transaction."""
    volunteer = await session.get(Person, assignment.volunteer_id)
    participant = await session.get(Person, assignment.participant_id)
    assert volunteer is not None and participant is not None
    assignment.status = "handed_over"
    assignment.taken_over_by = key_worker.id
    assignment.ended_at = clock.now()
    participant.contact_staff_id = key_worker.id
    await questions.close_questions(session, kind="assignment_review", ref_id=assignment.id)
    await outbox.queue_to_person(
        session,
        clock,
        volunteer,
        t(volunteer.language, "handover_volunteer", name=participant.first_name),
        kind="assignment",
        key=f"assignment:{assignment.id}:handover:volunteer",
    )
    await outbox.queue_to_person(
        session,
        clock,
        participant,
        t(participant.language, "handover_participant", name=key_worker.first_name),
        kind="assignment",
        key=f"assignment:{assignment.id}:handover:participant",
    )


HOURS = re.compile(r"^\d{1,2}([.,]\d{1,2})?$")


async def meeting_command(conv: Conversation, args: list[str]) -> None:
    """TREFF [name] [hours]: the volunteer met their participant."""
    assert conv.person is not None
    hours = DEFAULT_MEETING_HOURS
    names = []
    for arg in args:
        if HOURS.match(arg):
            hours = float(arg.replace(",", "."))
        else:
            names.append(arg.lower())
    if not 0 < hours <= MAX_MEETING_HOURS:
        hours = DEFAULT_MEETING_HOURS
    rows = (
        await conv.session.execute(
            select(VolunteerAssignment, Person)
            .join(Person, Person.id == VolunteerAssignment.participant_id)
            .where(
                VolunteerAssignment.volunteer_id == conv.person.id,
                VolunteerAssignment.status == "active",
            )
            .order_by(VolunteerAssignment.id)
        )
    ).all()
    if names:
        rows = [r for r in rows if r[1].first_name.lower() in names] or rows
    if not rows:
        await conv.reply("meeting_no_assignment")
        return
    if len(rows) > 1:
        await conv.reply("meeting_which", name=rows[0][1].first_name)
        return
    assignment = rows[0][0]
    conv.session.add(
        AssignmentMeeting(
            assignment_id=assignment.id, met_at=conv.clock.now(), minutes=round(hours * 60)
        )
    )
    await conv.session.flush()
    total = await conv.session.scalar(
        select(func.sum(AssignmentMeeting.minutes)).where(
            AssignmentMeeting.assignment_id == assignment.id
        )
    )
    await conv.reply("meeting_noted", hours=hours_text(hours * 60), total=hours_text(total or 0))


def hours_text(minutes: float) -> str:
    value = round(minutes / 60, 1)
    return str(int(value)) if value == int(value) else str(value).replace(".", ",")


async def ask_reviews(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Assignments due for review: both get a 1-5 question, staff get an inbox item, and the
    next review is three months on."""
    now = clock.now()
    due = list(
        await session.scalars(
            select(VolunteerAssignment).where(
                VolunteerAssignment.status == "active",
                VolunteerAssignment.review_on <= now.date(),
            )
        )
    )
    asked = 0
    for assignment in due:
        site = await session.get(Site, assignment.site_id)
        assert site is not None
        today = local_day(now, ZoneInfo(site.timezone))
        if assignment.review_on > today:
            continue
        volunteer = await session.get(Person, assignment.volunteer_id)
        participant = await session.get(Person, assignment.participant_id)
        assert volunteer is not None and participant is not None
        when = assignment.review_on.isoformat()
        for person, other in ((volunteer, participant), (participant, volunteer)):
            await questions.ask(
                session,
                clock,
                person,
                kind="assignment_review",
                ref_id=assignment.id,
                answer_type="scale",
                label=t(person.language, "review_question", name=other.first_name)[:120],
                text=t(person.language, "review_question", name=other.first_name),
                key=f"assignment:{assignment.id}:review:{when}:{person.id}",
            )
        await inbox.add_item(
            session,
            clock,
            site_id=assignment.site_id,
            kind="assignment_review",
            summary=t(
                "nb",
                "review_inbox",
                volunteer=volunteer.first_name,
                participant=participant.first_name,
            ),
            person_id=participant.id,
            assigned_to=participant.contact_staff_id,
        )
        assignment.last_review_at = now
        assignment.review_on = review_after(assignment.review_on)
        asked += 1
    return asked


async def answer_review(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """A 1-5 (and a few words) to a review: staff read it in the inbox."""
    text = conv.message.text or ""
    words = re.sub(r"^\s*[1-5][\s.,:!-]*", "", text).strip()
    await conv.to_inbox(
        "review_answer", t("nb", "review_answer_inbox", score=answer.value, words=words)
    )
    await conv.reply("thanks_answer")


async def assignment_figures(
    session: AsyncSession, site_id: int | None, start_at: datetime, end_at: datetime
) -> dict[str, float]:
    """Active assignments now, and meetings and volunteer hours in the period."""
    active = (
        select(func.count())
        .select_from(VolunteerAssignment)
        .where(VolunteerAssignment.status == "active")
    )
    meetings = (
        select(func.count(), func.coalesce(func.sum(AssignmentMeeting.minutes), 0))
        .join(VolunteerAssignment, VolunteerAssignment.id == AssignmentMeeting.assignment_id)
        .where(AssignmentMeeting.met_at >= start_at, AssignmentMeeting.met_at < end_at)
    )
    if site_id is not None:
        active = active.where(VolunteerAssignment.site_id == site_id)
        meetings = meetings.where(VolunteerAssignment.site_id == site_id)
    count, minutes = (await session.execute(meetings)).one()
    return {
        "active": int(await session.scalar(active) or 0),
        "meetings": int(count),
        "hours": round(int(minutes) / 60, 1),
    }
