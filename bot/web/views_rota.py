"""Vaktplan: a week grid of shifts with filled and open places; plan a period, review the
proposal, then send the offers; per shift who was asked, what they answered and who is next;
an open call; add, change and call off shifts; each volunteer's hours and FTE.
Rules: ``handlers.rota``, shared with the API."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.schema import day_start
from bot.web.auth import staff_page
from bot.web.core import Form, error_key, los_of, redirect, render, user_of
from bot.web.sites import visible_sites, zone_for
from bot.web.views_appointments import parse_day, parse_local
from handlers import lists
from handlers.access import visible, visible_site_ids
from handlers.audit import audit
from handlers.errors import Conflict, InputError
from handlers.lists import SCREENFUL
from handlers.people_pages import person_choices
from handlers.rota import figures, offers, shifts, staff
from storage.models import Assignment, Person, Shift, Site, StaffUser

FIGURE_WEEKS = 4


async def names_of(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {pid: name or "–" for pid, name in rows}


async def chosen_site(session: AsyncSession, user: StaffUser, raw: str) -> Site:
    sites = await visible_sites(session, user)
    site = next((s for s in sites if str(s.id) == raw), sites[0] if sites else None)
    if site is None:
        raise InputError({"site_id": "required"})
    return site


async def week_view(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        today = los.clock.now().astimezone(tz).date()
        monday = parse_day(request.query.get("week", ""), today)
        monday -= timedelta(days=monday.weekday())
        start, end = day_start(monday, str(tz)), day_start(monday + timedelta(days=7), str(tz))
        found = (await lists.shifts(session, user, start=start, end=end, page=SCREENFUL)).items
        since = los.clock.now() - timedelta(weeks=FIGURE_WEEKS)
        scope = visible_site_ids(user)
        hours = await figures.hours_by_volunteer(
            session, sorted(scope) if scope is not None else None, since, los.clock.now()
        )
        totals = await figures.volunteer_figures(session, None, since, los.clock.now())
        names = await names_of(session, {p for p, _, _ in hours})
        sites = await visible_sites(session, user)
    days = [monday + timedelta(days=i) for i in range(7)]
    rows: dict[str, dict[date, list[tuple[Shift, list[Assignment]]]]] = {}
    for shift, assignments in found:
        day = shift.starts_at.astimezone(tz).date()
        rows.setdefault(shift.title, {}).setdefault(day, []).append((shift, assignments))
    context = {
        "days": days,
        "rows": rows,
        "tz": tz,
        "monday": monday,
        "prev": (monday - timedelta(days=7)).isoformat(),
        "next": (monday + timedelta(days=7)).isoformat(),
        "hours": hours,
        "names": names,
        "totals": totals if scope is None else None,
        "sites": sites,
        "form": form
        or Form({"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}),
    }
    return render(request, "rota.html", context, status=status)


@staff_page
async def week_page(request: web.Request) -> web.Response:
    return await week_view(request)


def period_of(form: Form) -> tuple[date, date]:
    try:
        first = date.fromisoformat(form.get("from"))
    except ValueError:
        raise InputError({"from": "invalid"}) from None
    try:
        last = date.fromisoformat(form.get("to"))
    except ValueError:
        raise InputError({"to": "invalid"}) from None
    if last < first:
        raise InputError({"to": "must not be before from"})
    if (last - first).days > 62:
        raise InputError({"to": "at most two months at a time"})
    return first, last


@staff_page
async def plan_review(request: web.Request) -> web.Response:
    """The planner's proposal for a period; nothing is saved (the session is rolled back)."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions() as session:
            site = await chosen_site(session, user, form.get("site_id"))
            first, last = period_of(form)
            proposal = await offers.propose(session, los.clock, site, first, last)
            tz = ZoneInfo(site.timezone)
            rows = sorted(
                (
                    proposal.shifts[o.shift_id].starts_at,
                    proposal.shifts[o.shift_id].title,
                    proposal.pool.people[o.person_id].name or "–",
                )
                for o in proposal.plan.offers
            )
            unfilled = [
                (proposal.shifts[shift_id].starts_at, proposal.shifts[shift_id].title, n)
                for shift_id, n in proposal.plan.unfilled.items()
            ]
            site_id = site.id
            await session.rollback()
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await week_view(request, form, 422)
    context = {
        "form": form,
        "site_id": site_id,
        "rows": rows,
        "unfilled": unfilled,
        "generated": proposal.generated,
        "tz": tz,
    }
    return render(request, "rota_plan.html", context)


