"""What the staff pages show of follow-up: a person's assignments, consent, signs of life and
reminders, and the Oppdrag list. Read-only queries; the pages change things through the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handlers.access import site_filter, visible_site_ids
from handlers.followup import consent, signs
from handlers.followup.assignments import hours_text
from storage.models import (
    AssignmentMeeting,
    Consent,
    Person,
    ReminderOccurrence,
    ReminderSeries,
    SignOfLife,
    StaffUser,
    VolunteerAssignment,
)


@dataclass
class AssignmentRow:
    assignment: VolunteerAssignment
    volunteer: Person
    participant: Person
    meetings: int
    hours: float
    # Partners and relatives the participant consented to, by name: the partner suggestion.
    may_contact: list[str] = field(default_factory=list)

    @property
    def hours_text(self) -> str:
        return hours_text(self.hours * 60)


@dataclass
class ReminderRow:
    series: ReminderSeries
    done: int
    missed: int


@dataclass
class PersonFollowUp:
    assignments: list[AssignmentRow]
    consents: list[Consent]
    sign: SignOfLife | None
    days_quiet: int | None
    reminders: list[ReminderRow]


async def assignment_rows(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    open_only: bool = False,
) -> list[AssignmentRow]:
    volunteer = aliased(Person)
    participant = aliased(Person)
    meetings = (
        select(
            AssignmentMeeting.assignment_id,
            func.count().label("n"),
            func.sum(AssignmentMeeting.minutes).label("minutes"),
        )
        .group_by(AssignmentMeeting.assignment_id)
        .subquery()
    )
    query = (
        select(VolunteerAssignment, volunteer, participant, meetings.c.n, meetings.c.minutes)
        .join(volunteer, volunteer.id == VolunteerAssignment.volunteer_id)
        .join(participant, participant.id == VolunteerAssignment.participant_id)
        .outerjoin(meetings, meetings.c.assignment_id == VolunteerAssignment.id)
        .where(site_filter(staff, VolunteerAssignment.site_id))
    )
    if person_id is not None:
        query = query.where(
            or_(
                VolunteerAssignment.volunteer_id == person_id,
                VolunteerAssignment.participant_id == person_id,
            )
        )
    if open_only:
        query = query.where(VolunteerAssignment.status.in_(("active", "paused")))
    rows = await session.execute(
        query.order_by(VolunteerAssignment.review_on, VolunteerAssignment.id).limit(500)
    )
    found = [
        AssignmentRow(a, v, p, int(n or 0), round(int(m or 0) / 60, 1)) for a, v, p, n, m in rows
    ]
    for row in found:
        row.may_contact = await consent.partners_allowed(session, row.participant.id)
    return found


async def person_follow_up(
    session: AsyncSession, staff: StaffUser, person: Person, now: datetime
) -> PersonFollowUp:
    sign = await session.get(SignOfLife, person.id)
    quiet = (now - sign.last_seen_at).days if sign and sign.last_seen_at else None
    series = list(
        await session.scalars(
            select(ReminderSeries)
            .where(ReminderSeries.person_id == person.id)
            .order_by(ReminderSeries.status, ReminderSeries.id)
        )
    )
    reminders = []
    for s in series:
        occurrences = list(
            await session.scalars(
                select(ReminderOccurrence).where(ReminderOccurrence.series_id == s.id)
            )
        )
        reminders.append(
            ReminderRow(
                s,
                sum(1 for o in occurrences if o.done_at is not None),
                sum(1 for o in occurrences if o.missed_at is not None),
            )
        )
    return PersonFollowUp(
        assignments=await assignment_rows(session, staff, person_id=person.id),
        consents=await consent.of_person(session, person.id),
        sign=sign,
        days_quiet=quiet,
        reminders=reminders,
    )


async def not_seen_today(
    session: AsyncSession, staff: StaffUser, now: datetime
) -> list[signs.NotSeen]:
    return await signs.not_seen(session, visible_site_ids(staff), now)
