"""Utsendinger: compose with a live SMS count, choose an audience (role, activity, site,
language), preview who gets it and what it costs, confirm naming the number of recipients,
schedule, and watch the progress. Composing never sends: only the confirmation does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.auth import staff_page
from bot.web.core import Form, error_key, los_of, redirect, render, user_of
from bot.web.sites import visible_sites, zone_for
from bot.web.views_appointments import parse_local
from handlers import broadcasts as rules
from handlers import lists
from handlers.access import site_filter, visible
from handlers.audit import audit
from handlers.errors import InputError
from handlers.lists import SCREENFUL
from handlers.segments import count_segments
from storage.models import Broadcast, Person, Site, StaffUser
from storage.models.people import LANGUAGES

# How many of the audience the preview names, so staff can check it is the right people.
PREVIEW_NAMES = 30

ROLES = ("participant", "volunteer")
MAX_TEXT = 1600


async def choices(session: AsyncSession, user: StaffUser, now: Any) -> dict[str, Any]:
    return {
        "sites": await visible_sites(session, user),
        "activities": (
            await lists.activities(
                session,
                user,
                start=now - timedelta(days=1),
                end=now + timedelta(days=60),
                page=SCREENFUL,
            )
        ).items,
        "languages": LANGUAGES,
    }


async def compose_view(request: web.Request, form: Form, status: int = 200) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        recent = list(
            await session.scalars(
                select(Broadcast)
                .where(site_filter(user, Broadcast.site_id))
                .order_by(Broadcast.id.desc())
                .limit(20)
            )
        )
        progress = {b.id: await rules.progress(session, los.clock, b) for b in recent}
        context = await choices(session, user, los.clock.now())
    context |= {
        "form": form,
        "recent": recent,
        "progress": progress,
        "tz": tz,
        "counter": count_segments(form.get("text")),
    }
    return render(request, "broadcasts.html", context, status=status)


@staff_page
async def compose(request: web.Request) -> web.Response:
    return await compose_view(request, Form())


async def understood(
    session: AsyncSession, user: StaffUser, form: Form, now: Any
) -> tuple[Site, dict[str, Any], Any]:
    """The site, audience rule and send time a form names, or the fields that are wrong."""
    errors: dict[str, str] = {}
    text = form.get("text")
    if not text.strip():
        errors["text"] = "must not be empty"
    elif len(text) > MAX_TEXT:
        errors["text"] = "too long"
    sites = await visible_sites(session, user)
    site = next((s for s in sites if str(s.id) == form.get("site_id")), None)
    if site is None:
        if len(sites) == 1:
            site = sites[0]
        else:
            raise InputError({**errors, "site_id": "required"})
    audience: dict[str, Any] = {}
    roles = [r for r in form.getall("roles") if r in ROLES]
    if roles:
        audience["roles"] = roles
    languages = [x for x in form.getall("languages") if x in LANGUAGES]
    if languages:
        audience["languages"] = languages
    raw_activity = form.get("activity_id")
    if raw_activity.isdigit():
        audience["activity_id"] = int(raw_activity)
    send_at = None
    if form.get("send_at").strip():
        try:
            send_at = parse_local(form.get("send_at"), ZoneInfo(site.timezone), "send_at")
        except InputError as exc:
            errors.update(exc.fields)
        else:
            if send_at <= now:
                errors["send_at"] = "is in the past"
    if errors:
        raise InputError(errors)
    return site, audience, send_at


@staff_page
async def preview(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions() as session:
            site, audience, send_at = await understood(session, user, form, los.clock.now())
            figures = await rules.preview(session, site.id, form.get("text"), audience)
            query = await rules.audience_query(session, site.id, audience)
            people = list(await session.scalars(query.order_by(Person.id).limit(PREVIEW_NAMES)))
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await compose_view(request, form, 422)
    context = {
        "form": form,
        "figures": figures,
        "people": people,
        "site": site,
        "send_at": send_at,
        "skipped": figures["opted_out"] + figures["unreachable"],
    }
    return render(request, "broadcast_preview.html", context)


@staff_page
async def send(request: web.Request) -> web.StreamResponse:
    """The explicit confirmation: sends only if the audience still has the number confirmed."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            site, audience, send_at = await understood(session, user, form, los.clock.now())
            figures = await rules.preview(session, site.id, form.get("text"), audience)
            if str(figures["recipients"]) != form.get("confirmed_recipients"):
                raise InputError({"confirmed_recipients": "changed"})
            broadcast = await rules.create_broadcast(
                session,
                los.clock,
                site_id=site.id,
                text=form.get("text"),
                audience=audience,
                send_at=send_at,
                staff_user_id=user.id,
            )
            audit(
                session,
                los.clock,
                user,
                "broadcast.create",
                "broadcast",
                broadcast.id,
                recipients=broadcast.recipients,
            )
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await compose_view(request, form, 422)
    if broadcast.status == "queueing":
        los.queue_broadcasts_soon()
    los.dispatcher.wake()
    return redirect(request, f"/broadcasts/{broadcast.id}?ok=sent")


async def progress_context(request: web.Request) -> dict[str, Any]:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        broadcast = await visible(
            session, user, Broadcast, int(request.match_info["id"]), "broadcast"
        )
        tz = await zone_for(session, user)
        figures = await rules.progress(session, los.clock, broadcast)
    return {"b": broadcast, "p": figures, "tz": tz}


@staff_page
async def progress_page(request: web.Request) -> web.Response:
    return render(request, "broadcast.html", await progress_context(request))


@staff_page
async def progress_part(request: web.Request) -> web.Response:
    """The figures alone, polled by htmx every two seconds while it is still sending."""
    return render(request, "broadcast_progress.html", await progress_context(request))


@staff_page
async def cancel(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        broadcast = await visible(
            session, user, Broadcast, int(request.match_info["id"]), "broadcast"
        )
        await rules.cancel_broadcast(session, broadcast)
        audit(session, los.clock, user, "broadcast.cancel", "broadcast", broadcast.id)
    return redirect(request, f"/broadcasts/{broadcast.id}?ok=cancelled")


@staff_page
async def counter(request: web.Request) -> web.Response:
    text = str((await request.post()).get("text", ""))
    return render(request, "counter.html", {"counter": count_segments(text)})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/broadcasts", compose),
        web.post("/broadcasts/count", counter),
        web.post("/broadcasts/preview", preview),
        web.post("/broadcasts/send", send),
        web.get(r"/broadcasts/{id:\d+}", progress_page),
        web.get(r"/broadcasts/{id:\d+}/progress", progress_part),
        web.post(r"/broadcasts/{id:\d+}/cancel", cancel),
    ]
