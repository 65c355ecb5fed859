"""Innstillinger: the site's name, hours and number; my language; staff users (admins) and the
audit log (admins)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.staff_users import add_staff, sites_named
from bot.web.auth import admin_only, staff_page
from bot.web.core import Form, PageError, error_key, los_of, redirect, render, user_of
from bot.web.sites import visible_sites, zone_for
from handlers import pages, staff_auth
from handlers import sites as site_rules
from handlers.access import can_see
from handlers.audit import audit
from handlers.errors import Conflict, InputError
from handlers.pages import PageRequest
from handlers.site_settings import apply_site_fields
from storage.loading import STAFF_LOADS
from storage.models import AuditEntry, Site, StaffUser

AUDIT_ROWS = 100


def site_form(site: Site) -> Form:
    values: dict[str, Any] = {
        "name": site.name,
        "quiet_hours": site.quiet_hours or "",
        "default_reminders": ", ".join(str(m) for m in site.default_reminders or []),
        "sms_number": site.sms_number or "",
    }
    for day in range(7):
        intervals = site.opening_hours.get(str(day), [])
        values[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in intervals)
    return Form(values)


def parse_hours(form: Form) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {}
    for day in range(7):
        raw = form.get(f"hours_{day}").strip()
        if not raw:
            continue
        try:
            hours[str(day)] = [
                [part.split("-")[0].strip(), part.split("-")[1].strip()]
                for part in raw.split(",")
                if part.strip()
            ]
        except IndexError:
            raise InputError({"opening_hours": "format"}) from None
    return hours


def parse_minutes(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.replace(" ", "").split(",") if part]
    except ValueError:
        raise InputError({"default_reminders": "format"}) from None


async def settings_view(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        sites = await visible_sites(session, user)
        chosen = request.query.get("site", "")
        site = next((s for s in sites if str(s.id) == chosen), sites[0] if sites else None)
        tz = await zone_for(session, user)
        staff: list[StaffUser] = []
        entries: list[Any] = []
        audit_next: str | None = None
        all_sites: list[Site] = []
        if user.role == "admin":
            staff = list(
                await session.scalars(
                    select(StaffUser).options(*STAFF_LOADS).order_by(StaffUser.name)
                )
            )
            all_sites = list(await session.scalars(select(Site).order_by(Site.id)))
            try:
                logged = await pages.read(
                    session,
                    select(AuditEntry, StaffUser.name).outerjoin(
                        StaffUser, StaffUser.id == AuditEntry.staff_user_id
                    ),
                    [AuditEntry.at, AuditEntry.id],
                    PageRequest(limit=AUDIT_ROWS, cursor=request.query.get("audit") or None),
                    lambda row: [row[0].at, row[0].id],
                    scalars=False,
                    descending=True,
                )
            except InputError:  # a cursor not from this list
                raise PageError(404) from None
            entries, audit_next = list(logged.items), logged.next
    context: dict[str, Any] = {
        "sites": sites,
        "site": site,
        "site_form": site_form(site) if site else Form(),
        "staff": staff,
        "all_sites": all_sites,
        "entries": entries,
        "audit_next": audit_next,
        "tz": tz,
        "invited": None,
        "invite_form": Form({"role": "coordinator"}),
    }
    context.update(extra or {})
    return render(request, "settings.html", context, status=status)


@staff_page
async def settings_page(request: web.Request) -> web.Response:
    return await settings_view(request)


@staff_page
async def save_site(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    raw_id = request.match_info["id"]
    if not raw_id.isdigit() or not can_see(user, int(raw_id)):
        raise PageError(404)
    try:
        async with los.sessions.begin() as session:
            site = await session.get(Site, int(raw_id))
            if site is None:
                raise PageError(404)
            if not form.get("name").strip():
                raise InputError({"name": "empty"})
            fields = {
                "name": form.get("name"),
                "opening_hours": parse_hours(form),
                "quiet_hours": form.get("quiet_hours").strip() or None,
                "default_reminders": parse_minutes(form.get("default_reminders")),
                "sms_number": form.get("sms_number").strip() or None,
            }
            apply_site_fields(site, fields)
            await site_rules.check_number_free(session, site.sms_number, site.id)
            audit(session, los.clock, user, "site.update", "site", site.id, fields=sorted(fields))
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await settings_view(request, {"site_form": form}, status=422)
    except Conflict:
        form.errors = error_key({"sms_number": "in_use"}, user.language)
        return await settings_view(request, {"site_form": form}, status=409)
    return redirect(request, f"/settings?site={raw_id}&ok=site")


@staff_page
async def save_me(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    language = form.get("language")
    if language in ("nb", "en"):
        async with los.sessions.begin() as session:
            me = await session.get(StaffUser, user.id, options=STAFF_LOADS)
            assert me is not None
            me.language = language
    return redirect(request, "/settings?ok=me")


def setup_url(request: web.Request, token: str) -> str:
    return f"{los_of(request).settings.base_url.rstrip('/')}/setup/{token}"


@staff_page
async def invite_staff(request: web.Request) -> web.StreamResponse:
    admin = admin_only(request)
    los = los_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            if not form.get("name").strip():
                raise InputError({"name": "empty"})
            site_ids = [int(s) for s in form.getall("sites") if s.isdigit()]
            user, _ = await add_staff(
                session,
                los.clock,
                name=form.get("name"),
                email=form.get("email"),
                role=form.get("role") or "coordinator",
                site_ids=site_ids,
            )
            user.language = admin.language
            token = staff_auth.new_setup_link(user, los.clock)
            audit(session, los.clock, admin, "staff.invite", "staff_user", user.id)
            invited = {"name": user.name, "link": setup_url(request, token)}
    except InputError as exc:
        form.errors = error_key(exc.fields, admin.language)
        return await settings_view(request, {"invite_form": form}, status=422)
    except Conflict:
        form.errors = error_key({"email": "in_use"}, admin.language)
        return await settings_view(request, {"invite_form": form}, status=409)
    return await settings_view(request, {"invited": invited})


@staff_page
async def update_staff(request: web.Request) -> web.StreamResponse:
    admin = admin_only(request)
    los = los_of(request)
    form = Form.of(await request.post())
    raw_id = request.match_info["id"]
    if not raw_id.isdigit():
        raise PageError(404)
    async with los.sessions.begin() as session:
        user = await session.get(StaffUser, int(raw_id), options=STAFF_LOADS)
        if user is None:
            raise PageError(404)
        role = form.get("role")
        if role in ("admin", "coordinator") and user.id != admin.id:
            user.role = role
        site_ids = [int(s) for s in form.getall("sites") if s.isdigit()]
        if site_ids:
            try:
                user.sites = await sites_named(session, site_ids)
            except InputError:
                raise PageError(404) from None
        audit(session, los.clock, admin, "staff.update", "staff_user", user.id)
    return redirect(request, "/settings?ok=staff#staff")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/settings", settings_page),
        web.post("/settings/site/{id}", save_site),
        web.post("/settings/me", save_me),
        web.post("/settings/staff", invite_staff),
        web.post("/settings/staff/{id}", update_staff),
    ]
