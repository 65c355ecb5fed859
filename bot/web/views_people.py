"""Personer: search, register, a profile, pause and resume, a Telegram invitation and erasure."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import segno
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web import views_followup
from bot.web.auth import admin_only, staff_page
from bot.web.core import (
    PERSON_LANGUAGES,
    Form,
    PageError,
    error_key,
    los_of,
    redirect,
    render,
    user_of,
)
from bot.web.sites import visible_sites, zone_for
from bot.web.texts import ui
from handlers import people as rules
from handlers import people_pages as pages
from handlers import report_fields, voice
from handlers.audit import audit
from handlers.errors import Conflict, InputError
from handlers.linking import new_invite
from handlers.localtime import to_utc
from handlers.segments import count_segments
from storage.models import Person, StaffUser
from storage.models.people import ROLES
from storage.models.states import RemindersBy

REMINDERS_BY = [choice.value for choice in RemindersBy]


def person_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise PageError(404)
    return int(raw)


@staff_page
async def people_page(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    form = Form(dict(request.query))
    site = form.get("site")
    async with los.sessions() as session:
        sites = await visible_sites(session, user)
        try:
            page = await pages.search_people(
                session,
                user,
                text=form.get("q"),
                role=form.get("role"),
                status=form.get("status"),
                site_id=int(site) if site.isdigit() else None,
                cursor=form.get("cursor") or None,
            )
        except InputError as exc:
            form.errors = error_key(exc.fields, user.language)
            page = pages.PeoplePage([], None)
    more = {k: v for k, v in form.values.items() if k != "cursor" and v}
    return render(
        request,
        "people.html",
        {"page": page, "form": form, "sites": sites, "roles": ROLES, "more": more},
    )


async def register_view(request: web.Request, form: Form, status: int = 200) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        sites = await visible_sites(session, user)
        staff_people = await pages.staff_people(session, user)
    context = {"form": form, "sites": sites, "roles": ROLES, "staff_people": staff_people}
    return render(request, "person_new.html", context, status=status)


@staff_page
async def register_form(request: web.Request) -> web.Response:
    # From an unknown number's thread the number comes along, so nobody types it twice.
    phone = request.query.get("phone", "")
    return await register_view(
        request, Form({"roles": ["participant"], "language": "nb", "phone": phone})
    )


@staff_page
async def register(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            sites = await visible_sites(session, user)
            site_raw = form.get("site_id")
            site = next((s for s in sites if str(s.id) == site_raw), sites[0] if sites else None)
            if site is None:
                raise InputError({"site": "unknown"})
            roles = form.getall("roles")
            if not roles:
                raise InputError({"roles": "empty"})
            fields = await report_fields_of(session, user, form, los.clock.now())
            person = await rules.create_person(
                session,
                los.clock,
                site_id=site.id,
                name=form.get("name"),
                roles=roles,
                phone=form.get("phone") or None,
                language=form.get("language") or "nb",
            )
            report_fields.apply(person, fields)
            contact = form.get("contact_staff_id")
            if contact.isdigit():
                allowed = {p.id for p in await pages.staff_people(session, user)}
                if int(contact) in allowed:
                    person.contact_staff_id = int(contact)
            audit(session, los.clock, user, "person.create", "person", person.id)
            new_id = person.id
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await register_view(request, form, status=422)
    except Conflict as exc:
        form.errors = error_key({k: "in_use" for k in exc.fields}, user.language)
        return await register_view(request, form, status=409)
    return redirect(request, f"/people/{new_id}?ok=created")


async def report_fields_of(
    session: AsyncSession, user: StaffUser, form: Form, now: datetime
) -> report_fields.ReportFields:
    """Gender, municipality and intake from the form; an intake without a date is today's."""
    today = now.astimezone(await zone_for(session, user)).date()
    return report_fields.from_form(
        form.get("gender"),
        form.get("municipality"),
        form.get("intake_outcome"),
        form.get("intake_on"),
        today,
    )


async def edit_view(
    request: web.Request, person: Person, form: Form, status: int = 200
) -> web.Response:
    return render(request, "person_edit.html", {"person": person, "form": form}, status=status)


