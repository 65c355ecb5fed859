"""The aiohttp application: webhooks, staff API, web pages and health, around one Los."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot import health
from bot import web as staff_app
from bot.api import (
    activities,
    appointments,
    broadcasts,
    checkins,
    dev,
    inbox,
    middleware,
    openapi,
    people,
    reports,
    rota,
    sites,
    stats,
)
from bot.api.registry import ENDPOINTS, LOS_KEY
from bot.service import Los

# Every API module is imported above so that its endpoints are registered.
API_MODULES = (
    sites,
    people,
    inbox,
    broadcasts,
    stats,
    appointments,
    activities,
    rota,
    checkins,
    reports,
    dev,
)


def make_app(los: Los, *, background: bool = True) -> web.Application:
    """Build the app. ``background=False`` leaves the dispatcher and jobs to the caller (tests)."""
    app = web.Application(
        middlewares=[middleware.errors, middleware.bearer_auth, staff_app.pages],
        client_max_size=256 * 1024,
    )
    app[LOS_KEY] = los
    app.add_routes(health.routes())
    staff_app.setup(app)
    app.add_routes(rota.routes())  # the private calendar feed, outside /api
    app.add_routes([web.get("/api/openapi.json", openapi.openapi)])
    for channel in los.channels:
        app.add_routes(channel.routes(los))
    for ep in ENDPOINTS:
        if ep.tag == "dev" and los.fake_clock is None:
            continue
        app.router.add_route(ep.method, ep.path, ep.handler)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await los.prepare()
        if background:
            los.start_background()
        yield
        await los.close()

    app.cleanup_ctx.append(lifecycle)
    return app
