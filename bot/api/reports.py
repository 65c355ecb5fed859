"""Reports for the team: who was not reached this week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field

from bot.api.registry import endpoint, los_of, staff_of
from bot.api.schema import ApiModel, Day, Id, Time
from handlers.access import one_site
from handlers.checkins import iso_week, not_reached
from handlers.errors import InputError


class ContactQuery(ApiModel):
    week: str | None = Field(None, pattern=r"^\d{4}-[Ww]\d{1,2}$", examples=["2026-W10"])
    site_id: Id | None = None


class NotReachedOut(ApiModel):
    person_id: int
    name: str | None
    contact_staff_id: int | None
    checkins_asked: int
    last_heard_at: Time | None


class ContactOut(ApiModel):
    week: str
    from_: Day = Field(alias="from")
    to: Day
    not_reached: list[NotReachedOut]


def parse_week(value: str | None, today: date) -> date:
    """``2026-W10`` -> the Monday of that ISO week; the current week when not given."""
    if not value:
        return today - timedelta(days=today.weekday())
    try:
        year_s, week_s = value.upper().split("-W")
        monday = date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise InputError({"week": "use an ISO week, e.g. 2026-W10"}) from None
    if not 1900 <= monday.year <= 2200:
        raise InputError({"week": "must be between the years 1900 and 2200"})
    return monday


@endpoint(
    "GET",
    "/api/reports/contact",
    summary="Participants with a check-in plan not heard from in a week (?week=2026-W10)",
    tag="reports",
    query=ContactQuery,
    response=ContactOut,
)
async def contact(request: web.Request, *, query: ContactQuery) -> Any:
    los = los_of(request)
    tz = ZoneInfo(los.rules.timezone)
    monday = parse_week(query.week, los.clock.now().astimezone(tz).date())
    start = datetime.combine(monday, time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    async with los.sessions() as session:
        site_id = await one_site(session, staff_of(request), query.site_id)
        people = await not_reached(session, site_id, start, end)
    return {
        "week": iso_week(monday),
        "from": monday,
        "to": monday + timedelta(days=6),
        "not_reached": people,
    }
