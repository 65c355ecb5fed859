"""A volunteer's private iCal feed: their confirmed shifts, at a URL whose secret is the key.

Only the SHA-256 of the secret is stored (256 random bits, so a plain hash is enough and lets a
request be looked up by it). Making a new one revokes the old; revoking leaves none.
"""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.tokens import hash_token, new_secret
from storage.models import Assignment, CalendarToken, Person, Shift, Site

# How far back the feed shows shifts; the future is shown in full.
PAST = timedelta(days=90)


async def revoke(session: AsyncSession, clock: Clock, person: Person) -> int:
    """Revoke every live token of ``person``; returns how many."""
    result = await session.execute(
        update(CalendarToken)
        .where(CalendarToken.person_id == person.id, CalendarToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def new_token(session: AsyncSession, clock: Clock, person: Person) -> str:
    """A new secret for ``person``'s feed (the old one stops working). Shown once."""
    await revoke(session, clock, person)
    token = new_secret()
    session.add(
        CalendarToken(person_id=person.id, token_hash=hash_token(token), created_at=clock.now())
    )
    await session.flush()
    return token


async def feed(session: AsyncSession, clock: Clock, token: str) -> bytes | None:
    """The iCal document for a live token, or None (unknown, revoked, or the person erased)."""
    found = await session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == hash_token(token), CalendarToken.revoked_at.is_(None)
        )
    )
    if found is None:
        return None
    person = await session.get(Person, found.person_id)
    if person is None or person.erased_at is not None:
        return None
    site = await session.get(Site, person.site_id)
    now = clock.now()
    rows = await session.execute(
        select(Assignment, Shift)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.person_id == person.id,
            Assignment.status == "confirmed",
            Shift.status != "cancelled",
            Shift.ends_at >= now - PAST,
        )
        .order_by(Shift.starts_at, Shift.id)
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Los//Vakter//NB")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Vakter" if person.language == "nb" else "Shifts")
    for assignment, shift in rows.all():
        event = Event()
        event.add("uid", f"los-shift-{assignment.id}@los")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", shift.title)
        if site is not None:
            event.add("location", site.name)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
