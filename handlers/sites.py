"""Sites: which site a message belongs to, and the default one a fresh install starts with."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import Conflict, InputError
from handlers.localtime import parse_hhmm_range
from handlers.phones import normalise_phone
from storage import site_cache
from storage.models import Site

DEFAULT_OPENING_HOURS = {str(day): [["08:00", "16:30"]] for day in range(5)}


async def default_site(session: AsyncSession) -> Site | None:
    """The first site: where texts from unregistered numbers land."""
    return await session.scalar(select(Site).order_by(Site.id).limit(1))


async def site_for_number(session: AsyncSession, number: str | None) -> Site | None:
    """The site whose own number a text was sent to; else the first site. From the
    per-process cache (storage/site_cache.py): a detached copy, for reading."""
    return await site_cache.for_number(session, number)


async def site_by_id(session: AsyncSession, site_id: int) -> Site | None:
    """A site for reading, from the per-process cache (storage/site_cache.py)."""
    return await site_cache.site(session, site_id)


async def site_or_default(
    session: AsyncSession, site_id: int | None, field: str = "site_id"
) -> Site:
    """The site a staff request names, else the default one; 422 naming ``field`` if none."""
    site = await session.get(Site, site_id) if site_id else await default_site(session)
    if site is None:
        raise InputError({field: "no such site"})
    return site


async def ensure_default_site(
    session: AsyncSession, clock: Clock, *, timezone: str, name: str = "Los"
) -> Site:
    site = await default_site(session)
    if site is None:
        site = Site(
            name=name,
            timezone=timezone,
            opening_hours=DEFAULT_OPENING_HOURS,
            default_reminders=[1440, 120],
            created_at=clock.now(),
        )
        session.add(site)
        await session.flush()
    return site


def clock_time(value: str) -> time:
    """``"8:00"`` or ``"08:00"`` as a time of day."""
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def check_opening_hours(hours: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """``{"0": [["08:00", "16:30"]], ...}``: weekday (Monday=0) to open intervals, local time."""
    checked: dict[str, list[list[str]]] = {}
    for day, intervals in hours.items():
        field = f"opening_hours.{day}"
        if day not in {str(d) for d in range(7)}:
            raise InputError({field: "weekdays are 0 (Monday) to 6 (Sunday)"})
        checked[day] = []
        for interval in intervals:
            try:
                start, end = (clock_time(v) for v in interval)
            except (TypeError, ValueError):
                raise InputError({field: 'use [["08:00", "16:30"]]'}) from None
            if start >= end:
                raise InputError({field: "an interval must end after it starts"})
            checked[day].append([start.strftime("%H:%M"), end.strftime("%H:%M")])
    return checked


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError({"timezone": f"unknown time zone {name!r}"}) from None
    return name


def check_quiet_hours(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_hhmm_range(value)
    except ValueError as exc:
        raise InputError({"quiet_hours": str(exc)}) from None
    return value.strip().lower()


def check_sms_number(value: str | None) -> str | None:
    """A phone number (normalised to E.164) or a Twilio Messaging Service SID (``MG…``)."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("MG") and value[2:].isalnum():
        return value
    try:
        return normalise_phone(value)
    except ValueError:
        raise InputError({"sms_number": "a phone number or a Messaging Service SID"}) from None


async def check_number_free(session: AsyncSession, number: str | None, site_id: int | None) -> None:
    if number is None:
        return
    other = await session.scalar(select(Site.id).where(Site.sms_number == number))
    if other is not None and other != site_id:
        raise Conflict("another site has this number", {"sms_number": "in use by another site"})
