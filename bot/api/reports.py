"""Reports for the team: who was not reached this week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.api.registry import endpoint, json_response, los_of, query_id
from handlers.checkins import iso_week, not_reached
from handlers.errors import InputError


def parse_week(value: str | None, today: date) -> date:
    """``2026-W10`` -> the Monday of that ISO week; the current week when not given."""
    if not value:
        return today - timedelta(days=today.weekday())
    try:
        year_s, week_s = value.upper().split("-W")
        return date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise InputError({"week": "use an ISO week, e.g. 2026-W10"}) from None


@endpoint(
    "GET",
    "/api/reports/contact",
    summary="Participants with a check-in plan not heard from in a week (?week=2026-W10)",
    tag="reports",
)
async def contact(request: web.Request) -> web.Response:
    los = los_of(request)
    tz = ZoneInfo(los.rules.timezone)
    monday = parse_week(request.query.get("week"), los.clock.now().astimezone(tz).date())
    site_id = query_id(request, "site_id")
    start = datetime.combine(monday, time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    async with los.sessions() as session:
        people = await not_reached(session, site_id, start, end)
    for row in people:
        heard = row["last_heard_at"]
        row["last_heard_at"] = heard.astimezone(tz).isoformat() if heard else None
    return json_response(
        {
            "week": iso_week(monday),
            "from": monday.isoformat(),
            "to": (monday + timedelta(days=6)).isoformat(),
            "not_reached": people,
        }
    )
