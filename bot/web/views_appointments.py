"""Avtaler: a day or a week of appointments with each one's answer; new, change, move, cancel,
attended or missed from the list. The rules are ``handlers.appointments``, shared with the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.schema import day_start
from bot.web.auth import staff_page
from bot.web.core import Form, error_key, los_of, redirect, render, user_of
from bot.web.sites import zone_for
from handlers import appointments as rules
from handlers import lists
from handlers.access import can_see, visible
from handlers.audit import audit
from handlers.errors import InputError
from handlers.lists import SCREENFUL
from handlers.people_pages import person_choices, search_people
from storage.models import Appointment, Person, Site, StaffUser

OUTCOMES = ("attended", "missed", "cancelled")


def parse_day(raw: str, fallback: date) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return fallback


def parse_local(raw: str, tz: ZoneInfo, name: str) -> datetime:
    """A ``datetime-local`` value typed in the site's time zone, as UTC."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InputError({name: "invalid"}) from None
    return value.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


def parse_reminders(raw: str) -> list[int]:
    """Reminders typed as hours before, e.g. "24, 2"."""
    hours: list[int] = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise InputError({"reminders": "invalid"})
        hours.append(int(part) * 60)
    return rules.check_reminders(hours, "reminders")


async def site_zone(session: AsyncSession, site_id: int) -> ZoneInfo:
    site = await session.get(Site, site_id)
    return ZoneInfo(site.timezone if site else "Europe/Oslo")


