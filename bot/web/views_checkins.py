"""Innsjekk: check-in plans with their rhythm, last answer and a score chart per person; create,
pause, resume and end a plan; the weekly "not reached" list. Rules: ``handlers.checkins``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.auth import staff_page
from bot.web.core import Form, PageError, error_key, los_of, redirect, render, user_of
from bot.web.sites import zone_for
from handlers import checkins as rules
from handlers import lists
from handlers.access import can_see, visible_site_ids
from handlers.audit import audit
from handlers.errors import InputError, NotFound
from handlers.pages import PageRequest
from handlers.people_pages import person_choices, score_chart
from storage.models import CheckinPlan, CheckinRound, Person

EVERY = ("daily", "weekly")
SCHEDULES = ("fixed", "transition")
CHART_ROUNDS = 12
DOT = {False: "dot", True: "dot low"}  # a score of 2 or less is drawn red


async def scores_by_plan(
    session: AsyncSession, plan_ids: list[int]
) -> dict[int, list[tuple[datetime, int]]]:
    """The latest answered scores of each plan, oldest first, for the small charts."""
    found: dict[int, list[tuple[datetime, int]]] = {pid: [] for pid in plan_ids}
    if not plan_ids:
        return found
    # Only the last CHART_ROUNDS of each plan leave the database, not months of answers.
    latest = (
        select(
            CheckinRound.plan_id,
            CheckinRound.answered_at,
            CheckinRound.score,
            func.row_number()
            .over(
                partition_by=CheckinRound.plan_id,
                order_by=[CheckinRound.answered_at.desc(), CheckinRound.id.desc()],
            )
            .label("n"),
        )
        .where(
            CheckinRound.plan_id.in_(plan_ids),
            CheckinRound.score.is_not(None),
            CheckinRound.answered_at.is_not(None),
        )
        .subquery()
    )
    rows = await session.execute(
        select(latest.c.plan_id, latest.c.answered_at, latest.c.score)
        .where(latest.c.n <= CHART_ROUNDS)
        .order_by(latest.c.answered_at, latest.c.n.desc())
    )
    for plan_id, at, score in rows.all():
        if at is not None and score is not None:
            found[plan_id].append((at, score))
    return found


def small_chart(scores: list[tuple[datetime, int]]) -> dict[str, Any]:
    """A plan's chart with its lines and dots drawn here: one list shows a chart per plan, and
    drawing them in the template was most of the page's time. Only numbers go in the markup."""
    chart = score_chart(scores, width=160, height=56)
    right = chart["width"] - 10
    lines = "".join(
        f'<line class="grid-line" x1="20" x2="{right}" y1="{level["y"]}" y2="{level["y"]}"/>'
        for level in chart["levels"]
    )
    dots = "".join(
        f'<circle class="{DOT[p["score"] <= 2]}" cx="{p["x"]}" cy="{p["y"]}" r="3"/>'
        for p in chart["points"]
    )
    polyline = f'<polyline class="line" points="{chart.get("polyline", "")}"/>'
    chart["marks"] = Markup(f"{lines}\n        {polyline}\n        {dots}")
    chart["scores"] = ", ".join(str(p["score"]) for p in chart["points"])
    return chart


async def list_view(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    show = request.query.get("show", "current")
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        try:
            found = await lists.checkin_plans(
                session,
                user,
                ended=show == "ended",
                page=PageRequest(cursor=request.query.get("cursor") or None),
            )
        except InputError:  # a cursor not from this list
            raise PageError(404) from None
        plans = [p for p, _ in found.items]
        people = {
            p.id: p
            for p in await session.execute(
                select(Person.id, Person.name).where(
                    Person.id.in_([plan.person_id for plan in plans])
                )
            )
        }
        scores = await scores_by_plan(session, [p.id for p in plans])
        now = los.clock.now()
        scope = visible_site_ids(user)
        missing: list[dict[str, Any]] = []
        if scope is None:
            missing = await rules.not_reached(session, None, now - timedelta(days=7), now)
        else:
            for site_id in sorted(scope):
                missing += await rules.not_reached(session, site_id, now - timedelta(days=7), now)
        choices = await person_choices(session, user, role="participant", limit=200)
    charts = {pid: small_chart(s) for pid, s in scores.items()}
    context = {
        "plans": plans,
        "next": found.next,
        "people": people,
        "scores": scores,
        "charts": charts,
        "tz": tz,
        "show": show,
        "missing": missing,
        "choices": choices,
        "form": form or Form({"every": "daily", "at": "10:00", "schedule": "fixed"}),
    }
    return render(request, "checkins.html", context, status=status)


@staff_page
async def list_page(request: web.Request) -> web.Response:
    return await list_view(request)


@staff_page
async def create(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            raw = form.get("person_id")
            person = await session.get(Person, int(raw)) if raw.isdigit() else None
            if person is None or person.erased_at is not None or not can_see(user, person.site_id):
                raise InputError({"person_id": "required"})
            plan = await rules.create_plan(
                session,
                los.clock,
                person,
                at=form.get("at").strip(),
                every=form.get("every") if form.get("every") in EVERY else "daily",
                schedule=form.get("schedule") if form.get("schedule") in SCHEDULES else "fixed",
                question=form.get("question").strip() or None,
            )
            audit(session, los.clock, user, "checkin.create", "checkin_plan", plan.id)
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await list_view(request, form, 422)
    los.dispatcher.wake()
    return redirect(request, "/checkins?ok=created")


@staff_page
async def set_status(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    status = form.get("status")
    if status not in ("active", "paused", "ended"):
        raise web.HTTPBadRequest(text="status: use active, paused or ended")
    async with los.sessions.begin() as session:
        plan = await session.get(CheckinPlan, int(request.match_info["id"]))
        person = await session.get(Person, plan.person_id) if plan else None
        if plan is None or person is None or not can_see(user, person.site_id):
            raise NotFound("checkin plan")
        await rules.set_plan_status(session, los.clock, plan, status)
        audit(session, los.clock, user, "checkin.update", "checkin_plan", plan.id, status=status)
    return redirect(request, f"/checkins?ok={status}#plan-{plan.id}")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/checkins", list_page),
        web.post("/checkins", create),
        web.post(r"/checkins/{id:\d+}/status", set_status),
    ]
