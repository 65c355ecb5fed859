"""Drift (operations, admins only): the same overview as ``GET /api/ops`` (queue, failures by
provider code, oldest queued text, webhooks, jobs, backups, database and disk), and the texts
held after a restore, to release or cancel."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot.api.ops import ops_overview
from bot.web.auth import admin_only, staff_page
from bot.web.core import Form, los_of, redirect, render, user_of
from bot.web.sites import zone_for
from handlers import ops
from handlers.audit import audit
from handlers.pages import PageRequest

ACTIONS = ("release", "release_future", "cancel")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@staff_page
async def drift_page(request: web.Request) -> web.Response:
    admin_only(request)
    los = los_of(request)
    overview = await ops_overview(request)
    async with los.sessions() as session:
        held = (await ops.list_held(session, PageRequest(limit=200))).items
        tz = await zone_for(session, user_of(request))
    for job in overview["jobs"]:
        job["last_run_at"] = parse_time(job["last_run"])
        job["last_success_at"] = parse_time(job["last_success"])
    backups = overview["backups"]
    backups["last_success_at"] = parse_time(backups["last_success"])
    for item in held:
        item["due"] = parse_time(item["send_after"])
    problems = {k: v for k, v in overview["readiness"].items() if v != "ok"}
    context = {"o": overview, "held": held, "tz": tz, "problems": problems}
    return render(request, "drift.html", context)


@staff_page
async def held_action(request: web.Request) -> web.StreamResponse:
    user = admin_only(request)
    los = los_of(request)
    form = Form.of(await request.post())
    action = form.get("action")
    if action not in ACTIONS:
        raise web.HTTPBadRequest(text="action: use release, release_future or cancel")
    async with los.sessions.begin() as session:
        if action == "cancel":
            count = await ops.cancel_held(session, None)
            audit(session, los.clock, user, "ops.cancel_held", count=count)
        else:
            count = await ops.release_held(
                session, los.clock, None, future_only=action == "release_future"
            )
            audit(session, los.clock, user, "ops.release_held", count=count)
    los.dispatcher.wake()
    return redirect(request, f"/drift?ok={action}")


def routes() -> list[web.RouteDef]:
    return [web.get("/drift", drift_page), web.post("/drift/held", held_action)]
