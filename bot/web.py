"""Health, readiness and metrics."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.api.registry import los_of


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        async with los_of(request).sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return web.json_response({"status": "database unreachable"}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


PAGES = Path(__file__).parent / "pages"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page(name: str, content_type: str) -> web.Response:
    return web.Response(
        body=(PAGES / name).read_bytes(), content_type=content_type, headers=SECURITY_HEADERS
    )


async def staff_page(request: web.Request) -> web.Response:
    """The staff pages: inbox, people and broadcasts, through the same API and its token."""
    return page("index.html", "text/html")


async def staff_script(request: web.Request) -> web.Response:
    return page("staff.js", "application/javascript")


async def staff_style(request: web.Request) -> web.Response:
    return page("staff.css", "text/css")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics),
        web.get("/", staff_page),
        web.get("/static/staff.js", staff_script),
        web.get("/static/staff.css", staff_style),
    ]
