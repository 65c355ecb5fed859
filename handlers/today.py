"""What a coordinator needs first thing: the figures behind the "I dag" page.

Urgent things first (crisis, low check-in scores, silence), then today's appointments and
activities, the shifts still short of people this week, and who has not been heard from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import site_filter
from handlers.clock import Clock
from handlers.inbox_threads import count_label, count_views
from handlers.localtime import local_day, to_utc
from storage.models import (
    Activity,
    Appointment,
    Assignment,
    CheckinPlan,
    InboxItem,
    Person,
    Shift,
    Signup,
    StaffUser,
)

URGENT_KINDS = ("crisis", "checkin_low", "checkin_silent")
LIST_LIMIT = 50


@dataclass
class UrgentRow:
    kind: str
    person_id: int | None
    name: str | None
    summary: str | None
    at: datetime
    thread: str


@dataclass
class AppointmentRow:
    id: int
    person_id: int
    name: str | None
    title: str
    starts_at: datetime
    location: str | None
    status: str


@dataclass
class ActivityRow:
    id: int
    title: str
    starts_at: datetime
    location: str | None
    capacity: int | None
    signed_up: int
    waiting: int


@dataclass
class ShiftRow:
    id: int
    title: str
    starts_at: datetime
    needed: int
    filled: int


@dataclass
class SilentRow:
    person_id: int
    name: str | None
    missed: int


@dataclass
class Today:
    day_start: datetime
    urgent: list[UrgentRow]
    appointments: list[AppointmentRow]
    activities: list[ActivityRow]
    shifts: list[ShiftRow]
    silent: list[SilentRow]
    open_threads: str  # "999+" past the tabs' cap (handlers/inbox_threads.py)


async def today(session: AsyncSession, clock: Clock, staff: StaffUser, tz: ZoneInfo) -> Today:
    now = clock.now()
    day = local_day(now, tz)
    start = to_utc(day, datetime.min.time(), tz)
    end = to_utc(day + timedelta(days=1), datetime.min.time(), tz)
    week_end = to_utc(day + timedelta(days=7 - day.weekday()), datetime.min.time(), tz)
    return Today(
        day_start=start,
        urgent=await _urgent(session, staff),
        appointments=await _appointments(session, staff, start, end),
        activities=await _activities(session, staff, start, end),
        shifts=await _short_shifts(session, staff, now, week_end),
        silent=await _silent(session, staff),
        open_threads=await _open_threads(session, staff),
    )


async def _urgent(session: AsyncSession, staff: StaffUser) -> list[UrgentRow]:
    rows = await session.execute(
        select(InboxItem, Person.name)
        .outerjoin(Person, Person.id == InboxItem.person_id)
        .where(
            InboxItem.status == "open",
            (InboxItem.urgent.is_(True)) | InboxItem.kind.in_(URGENT_KINDS),
            site_filter(staff, InboxItem.site_id),
        )
        .order_by(InboxItem.urgent.desc(), InboxItem.created_at.desc())
        .limit(LIST_LIMIT)
    )
    result = []
    for item, name in rows.all():
        if item.person_id:
            thread = f"p{item.person_id}"
        elif item.contact_point_id:
            thread = f"c{item.contact_point_id}"
        else:
            thread = f"i{item.id}"
        kind = "crisis" if item.urgent else item.kind
        result.append(UrgentRow(kind, item.person_id, name, item.summary, item.created_at, thread))
    return result


async def _appointments(
    session: AsyncSession, staff: StaffUser, start: datetime, end: datetime
) -> list[AppointmentRow]:
    rows = await session.execute(
        select(Appointment, Person.name)
        .join(Person, Person.id == Appointment.person_id)
        .where(
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            site_filter(staff, Appointment.site_id),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(LIST_LIMIT)
    )
    return [
        AppointmentRow(a.id, a.person_id, name, a.title, a.starts_at, a.location, a.status)
        for a, name in rows.all()
    ]


async def _activities(
    session: AsyncSession, staff: StaffUser, start: datetime, end: datetime
) -> list[ActivityRow]:
    activities = list(
        await session.scalars(
            select(Activity)
            .where(
                Activity.starts_at >= start,
                Activity.starts_at < end,
                Activity.cancelled_at.is_(None),
                site_filter(staff, Activity.site_id),
            )
            .order_by(Activity.starts_at)
            .limit(LIST_LIMIT)
        )
    )
    counts: dict[tuple[int, str], int] = {}
    if activities:
        for activity_id, status, count in (
            await session.execute(
                select(Signup.activity_id, Signup.status, func.count())
                .where(Signup.activity_id.in_([a.id for a in activities]))
                .group_by(Signup.activity_id, Signup.status)
            )
        ).all():
            counts[(activity_id, status)] = count
    return [
        ActivityRow(
            a.id,
            a.title,
            a.starts_at,
            a.location,
            a.capacity,
            counts.get((a.id, "signed_up"), 0) + counts.get((a.id, "attended"), 0),
            counts.get((a.id, "waitlisted"), 0),
        )
        for a in activities
    ]


async def _short_shifts(
    session: AsyncSession, staff: StaffUser, now: datetime, week_end: datetime
) -> list[ShiftRow]:
    confirmed = (
        select(Assignment.shift_id, func.count().label("filled"))
        .where(Assignment.status == "confirmed")
        .group_by(Assignment.shift_id)
        .subquery()
    )
    filled = func.coalesce(confirmed.c.filled, 0)
    rows = await session.execute(
        select(Shift, filled)
        .outerjoin(confirmed, confirmed.c.shift_id == Shift.id)
        .where(
            Shift.starts_at >= now,
            Shift.starts_at < week_end,
            Shift.status != "cancelled",
            filled < Shift.needed,
            site_filter(staff, Shift.site_id),
        )
        .order_by(Shift.starts_at)
        .limit(LIST_LIMIT)
    )
    return [ShiftRow(s.id, s.title, s.starts_at, s.needed, int(n)) for s, n in rows.all()]


async def _silent(session: AsyncSession, staff: StaffUser) -> list[SilentRow]:
    rows = await session.execute(
        select(Person.id, Person.name, CheckinPlan.missed_in_row)
        .join(Person, Person.id == CheckinPlan.person_id)
        .where(
            CheckinPlan.status == "active",
            CheckinPlan.missed_in_row > 0,
            Person.erased_at.is_(None),
            site_filter(staff, Person.site_id),
        )
        .order_by(CheckinPlan.missed_in_row.desc(), Person.name)
        .limit(LIST_LIMIT)
    )
    return [SilentRow(pid, name, missed) for pid, name, missed in rows.all()]


async def _open_threads(session: AsyncSession, staff: StaffUser) -> str:
    return count_label((await count_views(session, staff))["all"])
