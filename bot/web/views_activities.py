"""Aktiviteter: the list and weekly series, create, announce with a preview, the sign-up list with
the waiting line, attendance at the door (one tap per person, walk-ins by name, a head count)
and cancelling with notice. Rules: ``handlers.activities`` and ``handlers.signups``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.auth import staff_page
from bot.web.core import Form, error_key, los_of, redirect, render, user_of
from bot.web.sites import visible_sites, zone_for
from bot.web.views_appointments import parse_local
from handlers import activities as rules
from handlers import lists, signups
from handlers.access import can_see, visible
from handlers.audit import audit
from handlers.errors import Conflict, InputError
from handlers.lists import SCREENFUL
from handlers.people import create_person
from handlers.people_pages import search_people
from storage.models import Activity, Person, Signup

AUDIENCES = ("all", "participants", "volunteers")


@staff_page
async def list_page(request: web.Request) -> web.Response:
    return await list_view(request)


async def list_view(request: web.Request, form: Form | None = None, status: int = 200) -> Any:
    los = los_of(request)
    user = user_of(request)
    past = request.query.get("when") == "past"
    now = los.clock.now()
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        if past:
            found = (
                await lists.activities(
                    session, user, start=now - timedelta(days=60), end=now, page=SCREENFUL
                )
            ).items
            found.reverse()
        else:
            found = (
                await lists.activities(
                    session, user, start=now - timedelta(hours=6), page=SCREENFUL
                )
            ).items
        found = found[:200]
        counted = {a.id: await rules.counts(session, a.id) for a in found}
        sites = await visible_sites(session, user)
    context = {
        "activities": found,
        "counts": counted,
        "tz": tz,
        "past": past,
        "sites": sites,
        "form": form or Form({"audience": "all", "signup_required": "1"}),
    }
    return render(request, "activities.html", context, status=status)


@staff_page
async def create(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            sites = await visible_sites(session, user)
            raw_site = form.get("site_id")
            site = next((s for s in sites if str(s.id) == raw_site), sites[0] if sites else None)
            if site is None:
                raise InputError({"site_id": "required"})
            tz = await rules.site_tz(session, site.id)
            starts_at = parse_local(form.get("starts_at"), tz, "starts_at")
            if starts_at <= los.clock.now():
                raise InputError({"starts_at": "is in the past"})
            length = form.get("hours").replace(",", ".").strip()
            try:
                hours = float(length) if length else 2.0
            except ValueError:
                raise InputError({"hours": "invalid"}) from None
            capacity = form.get("capacity").strip()
            if capacity and not capacity.isdigit():
                raise InputError({"capacity": "must be at least 1"})
            fields = rules.ActivityFields(
                title=form.get("title"),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=hours) if hours > 0 else None,
                location=form.get("location").strip() or None,
                capacity=int(capacity) if capacity else None,
                audience=form.get("audience") if form.get("audience") in AUDIENCES else "all",
                signup_required=form.get("signup_required") == "1",
                description=form.get("description").strip() or None,
            )
            if form.get("weekly") == "1":
                until_raw = form.get("until").strip()
                until = date.fromisoformat(until_raw) if until_raw else None
                series = await rules.create_series(session, los.clock, site.id, fields, until=until)
                audit(session, los.clock, user, "activity.create", "activity_series", series.id)
                first = await session.scalar(
                    select(Activity.id)
                    .where(Activity.series_id == series.id)
                    .order_by(Activity.starts_at)
                    .limit(1)
                )
                target = f"/activities/{first}" if first else "/activities"
            else:
                activity = await rules.create_activity(session, los.clock, site.id, fields)
                audit(session, los.clock, user, "activity.create", "activity", activity.id)
                target = f"/activities/{activity.id}"
    except (InputError, Conflict, ValueError) as exc:
        fields_ = getattr(exc, "fields", None) or {"until": "invalid"}
        form.errors = error_key(
            {k.replace("repeat.", ""): v for k, v in fields_.items()}, user.language
        )
        return await list_view(request, form, 422)
    return redirect(request, f"{target}?ok=created")


async def load(request: web.Request, session: AsyncSession) -> Activity:
    activity_id = int(request.match_info["id"])
    return await visible(session, user_of(request), Activity, activity_id, "activity")


async def rows_of(session: AsyncSession, activity: Activity) -> list[tuple[Signup, Person]]:
    rows = await session.execute(
        select(Signup, Person)
        .join(Person, Person.id == Signup.person_id)
        .where(Signup.activity_id == activity.id, Person.erased_at.is_(None))
        .order_by(Signup.position, Signup.id)
    )
    return [(s, p) for s, p in rows.all()]


@staff_page
async def detail_page(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    walkin = request.query.get("walkin", "").strip()
    async with los.sessions() as session:
        activity = await load(request, session)
        tz = await rules.site_tz(session, activity.site_id)
        rows = await rows_of(session, activity)
        counted = await rules.counts(session, activity.id)
        preview = None
        if request.query.get("preview") == "1" and activity.status == "planned":
            preview = await rules.announce_preview(session, los.clock, activity)
        matches: list[Person] = []
        if walkin:
            found = await search_people(session, user, text=walkin, site_id=activity.site_id)
            matches = found.people[:8]
    coming = [(s, p) for s, p in rows if s.status in ("signed_up", "attended", "no_show")]
    waiting = [(s, p) for s, p in rows if s.status == "waitlisted"]
    others = [(s, p) for s, p in rows if s.status in ("interested", "declined", "cancelled")]
    door_open = (
        activity.status != "cancelled"
        and activity.starts_at - timedelta(hours=2) <= los.clock.now()
    )
    context = {
        "a": activity,
        "tz": tz,
        "coming": coming,
        "waiting": waiting,
        "others": others,
        "counts": counted,
        "preview": preview,
        "walkin": walkin,
        "matches": matches,
        "door_open": door_open,
        "upcoming": activity.starts_at > los.clock.now(),
        "attended": sum(1 for s, _ in rows if s.status == "attended"),
    }
    return render(request, "activity.html", context)


async def after(request: web.Request, flash: str) -> web.StreamResponse:
    return redirect(request, f"/activities/{request.match_info['id']}?ok={flash}#door")


@staff_page
async def door(request: web.Request) -> web.StreamResponse:
    """One tap at the door: came, or undo (back to signed up / no-show)."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    raw = form.get("person_id")
    status = form.get("status")
    if not raw.isdigit() or status not in ("attended", "no_show"):
        raise web.HTTPBadRequest(text="person_id and status (attended|no_show) are required")
    async with los.sessions.begin() as session:
        activity = await load(request, session)
        person = await session.get(Person, int(raw))
        if person is None or not can_see(user, person.site_id):
            raise web.HTTPBadRequest(text="person_id: no such person")
        await signups.set_attendance(session, los.clock, activity, person.id, status)
        audit(
            session,
            los.clock,
            user,
            "signup.update",
            "activity",
            activity.id,
            person_id=person.id,
            status=status,
        )
    return await after(request, "door_" + status)


