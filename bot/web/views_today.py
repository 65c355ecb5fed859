"""I dag: the coordinator's first page."""

from __future__ import annotations

from aiohttp import web

from bot.web.auth import staff_page
from bot.web.core import los_of, render, user_of
from bot.web.sites import zone_for
from handlers.followup import pages as followup_pages
from handlers.today import today


@staff_page
async def today_page(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        figures = await today(session, los.clock, user, tz)
        not_seen = await followup_pages.not_seen_today(session, user, los.clock.now())
    return render(request, "today.html", {"day": figures, "tz": tz, "not_seen": not_seen})


def routes() -> list[web.RouteDef]:
    return [web.get("/", today_page)]
