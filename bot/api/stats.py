"""``GET /api/stats?from=&to=``: one section per feature, for the yearly report."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import ConfigDict, Field

from bot.api.registry import endpoint, los_of, staff_of
from bot.api.schema import ApiModel, Day, Id, Period
from handlers.access import home_timezone, one_site
from handlers.errors import InputError
from handlers.features import STATS


class StatsQuery(Period):
    site_id: Id | None = None


class StatsOut(ApiModel):
    """``from`` and ``to`` (exclusive) as dates, then one object of figures per feature."""

    model_config = ConfigDict(extra="allow")

    from_: Day = Field(alias="from")
    to: Day
    site_id: int | None


@endpoint(
    "GET",
    "/api/stats",
    summary="Figures for a period (?from= inclusive, ?to= exclusive, dates; ?site_id=); "
    "a coordinator of several sites names one",
    tag="stats",
    query=StatsQuery,
    response=StatsOut,
)
async def stats(request: web.Request, *, query: StatsQuery) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        site_id = await one_site(session, staff_of(request), query.site_id)
        tz = await home_timezone(session, staff_of(request), los.rules.timezone, site_id)
        today = los.clock.now().astimezone(ZoneInfo(tz)).date()
        first, end = query.days(today.replace(month=1, day=1), today + timedelta(days=1))
        if end <= first:
            raise InputError({"to": "must be after from"})
        # Local midnights (not UTC): the sections count days by subtracting them, across DST too.
        start_at = datetime.combine(first, time(), tzinfo=ZoneInfo(tz))
        end_at = datetime.combine(end, time(), tzinfo=ZoneInfo(tz))
        result: dict[str, Any] = {"from": first, "to": end, "site_id": site_id}
        for name, section in STATS.items():
            result[name] = await section(session, site_id, start_at, end_at)
    return result
