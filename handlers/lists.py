"""What a staff user may list, each list limited to their sites.

The API and the staff pages both call these, so the site boundary is drawn once, in the query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import pages
from handlers.access import site_filter
from handlers.pages import MAX_LIMIT, Page, PageRequest
from storage.loading import PERSON_LOADS
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
FIRST = PageRequest()


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
    session: AsyncSession,
    staff: StaffUser,
    *,
    role: str | None = None,
    status: str | None = None,
    page: PageRequest = FIRST,
) -> Page[Person]:
    query = select(Person).where(Person.erased_at.is_(None), site_filter(staff, Person.site_id))
    if role is not None:
        query = query.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role))
        )
    if status is not None:
        query = query.where(Person.status == status)
    query = query.options(*PERSON_LOADS)
    return await pages.read(session, query, [Person.id], page, lambda p: [p.id])


async def appointments(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
    page: PageRequest = FIRST,
) -> Page[Appointment]:
    query = select(Appointment).where(site_filter(staff, Appointment.site_id))
    query = _between(query, Appointment.starts_at, start, end)
    if person_id is not None:
        query = query.where(Appointment.person_id == person_id)
    if status is not None:
        query = query.where(Appointment.status == status)
    keys = [Appointment.starts_at, Appointment.id]
    return await pages.read(session, query, keys, page, lambda a: [a.starts_at, a.id])


async def activities(
    session: AsyncSession,
    staff: StaffUser,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    status: str | None = None,
    series_id: int | None = None,
    page: PageRequest = FIRST,
) -> Page[Activity]:
    query = select(Activity).where(site_filter(staff, Activity.site_id))
    query = _between(query, Activity.starts_at, start, end)
    if status is not None:
        query = query.where(Activity.status == status)
    if series_id is not None:
        query = query.where(Activity.series_id == series_id)
    keys = [Activity.starts_at, Activity.id]
    return await pages.read(session, query, keys, page, lambda a: [a.starts_at, a.id])


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
    page: PageRequest = FIRST,
) -> Page[tuple[Shift, list[Assignment]]]:
    """Shifts, soonest first, each with its assignments."""
    query = select(Shift).where(site_filter(staff, Shift.site_id))
    query = _between(query, Shift.starts_at, start, end)
    keys = [Shift.starts_at, Shift.id]
    read = await pages.read(session, query, keys, page, lambda s: [s.starts_at, s.id])
    found: list[Shift] = read.items
    by_shift: dict[int, list[Assignment]] = {s.id: [] for s in found}
    if found:
        rows = await session.scalars(
            select(Assignment)
            .where(Assignment.shift_id.in_(list(by_shift)))
            .order_by(Assignment.id)
        )
        for assignment in rows:
            by_shift[assignment.shift_id].append(assignment)
    return Page([(s, by_shift[s.id]) for s in found], read.next, read.total)


async def checkin_plans(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    status: str | None = None,
    ended: bool | None = None,
    page: PageRequest = FIRST,
) -> Page[tuple[CheckinPlan, Site]]:
    """Check-in plans with the site of their person (for its time zone)."""
    query = (
        select(CheckinPlan, Site)
        .join(Person, Person.id == CheckinPlan.person_id)
        .join(Site, Site.id == Person.site_id)
        .where(site_filter(staff, Person.site_id))
    )
    if person_id is not None:
        query = query.where(CheckinPlan.person_id == person_id)
    if status is not None:
        query = query.where(CheckinPlan.status == status)
    if ended is not None:
        query = query.where((CheckinPlan.status == "ended") == ended)
    read = await pages.read(
        session, query, [CheckinPlan.id], page, lambda row: [row[0].id], scalars=False
    )
    return Page([(plan, site) for plan, site in read.items], read.next, read.total)


async def messages_of(
    session: AsyncSession, person: Person, page: PageRequest = FIRST
) -> Page[Message]:
    """A person's conversation, oldest first (the caller has checked the person is visible)."""
    query = select(Message).where(Message.person_id == person.id)
    keys = [Message.created_at, Message.id]
    return await pages.read(session, query, keys, page, lambda m: [m.created_at, m.id])


# What a staff page shows of a list bounded by its own period (a week of shifts, a day of
# appointments): one large page rather than the API's 50 rows.
SCREENFUL = PageRequest(limit=MAX_LIMIT)