@staff_page
async def edit_form(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions() as session:
        person = await pages.visible_person(session, user_of(request), person_id(request))
    form = Form(
        {
            "name": person.name or "",
            "gender": person.gender or "",
            "municipality": person.municipality or "",
            "intake_outcome": person.intake_outcome or "",
            "intake_on": person.intake_on.isoformat() if person.intake_on else "",
        }
    )
    return await edit_view(request, person, form)


@staff_page
async def edit(request: web.Request) -> web.StreamResponse:
    """The person's name and the optional fields the yearly report counts by."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            person = await pages.visible_person(session, user, person_id(request))
            name = " ".join(form.get("name").split())
            if not name or len(name) > 200:
                raise InputError({"name": "invalid"})
            fields = await report_fields_of(session, user, form, los.clock.now())
            person.name = name
            report_fields.apply(person, fields)
            audit(session, los.clock, user, "person.update", "person", person.id)
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        async with los.sessions() as session:
            person = await pages.visible_person(session, user, person_id(request))
        return await edit_view(request, person, form, status=422)
    return redirect(request, f"/people/{person.id}?ok=saved")


async def profile_view(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        found = await pages.profile(session, user, person_id(request), los.clock.now())
        tz = await zone_for(session, user)
    context: dict[str, Any] = {
        "p": found,
        "person": found.person,
        "tz": tz,
        "chart": pages.score_chart(found.scores),
        "segments": count_segments,
        "invite": None,
        "form": Form(),
    }
    context.update(await views_followup.person_context(request, found.person.id))
    context.update(extra or {})
    return render(request, "person.html", context, status=status)


@staff_page
async def profile_page(request: web.Request) -> web.Response:
    return await profile_view(request)


def end_of_day(raw: str, tz: Any, today: date) -> datetime:
    """``2026-03-10`` or ``10.03.2026``: the pause lasts through that day, local time."""
    raw = raw.strip()
    try:
        day = datetime.strptime(raw, "%d.%m.%Y").date() if "." in raw else date.fromisoformat(raw)
    except ValueError:
        raise InputError({"paused_until": "invalid"}) from None
    if day < today or day.year > 2200:
        raise InputError({"paused_until": "invalid"})
    return to_utc(day + timedelta(days=1), time(0, 0), tz)


@staff_page
async def pause(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            person = await pages.visible_person(session, user, person_id(request))
            tz = await zone_for(session, user)
            raw = form.get("until")
            today = los.clock.now().astimezone(tz).date()
            pages.pause(person, end_of_day(raw, tz, today) if raw else None)
            audit(session, los.clock, user, "person.pause", "person", person.id)
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await profile_view(request, {"form": form}, status=422)
    return redirect(request, f"/people/{person.id}?ok=paused")


@staff_page
async def resume(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        person = await pages.visible_person(session, user, person_id(request))
        pages.resume(person)
        audit(session, los.clock, user, "person.resume", "person", person.id)
    return redirect(request, f"/people/{person.id}?ok=resumed")


@staff_page
async def set_language(request: web.Request) -> web.StreamResponse:
    """The language Los writes to the person in (the person can also choose it with SPRÅK)."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    language = form.get("language")
    if language not in PERSON_LANGUAGES:
        form.errors = error_key({"language": "invalid"}, user.language)
        return await profile_view(request, {"form": form}, status=422)
    async with los.sessions.begin() as session:
        person = await pages.visible_person(session, user, person_id(request))
        if person.language != language:
            person.language = language
            audit(session, los.clock, user, "person.language", "person", person.id)
    return redirect(request, f"/people/{person.id}?ok=language_saved")


@staff_page
async def set_reminders_by(request: web.Request) -> web.StreamResponse:
    """Texts, a call that reads reminders and check-ins aloud, or both (handlers/voice.py)."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    choice = form.get("reminders_by")
    if choice not in REMINDERS_BY or (choice != "sms" and los.channel(voice.CHANNEL) is None):
        reason = "invalid" if choice not in REMINDERS_BY else "calls_off"
        form.errors = error_key({"reminders_by": reason}, user.language)
        return await profile_view(request, {"form": form}, status=422)
    async with los.sessions.begin() as session:
        person = await pages.visible_person(session, user, person_id(request))
        if person.reminders_by != choice:
            person.reminders_by = choice
            audit(session, los.clock, user, "person.reminders_by", "person", person.id)
    return redirect(request, f"/people/{person.id}?ok=reminders_by_saved")


@staff_page
async def invite(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        person = await pages.visible_person(session, user, person_id(request))
        code = await new_invite(session, los.clock, person)
        audit(session, los.clock, user, "person.invite", "person", person.id)
    username = await los.telegram_username()
    link = f"https://t.me/{username}?start={code.code}" if username else None
    qr = segno.make(link or f"/start {code.code}", error="m").svg_inline(scale=4, title=None)
    return await profile_view(request, {"invite": {"code": code.code, "link": link, "qr": qr}})


@staff_page
async def erase_form(request: web.Request) -> web.Response:
    admin_only(request)
    los = los_of(request)
    async with los.sessions() as session:
        person = await pages.visible_person(session, user_of(request), person_id(request))
    return render(request, "person_erase.html", {"person": person})


@staff_page
async def erase(request: web.Request) -> web.StreamResponse:
    user = admin_only(request)
    los = los_of(request)
    form = Form.of(await request.post())
    async with los.sessions.begin() as session:
        person = await pages.visible_person(session, user, person_id(request))
        if form.get("confirm").strip() != "SLETT":
            form.errors["confirm"] = ui(user.language, "person.erase.mismatch")
            return render(
                request, "person_erase.html", {"person": person, "form": form}, status=422
            )
        await rules.erase(session, los.clock, los.rules, person)
        audit(session, los.clock, user, "person.erase", "person", person.id)
    return redirect(request, "/people?ok=erased")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/people", people_page),
        web.get("/people/new", register_form),
        web.post("/people/new", register),
        web.get("/people/{id}", profile_page),
        web.get("/people/{id}/edit", edit_form),
        web.post("/people/{id}/edit", edit),
        web.post("/people/{id}/pause", pause),
        web.post("/people/{id}/resume", resume),
        web.post("/people/{id}/invite", invite),
        web.post("/people/{id}/language", set_language),
        web.post("/people/{id}/reminders-by", set_reminders_by),
        web.get("/people/{id}/erase", erase_form),
        web.post("/people/{id}/erase", erase),
    ]
