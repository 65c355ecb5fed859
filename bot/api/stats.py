"""``GET /api/stats?from=&to=``: one section per feature, for the yearly report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.api.registry import endpoint, json_response, los_of, query_id
from handlers.errors import InputError
from handlers.features import STATS


def parse_day(value: str | None, name: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError({name: "use YYYY-MM-DD"}) from None


@endpoint(
    "GET",
    "/api/stats",
    summary="Figures for a period (?from=&to= dates, to inclusive; ?site_id=)",
    tag="stats",
)
async def stats(request: web.Request) -> web.Response:
    los = los_of(request)
    tz = ZoneInfo(los.rules.timezone)
    today = los.clock.now().astimezone(tz).date()
    first = parse_day(request.query.get("from"), "from", today.replace(month=1, day=1))
    last = parse_day(request.query.get("to"), "to", today)
    if last < first:
        raise InputError({"to": "must not be before from"})
    site_id = query_id(request, "site_id")
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
    result: dict[str, object] = {"from": first.isoformat(), "to": last.isoformat()}
    async with los.sessions() as session:
        for name, section in STATS.items():
            result[name] = await section(session, site_id, start, end)
    return json_response(result)