@staff_page
async def plan_send(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            site = await chosen_site(session, user, form.get("site_id"))
            first, last = period_of(form)
            result = await offers.plan_period(
                session,
                los.clock,
                los.rules,
                site,
                first,
                last,
                respond_within=timedelta(minutes=offers.DEFAULT_RESPOND_MINUTES),
            )
            audit(session, los.clock, user, "rota.plan", "site", site.id, offers=len(result.offers))
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await week_view(request, form, 422)
    los.dispatcher.wake()
    return redirect(request, f"/rota?week={first.isoformat()}&ok=offers_sent")


async def load(request: web.Request, session: AsyncSession) -> Shift:
    return await visible(session, user_of(request), Shift, int(request.match_info["id"]), "shift")


async def shift_view(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        shift = await load(request, session)
        site = await session.get(Site, shift.site_id)
        tz = ZoneInfo(site.timezone if site else "Europe/Oslo")
        assignments = await shifts.assignments_of(session, shift.id)
        names = await names_of(session, {a.person_id for a in assignments})
        following = await offers.next_candidate(session, los.clock, shift)
        volunteers = await person_choices(
            session, user, role="volunteer", status="active", limit=300
        )
    confirmed = sum(a.status == "confirmed" for a in assignments)
    context = {
        "s": shift,
        "tz": tz,
        "assignments": assignments,
        "names": names,
        "following": following,
        "confirmed": confirmed,
        "volunteers": volunteers,
        "upcoming": shift.starts_at > los.clock.now(),
        "form": form
        or Form(
            {
                "title": shift.title,
                "starts_at": shift.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                "ends_at": shift.ends_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
                "needed": str(shift.needed),
            }
        ),
    }
    return render(request, "shift.html", context, status=status)


@staff_page
async def shift_page(request: web.Request) -> web.Response:
    return await shift_view(request)


def needed_of(form: Form) -> int:
    raw = form.get("needed").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise InputError({"needed": "must be at least 1"})
    return int(raw)


@staff_page
async def shift_change(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            shift = await load(request, session)
            site = await session.get(Site, shift.site_id)
            tz = ZoneInfo(site.timezone if site else "Europe/Oslo")
            changed = await shifts.change_shift(
                session,
                los.clock,
                shift,
                title=form.get("title"),
                starts_at=parse_local(form.get("starts_at"), tz, "starts_at"),
                ends_at=parse_local(form.get("ends_at"), tz, "ends_at"),
                needed=needed_of(form),
            )
            audit(session, los.clock, user, "shift.update", "shift", shift.id, fields=changed)
    except (InputError, Conflict) as exc:
        form.errors = error_key(exc.fields, user.language)
        return await shift_view(request, form, 422 if isinstance(exc, InputError) else 409)
    return redirect(request, f"/rota/shifts/{shift.id}?ok=changed")


async def shift_action(request: web.Request, action: str) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            shift = await load(request, session)
            if action == "call":
                asked = await staff.start_call(session, los.clock, los.rules, shift.id)
                audit(session, los.clock, user, "shift.call", "shift", shift.id, asked=asked)
            elif action == "cancel":
                if form.get("sure") != "1":  # calling off texts those booked: never by one slip
                    raise InputError({"sure": "required"})
                await staff.cancel_whole_shift(session, los.clock, shift.id)
                audit(session, los.clock, user, "shift.cancel", "shift", shift.id)
            else:
                raw = form.get("person_id")
                person = await session.get(Person, int(raw)) if raw.isdigit() else None
                if person is None or person.site_id != shift.site_id:
                    raise InputError({"person_id": "no such person"})
                made = await staff.assign_by_hand(session, los.clock, los.rules, shift.id, person)
                audit(
                    session,
                    los.clock,
                    user,
                    "shift.assign",
                    "shift",
                    shift.id,
                    assignment_id=made.id,
                )
    except (InputError, Conflict) as exc:
        form.errors = error_key(exc.fields, user.language)
        return await shift_view(request, form, 409)
    los.dispatcher.wake()
    return redirect(request, f"/rota/shifts/{shift.id}?ok={action}")


@staff_page
async def shift_call(request: web.Request) -> web.StreamResponse:
    return await shift_action(request, "call")


@staff_page
async def shift_cancel(request: web.Request) -> web.StreamResponse:
    return await shift_action(request, "cancel")


@staff_page
async def shift_assign(request: web.Request) -> web.StreamResponse:
    return await shift_action(request, "assign")


@staff_page
async def shift_new(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            site = await chosen_site(session, user, form.get("site_id"))
            tz = ZoneInfo(site.timezone)
            if not form.get("title").strip():
                raise InputError({"title": "must not be empty"})
            shift = await shifts.create_shift(
                session,
                los.clock,
                site,
                title=form.get("title"),
                starts_at=parse_local(form.get("starts_at"), tz, "starts_at"),
                ends_at=parse_local(form.get("ends_at"), tz, "ends_at"),
                needed=needed_of(form),
            )
            audit(session, los.clock, user, "shift.create", "shift", shift.id)
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await week_view(request, form, 422)
    return redirect(request, f"/rota/shifts/{shift.id}?ok=created")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/rota", week_page),
        web.post("/rota/plan", plan_review),
        web.post("/rota/plan/send", plan_send),
        web.post("/rota/shifts", shift_new),
        web.get(r"/rota/shifts/{id:\d+}", shift_page),
        web.post(r"/rota/shifts/{id:\d+}", shift_change),
        web.post(r"/rota/shifts/{id:\d+}/call", shift_call),
        web.post(r"/rota/shifts/{id:\d+}/cancel", shift_cancel),
        web.post(r"/rota/shifts/{id:\d+}/assign", shift_assign),
    ]
