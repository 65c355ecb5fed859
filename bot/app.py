"""The aiohttp application: webhooks, staff API, web pages and health, around one Los."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot import web as health
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
    staff,
    stats,
)
from bot.api.registry import ENDPOINTS, LOS_KEY, Endpoint
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
    staff,
    dev,
)


def handle(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await ep(request)

    return handler


def make_app(los: Los, *, background: bool = True) -> web.Application:
    """Build the app. ``background=False`` leaves the dispatcher and jobs to the caller (tests)."""
    app = web.Application(
        middlewares=[middleware.errors, middleware.bearer_auth], client_max_size=256 * 1024
    )
    app[LOS_KEY] = los
    app.add_routes(health.routes())
    app.add_routes(rota.routes())  # the private calendar feed, outside /api
    app.add_routes([web.get("/api/openapi.json", openapi.openapi)])
    for channel in los.channels:
        app.add_routes(channel.routes(los))
    for ep in ENDPOINTS:
        if ep.tag == "dev" and los.fake_clock is None:
            continue
        app.router.add_route(ep.method, ep.path, handle(ep))

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await los.prepare()
        if background:
            los.start_background()
        yield
        await los.close()

    app.cleanup_ctx.append(lifecycle)
    return app
