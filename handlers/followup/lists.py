"""The follow-up lists a staff user may see, filtered in the query (like handlers/lists.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import pages
from handlers.access import site_filter
from handlers.followup import consent
from handlers.localtime import local_day, to_utc
from handlers.pages import Page, PageRequest
from storage.models import ContactPoint, Message, Person, ReminderSeries, Site, StaffUser


async def site_tz(session: AsyncSession, person: Person) -> ZoneInfo:
    site = await session.get(Site, person.site_id)
    assert site is not None
    return ZoneInfo(site.timezone)


async def local_noon(session: AsyncSession, person: Person, day: date) -> datetime:
    """A day without a time (a consent given on 3 March) as noon where the person is followed."""
    return to_utc(day, time(12, 0), await site_tz(session, person))


async def local_today(session: AsyncSession, person: Person, now: datetime) -> date:
    return local_day(now, await site_tz(session, person))


async def reminder_series(
    session: AsyncSession, staff: StaffUser, person_id: int | None, page: PageRequest
) -> Page[ReminderSeries]:
    query = select(ReminderSeries).where(site_filter(staff, ReminderSeries.site_id))
    if person_id is not None:
        query = query.where(ReminderSeries.person_id == person_id)
    return await pages.read(session, query, [ReminderSeries.id], page, lambda s: [s.id])


async def desk_list(
    session: AsyncSession, site_id: int, now: datetime, days: int
) -> list[tuple[Message, Person]]:
    """Texts of the last ``days`` that found no phone or chat, for people who have none: read
    out at the desk when they come by. Not for anyone who withdrew their consent to texts
    (handlers/followup/consent.py)."""
    reachable = select(ContactPoint.person_id).where(ContactPoint.person_id.is_not(None))
    rows = await session.execute(
        select(Message, Person)
        .join(Person, Person.id == Message.person_id)
        .where(
            Person.site_id == site_id,
            Person.erased_at.is_(None),
            Message.direction == "out",
            Message.status == "skipped",
            Message.error == "unreachable",
            Message.created_at >= now - timedelta(days=days),
            Person.id.not_in(reachable.scalar_subquery()),
            Person.id.not_in(consent.texts_withdrawn().scalar_subquery()),
        )
        .order_by(Person.name, Message.created_at)
        .limit(2000)
    )
    return [(m, p) for m, p in rows]
