"""The staff app: server-rendered pages (Jinja2, autoescaped) with htmx for partial updates.

Pages call ``handlers/`` directly, never the HTTP API; sign-in is a database session with two
factors (``auth.py``). htmx is vendored in ``static/`` with its licence: no CDN, no build step.
"""

from __future__ import annotations

from aiohttp import web

from bot.web import (
    auth,
    views_activities,
    views_appointments,
    views_broadcasts,
    views_checkins,
    views_drift,
    views_followup,
    views_inbox,
    views_people,
    views_reports,
    views_rota,
    views_settings,
    views_surveys,
    views_today,
    views_tokens,
)
from bot.web.core import STATIC, pages, setup_templates

__all__ = ["pages", "setup"]


def setup(app: web.Application) -> None:
    """Templates, the staff pages' routes and their static files."""
    setup_templates(app)
    for module in (
        auth,
        views_today,
        views_inbox,
        views_people,
        views_settings,
        views_appointments,
        views_activities,
        views_broadcasts,
        views_rota,
        views_checkins,
        views_drift,
        views_tokens,
        views_followup,
        views_reports,
        views_surveys,
    ):
        app.add_routes(module.routes())
    app.router.add_static("/static", STATIC, append_version=False)