@staff_page
async def walk_in(request: web.Request) -> web.StreamResponse:
    """A walk-in by name: a new participant with only a name, marked as come."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    name = form.get("name").strip()
    if not name:
        return redirect(request, f"/activities/{request.match_info['id']}#door")
    async with los.sessions.begin() as session:
        activity = await load(request, session)
        person = await create_person(
            session, los.clock, site_id=activity.site_id, name=name, roles=["participant"]
        )
        await signups.set_attendance(session, los.clock, activity, person.id, "attended")
        audit(
            session,
            los.clock,
            user,
            "signup.create",
            "activity",
            activity.id,
            person_id=person.id,
            walk_in=True,
        )
    return await after(request, "walkin")


@staff_page
async def head_count(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    raw = form.get("head_count").strip()
    if not raw.isdigit():
        return redirect(request, f"/activities/{request.match_info['id']}?ok=bad_count#door")
    async with los.sessions.begin() as session:
        activity = await load(request, session)
        await rules.update_activity(session, los.clock, activity, {"head_count": int(raw)})
        audit(
            session,
            los.clock,
            user,
            "activity.update",
            "activity",
            activity.id,
            fields=["head_count"],
        )
    return await after(request, "counted")


@staff_page
async def cancel(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    if Form.of(await request.post()).get("sure") != "1":  # one click never texts everyone
        return redirect(request, f"/activities/{request.match_info['id']}?ok=not_sure")
    async with los.sessions.begin() as session:
        activity = await load(request, session)
        await rules.update_activity(session, los.clock, activity, {}, "cancelled")
        audit(session, los.clock, user, "activity.cancel", "activity", activity.id)
    los.dispatcher.wake()
    return redirect(request, f"/activities/{activity.id}?ok=cancelled")


@staff_page
async def announce(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    try:
        async with los.sessions.begin() as session:
            activity = await load(request, session)
            broadcast = await rules.announce(session, los.clock, activity, staff_user_id=user.id)
            audit(
                session,
                los.clock,
                user,
                "activity.announce",
                "activity",
                activity.id,
                broadcast_id=broadcast.id,
            )
    except Conflict:
        return redirect(request, f"/activities/{request.match_info['id']}?ok=closed")
    los.dispatcher.wake()
    return redirect(request, f"/broadcasts/{broadcast.id}?ok=announced")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/activities", list_page),
        web.post("/activities", create),
        web.get(r"/activities/{id:\d+}", detail_page),
        web.post(r"/activities/{id:\d+}/door", door),
        web.post(r"/activities/{id:\d+}/walkin", walk_in),
        web.post(r"/activities/{id:\d+}/count", head_count),
        web.post(r"/activities/{id:\d+}/cancel", cancel),
        web.post(r"/activities/{id:\d+}/announce", announce),
    ]
