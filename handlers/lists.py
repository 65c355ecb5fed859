"""What a staff user may list, each list limited to their sites.

The API and the staff pages both call these, so the site boundary is drawn once, in the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import site_filter
from storage.models import (
    Activity,
    Appointment,
    Assignment,
    CheckinPlan,
    Message,
    Person,
    PersonRole,
    Shift,
    ShiftTemplate,
    Site,
    StaffUser,
)

R = TypeVar("R")

# Lists are capped: beyond this a client narrows the period instead.
MAX_ROWS = 2000


def _between(
    query: Select[R], column: Any, start: datetime | None, end: datetime | None
) -> Select[R]:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


async def sites(session: AsyncSession, staff: StaffUser) -> list[Site]:
    return list(
        await session.scalars(select(Site).where(site_filter(staff, Site.id)).order_by(Site.id))
    )


async def people(
    session: AsyncSession, staff: StaffUser, *, role: str | None = None, status: str | None = None
) -> list[Person]:
    query = (
        select(Person)
        .where(Person.erased_at.is_(None), site_filter(staff, Person.site_id))
        .order_by(Person.id)
    )
    if role is not None:
        query = query.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role))
        )
    if status is not None:
        query = query.where(Person.status == status)
    return list(await session.scalars(query.limit(MAX_ROWS)))


async def appointments(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
) -> list[Appointment]:
    query = select(Appointment).where(site_filter(staff, Appointment.site_id))
    query = _between(query, Appointment.starts_at, start, end)
    if person_id is not None:
        query = query.where(Appointment.person_id == person_id)
    if status is not None:
        query = query.where(Appointment.status == status)
    query = query.order_by(Appointment.starts_at, Appointment.id).limit(MAX_ROWS)
    return list(await session.scalars(query))


async def activities(
    session: AsyncSession,
    staff: StaffUser,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
    series_id: int | None = None,
) -> list[Activity]:
    query = select(Activity).where(site_filter(staff, Activity.site_id))
    query = _between(query, Activity.starts_at, start, end)
    if status is not None:
        query = query.where(Activity.status == status)
    if series_id is not None:
        query = query.where(Activity.series_id == series_id)
    query = query.order_by(Activity.starts_at, Activity.id).limit(MAX_ROWS)
    return list(await session.scalars(query))


async def shift_templates(session: AsyncSession, staff: StaffUser) -> list[ShiftTemplate]:
    query = (
        select(ShiftTemplate)
        .where(site_filter(staff, ShiftTemplate.site_id))
        .order_by(ShiftTemplate.id)
    )
    return list(await session.scalars(query))


async def shifts(
    session: AsyncSession,
    staff: StaffUser,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[Shift, list[Assignment]]]:
    """Shifts, soonest first, each with its assignments."""
    query = select(Shift).where(site_filter(staff, Shift.site_id))
    query = _between(query, Shift.starts_at, start, end)
    found = list(await session.scalars(query.order_by(Shift.starts_at, Shift.id).limit(MAX_ROWS)))
    by_shift: dict[int, list[Assignment]] = {s.id: [] for s in found}
    if found:
        rows = await session.scalars(
            select(Assignment)
            .where(Assignment.shift_id.in_(list(by_shift)))
            .order_by(Assignment.id)
        )
        for assignment in rows:
            by_shift[assignment.shift_id].append(assignment)
    return [(s, by_shift[s.id]) for s in found]


async def checkin_plans(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    status: str | None = None,
) -> list[tuple[CheckinPlan, Site]]:
    """Check-in plans with the site of their person (for its time zone)."""
    query = (
        select(CheckinPlan, Site)
        .join(Person, Person.id == CheckinPlan.person_id)
        .join(Site, Site.id == Person.site_id)
        .where(site_filter(staff, Person.site_id))
        .order_by(CheckinPlan.id)
    )
    if person_id is not None:
        query = query.where(CheckinPlan.person_id == person_id)
    if status is not None:
        query = query.where(CheckinPlan.status == status)
    return [(plan, site) for plan, site in (await session.execute(query.limit(MAX_ROWS))).all()]


async def messages_of(session: AsyncSession, person: Person) -> list[Message]:
    """A person's conversation, oldest first (the caller has checked the person is visible)."""
    return list(
        await session.scalars(
            select(Message)
            .where(Message.person_id == person.id)
            .order_by(Message.created_at, Message.id)
        )
    )
