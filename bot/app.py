"""The aiohttp application: webhooks, staff API, web pages and health, around one Los."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot import health
from bot import web as staff_app
from bot.api import (
    activities,
    appointments,
    attachments,
    broadcasts,
    checkins,
    dev,
    followup,
    inbox,
    middleware,
    openapi,
    ops,
    people,
    reports,
    rota,
    sites,
    staff,
    stats,
    surveys,
    volunteer_assignments,
)
from bot.api.registry import ENDPOINTS, LOS_KEY, Endpoint
from bot.service import Los
from bot.webhook_watch import WATCH, WebhookWatch, watch_webhooks

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
    volunteer_assignments,
    followup,
    reports,
    surveys,
    attachments,
    ops,
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
        middlewares=[watch_webhooks, middleware.errors, middleware.bearer_auth, staff_app.pages],
        client_max_size=256 * 1024,
    )
    app[LOS_KEY] = los
    app[WATCH] = WebhookWatch()
    if not los.runs_web:  # a worker answers its health and metrics, nothing else
        app.add_routes([r for r in health.routes() if r.path in HEALTH_PATHS])
        app.cleanup_ctx.append(lifecycle_of(los, background))
        return app
    app.add_routes(health.routes())
    staff_app.setup(app)
    app.add_routes(rota.routes())  # the private calendar feed, outside /api
    app.add_routes([web.get("/api/openapi.json", openapi.openapi)])
    for channel in los.channels:
        app.add_routes(channel.routes(los))
    for ep in ENDPOINTS:
        if ep.tag == "dev" and los.fake_clock is None:
            continue
        app.router.add_route(ep.method, ep.path, handle(ep))

    app.cleanup_ctx.append(lifecycle_of(los, background))
    return app


HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")


def lifecycle_of(los: Los, background: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await los.prepare()
        if los.runs_web:
            los.router.start()  # routing right after the webhook, outside the request
        if background and los.runs_background:
            los.start_background()
        yield
        await los.close()

    return lifecycle