async def names_of(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {pid: name or "–" for pid, name in rows}


@staff_page
async def list_page(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    span = "week" if request.query.get("span") == "week" else "day"
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        today = los.clock.now().astimezone(tz).date()
        day = parse_day(request.query.get("day", ""), today)
        if span == "week":
            day = day - timedelta(days=day.weekday())
        length = 7 if span == "week" else 1
        start = day_start(day, str(tz))
        end = day_start(day + timedelta(days=length), str(tz))
        found = (
            await lists.appointments(session, user, start=start, end=end, page=SCREENFUL)
        ).items
        names = await names_of(session, {a.person_id for a in found})
    days: dict[date, list[Appointment]] = {}
    for a in found:
        days.setdefault(a.starts_at.astimezone(tz).date(), []).append(a)
    step = timedelta(days=length)
    context = {
        "span": span,
        "day": day,
        "days": days,
        "names": names,
        "tz": tz,
        "prev": (day - step).isoformat(),
        "next": (day + step).isoformat(),
        "today": today.isoformat(),
        "now": los.clock.now(),
    }
    return render(request, "appointments.html", context)


async def choices(session: AsyncSession, user: StaffUser, q: str) -> list[Person]:
    page = await search_people(session, user, text=q, role="participant", limit=50)
    return page.people


async def form_view(
    request: web.Request,
    form: Form,
    appointment: Appointment | None = None,
    status: int = 200,
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    q = request.query.get("q", "")
    async with los.sessions() as session:
        people = [] if appointment else await choices(session, user, q)
        escorts = await person_choices(session, user, role="volunteer", limit=200)
        name = ""
        if appointment is not None:
            name = (await names_of(session, {appointment.person_id})).get(appointment.person_id, "")
    context = {
        "form": form,
        "appointment": appointment,
        "people": people,
        "escorts": escorts,
        "q": q,
        "name": name,
    }
    return render(request, "appointment_form.html", context, status=status)


@staff_page
async def new_page(request: web.Request) -> web.Response:
    values = {"reminders": "24"}
    if request.query.get("person_id", "").isdigit():
        values["person_id"] = request.query["person_id"]
    return await form_view(request, Form(values))


def details(form: Form, tz: ZoneInfo) -> dict[str, Any]:
    given: dict[str, Any] = {
        "starts_at": parse_local(form.get("starts_at"), tz, "starts_at"),
        "title": form.get("title"),
        "location": form.get("location"),
        "reminders_minutes_before": parse_reminders(form.get("reminders")),
    }
    return given


async def escort(session: AsyncSession, user: StaffUser, raw: str, person_id: int) -> Person | None:
    if not raw.isdigit():
        return None
    companion = await rules.load_companion(session, int(raw), person_id)
    if companion is not None and not can_see(user, companion.site_id):
        raise InputError({"companion_id": "no such person"})
    return companion


@staff_page
async def create(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    raw = form.get("person_id")
    try:
        async with los.sessions.begin() as session:
            if not raw.isdigit():
                raise InputError({"person_id": "required"})
            person = await rules.load_participant(session, int(raw))
            if not can_see(user, person.site_id):
                raise InputError({"person_id": "no such person"})
            tz = await site_zone(session, person.site_id)
            given = details(form, tz)
            appointment = await rules.create(
                session,
                los.clock,
                los.rules,
                person=person,
                starts_at=given["starts_at"],
                title=given["title"],
                location=given["location"],
                companion=await escort(session, user, form.get("companion_id"), person.id),
                reminders_minutes_before=given["reminders_minutes_before"],
            )
            audit(session, los.clock, user, "appointment.create", "appointment", appointment.id)
            day = appointment.starts_at.astimezone(tz).date().isoformat()
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await form_view(request, form, status=422)
    los.dispatcher.wake()
    return redirect(request, f"/appointments?day={day}&ok=created")


async def load(request: web.Request, session: AsyncSession) -> Appointment:
    raw = request.match_info["id"]
    return await visible(session, user_of(request), Appointment, int(raw), "appointment")


@staff_page
async def edit_page(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        appointment = await load(request, session)
        tz = await site_zone(session, appointment.site_id)
    hours = ", ".join(str(m // 60) for m in appointment.reminders_minutes_before)
    form = Form(
        {
            "starts_at": appointment.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "title": appointment.title,
            "location": appointment.location or "",
            "companion_id": str(appointment.companion_id or ""),
            "reminders": hours,
        }
    )
    return await form_view(request, form, appointment)


@staff_page
async def update(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    appointment: Appointment | None = None
    try:
        async with los.sessions.begin() as session:
            appointment = await load(request, session)
            tz = await site_zone(session, appointment.site_id)
            given = details(form, tz)
            given["companion"] = await escort(
                session, user, form.get("companion_id"), appointment.person_id
            )
            changed = await rules.edit(session, los.clock, los.rules, appointment, **given)
            audit(
                session,
                los.clock,
                user,
                "appointment.update",
                "appointment",
                appointment.id,
                fields=changed,
            )
            day = appointment.starts_at.astimezone(tz).date().isoformat()
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await form_view(request, form, appointment, status=422)
    los.dispatcher.wake()
    return redirect(request, f"/appointments?day={day}&ok=changed")


@staff_page
async def set_status(request: web.Request) -> web.StreamResponse:
    """Attended, missed or cancelled, from a button in the list."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    status = form.get("status")
    if status not in OUTCOMES:
        raise web.HTTPBadRequest(text="status: must be attended, missed or cancelled")
    async with los.sessions.begin() as session:
        appointment = await load(request, session)
        tz = await site_zone(session, appointment.site_id)
        if status == "cancelled":
            await rules.cancel_appointment(session, los.clock, los.rules, appointment)
        else:
            await rules.set_status(session, los.clock, los.rules, appointment, status)
        audit(
            session,
            los.clock,
            user,
            "appointment.update",
            "appointment",
            appointment.id,
            status=status,
        )
        day = appointment.starts_at.astimezone(tz).date().isoformat()
    los.dispatcher.wake()
    back = form.get("back") or f"/appointments?day={day}"
    if not back.startswith("/appointments"):
        back = "/appointments"
    sep = "&" if "?" in back else "?"
    return redirect(request, f"{back}{sep}ok={status}")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/appointments", list_page),
        web.get("/appointments/new", new_page),
        web.post("/appointments/new", create),
        web.get(r"/appointments/{id:\d+}", edit_page),
        web.post(r"/appointments/{id:\d+}", update),
        web.post(r"/appointments/{id:\d+}/status", set_status),
    ]
