"""The volunteer rota: shift templates, shifts, volunteers' terms, the plan, assignments by hand,
and the private calendar feed.

``POST /api/rota/plan`` also makes the shifts of the site's templates for the period (making
them again is harmless), so one call plans a period; ``POST /api/shift-templates/{id}/generate``
makes one template's shifts without planning.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import (
    endpoint,
    json_response,
    local_to_utc,
    los_of,
    path_id,
    read_body,
    staff_of,
)
from handlers import calendar_feed
from handlers.errors import InputError, NotFound
from handlers.rota import offers, shifts, staff
from handlers.sites import site_or_default
from storage.models import Assignment, Shift, ShiftTemplate, VolunteerTerms

HHMM = r"^\d{2}:\d{2}$"


class TemplateIn(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    weekdays: list[int] = Field(min_length=1)
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)
    needed: int = Field(1, ge=1, le=100)
    role: str | None = Field(None, max_length=60)
    qualification: str | None = Field(None, max_length=60)
    site_id: int | None = None


class PeriodIn(BaseModel):
    from_: date = Field(alias="from")
    to: date


class PlanIn(PeriodIn):
    respond_within_minutes: int = Field(offers.DEFAULT_RESPOND_MINUTES, ge=15, le=14 * 24 * 60)
    site_id: int | None = None


class ShiftIn(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    starts_at: datetime
    ends_at: datetime
    needed: int = Field(1, ge=1, le=100)
    role: str | None = Field(None, max_length=60)
    qualification: str | None = Field(None, max_length=60)
    site_id: int | None = None


class AssignIn(BaseModel):
    person_id: int


class AssignmentPatch(BaseModel):
    status: Literal["confirmed", "cancelled", "no_show"]
    find_replacement: bool = False


class TermsIn(BaseModel):
    weekdays: list[int]
    max_shifts_per_month: int | None = Field(None, ge=0, le=62)
    unavailable_dates: list[date] = Field(default_factory=list)
    from_time: str | None = Field(None, pattern=HHMM)
    to_time: str | None = Field(None, pattern=HHMM)
    qualifications: list[str] = Field(default_factory=list)


def template_json(template: ShiftTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "site_id": template.site_id,
        "title": template.title,
        "weekdays": template.weekdays,
        "start": template.start_time,
        "end": template.end_time,
        "needed": template.needed,
        "role": template.role,
        "qualification": template.qualification,
        "active": template.active,
    }


def assignment_json(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "shift_id": a.shift_id,
        "person_id": a.person_id,
        "status": a.status,
        "source": a.source,
        "round": a.round,
        "offered_at": a.offered_at.isoformat() if a.offered_at else None,
        "respond_by": a.respond_by.isoformat() if a.respond_by else None,
        "answered_at": a.answered_at.isoformat() if a.answered_at else None,
    }


def shift_json(shift: Shift, assignments: list[Assignment] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": shift.id,
        "site_id": shift.site_id,
        "title": shift.title,
        "role": shift.role,
        "qualification": shift.qualification,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "needed": shift.needed,
        "template_id": shift.template_id,
        "status": shift.status,
    }
    if assignments is not None:
        result["confirmed"] = sum(a.status == "confirmed" for a in assignments)
        result["assignments"] = [assignment_json(a) for a in assignments]
    return result


def terms_json(terms: VolunteerTerms) -> dict[str, Any]:
    return {
        "person_id": terms.person_id,
        "weekdays": terms.weekdays,
        "max_shifts_per_month": terms.max_shifts_per_month,
        "unavailable_dates": terms.unavailable_dates,
        "from_time": terms.from_time,
        "to_time": terms.to_time,
        "qualifications": terms.qualifications,
    }


async def load_shift(session: AsyncSession, shift_id: int) -> Shift:
    shift = await session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("shift")
    return shift


# --- templates --------------------------------------------------------------------------------
@endpoint(
    "POST",
    "/api/shift-templates",
    summary="A weekly shift template",
    tag="rota",
    body=TemplateIn,
    status=201,
)
async def create_template(request: web.Request) -> web.Response:
    body = await read_body(request, TemplateIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_or_default(session, body.site_id)
        template = await shifts.create_template(
            session,
            los.clock,
            site,
            title=body.title,
            weekdays=body.weekdays,
            start=body.start,
            end=body.end,
            needed=body.needed,
            role=body.role,
            qualification=body.qualification,
        )
        audit(session, los.clock, staff_of(request), "template.create", "template", template.id)
        result = template_json(template)
    return json_response(result, 201)


@endpoint("GET", "/api/shift-templates", summary="Shift templates", tag="rota")
async def list_templates(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        rows = await session.scalars(select(ShiftTemplate).order_by(ShiftTemplate.id))
        return json_response([template_json(t) for t in rows])


@endpoint(
    "POST",
    "/api/shift-templates/{id}/generate",
    summary="Make a template's shifts for a period (from/to dates, inclusive)",
    tag="rota",
    body=PeriodIn,
    status=201,
)
async def generate(request: web.Request) -> web.Response:
    body = await read_body(request, PeriodIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        template = await session.get(ShiftTemplate, path_id(request))
        if template is None:
            raise NotFound("template")
        created = await shifts.generate_shifts(session, los.clock, template, body.from_, body.to)
        audit(
            session,
            los.clock,
            staff_of(request),
            "template.generate",
            "template",
            template.id,
            created=len(created),
        )
        result = {"created": len(created), "shifts": [shift_json(s) for s in created]}
    return json_response(result, 201)


# --- shifts -----------------------------------------------------------------------------------
@endpoint("POST", "/api/shifts", summary="A shift", tag="rota", body=ShiftIn, status=201)
async def create_shift(request: web.Request) -> web.Response:
    body = await read_body(request, ShiftIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_or_default(session, body.site_id)
        shift = await shifts.create_shift(
            session,
            los.clock,
            site,
            title=body.title,
            starts_at=local_to_utc(body.starts_at, site.timezone),
            ends_at=local_to_utc(body.ends_at, site.timezone),
            needed=body.needed,
            role=body.role,
            qualification=body.qualification,
        )
        audit(session, los.clock, staff_of(request), "shift.create", "shift", shift.id)
        result = shift_json(shift, [])
    return json_response(result, 201)


@endpoint("GET", "/api/shifts", summary="Shifts (?from=&to= dates, inclusive)", tag="rota")
async def list_shifts(request: web.Request) -> web.Response:
    los = los_of(request)
    tz = ZoneInfo(los.rules.timezone)
    query = select(Shift).order_by(Shift.starts_at, Shift.id)
    for name, op in (("from", "ge"), ("to", "lt")):
        raw = request.query.get(name)
        if not raw:
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InputError({name: "use YYYY-MM-DD"}) from None
        if op == "ge":
            query = query.where(Shift.starts_at >= datetime.combine(day, time(), tzinfo=tz))
        else:
            end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
            query = query.where(Shift.starts_at < end)
    async with los.sessions() as session:
        found = list(await session.scalars(query.limit(2000)))
        rows = await session.scalars(
            select(Assignment)
            .where(Assignment.shift_id.in_([s.id for s in found]))
            .order_by(Assignment.id)
        )
        by_shift: dict[int, list[Assignment]] = {s.id: [] for s in found}
        for a in rows:
            by_shift[a.shift_id].append(a)
        return json_response([shift_json(s, by_shift[s.id]) for s in found])


@endpoint("GET", "/api/shifts/{id}", summary="One shift with its assignments", tag="rota")
async def get_shift(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        shift = await load_shift(session, path_id(request))
        return json_response(shift_json(shift, await shifts.assignments_of(session, shift.id)))


@endpoint(
    "DELETE",
    "/api/shifts/{id}",
    summary="Call a shift off: offers withdrawn, volunteers who said yes are told",
    tag="rota",
)
async def cancel_shift(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, path_id(request))
        await staff.cancel_whole_shift(session, los.clock, shift.id)
        audit(session, los.clock, staff_of(request), "shift.cancel", "shift", shift.id)
        result = shift_json(shift, await shifts.assignments_of(session, shift.id))
    los.dispatcher.wake()
    return json_response(result)


@endpoint(
    "POST",
    "/api/shifts/{id}/assign",
    summary="Put a volunteer on a shift by hand (confirmed at once)",
    tag="rota",
    body=AssignIn,
)
async def assign(request: web.Request) -> web.Response:
    body = await read_body(request, AssignIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, path_id(request))
        person = await load_person(session, body.person_id)
        made = await staff.assign_by_hand(session, los.clock, los.rules, shift.id, person)
        audit(
            session,
            los.clock,
            staff_of(request),
            "shift.assign",
            "shift",
            shift.id,
            assignment_id=made.id,
        )
        result = shift_json(shift, await shifts.assignments_of(session, shift.id))
    los.dispatcher.wake()
    return json_response(result)


@endpoint(
    "POST",
    "/api/shifts/{id}/call",
    summary="Ask every eligible volunteer at once for a shift's free place",
    tag="rota",
    status=202,
)
async def call(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, path_id(request))
        asked = await staff.start_call(session, los.clock, los.rules, shift.id)
        audit(session, los.clock, staff_of(request), "shift.call", "shift", shift.id, asked=asked)
    los.dispatcher.wake()
    return json_response({"asked": asked}, 202)


@endpoint(
    "PATCH",
    "/api/assignments/{id}",
    summary="Confirm, cancel (optionally find a replacement) or mark a no-show",
    tag="rota",
    body=AssignmentPatch,
)
async def patch_assignment(request: web.Request) -> web.Response:
    body = await read_body(request, AssignmentPatch)
    los = los_of(request)
    async with los.sessions.begin() as session:
        assignment = await session.get(Assignment, path_id(request))
        if assignment is None:
            raise NotFound("assignment")
        changed = await staff.set_assignment_status(
            session,
            los.clock,
            los.rules,
            assignment,
            body.status,
            find_replacement=body.find_replacement,
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "assignment.update",
            "assignment",
            changed.id,
            status=body.status,
        )
        result = assignment_json(changed)
    los.dispatcher.wake()
    return json_response(result)


# --- the plan ---------------------------------------------------------------------------------
@endpoint(
    "POST",
    "/api/rota/plan",
    summary="Plan a period (from/to dates, inclusive) and send the offers",
    tag="rota",
    body=PlanIn,
)
async def plan(request: web.Request) -> web.Response:
    body = await read_body(request, PlanIn)
    los = los_of(request)
    if body.to < body.from_:
        raise InputError({"to": "must not be before from"})
    if (body.to - body.from_).days > 92:
        raise InputError({"to": "plan at most three months at a time"})
    async with los.sessions.begin() as session:
        site = await site_or_default(session, body.site_id)
        result = await offers.plan_period(
            session,
            los.clock,
            los.rules,
            site,
            body.from_,
            body.to,
            respond_within=timedelta(minutes=body.respond_within_minutes),
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "rota.plan",
            "site",
            site.id,
            offers=len(result.offers),
            unfilled=sum(result.unfilled.values()),
        )
        answer = {
            "generated": result.generated,
            "offers": [assignment_json(a) for a in result.offers],
            "unfilled": [
                {"shift_id": shift_id, "places": places}
                for shift_id, places in sorted(result.unfilled.items())
            ],
        }
    los.dispatcher.wake()
    return json_response(answer)


# --- volunteers -------------------------------------------------------------------------------
@endpoint(
    "PUT",
    "/api/people/{id}/availability",
    summary="A volunteer's terms: weekdays, time window, monthly cap, away dates, qualifications",
    tag="rota",
    body=TermsIn,
)
async def put_terms(request: web.Request) -> web.Response:
    body = await read_body(request, TermsIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        terms = await shifts.set_terms(
            session,
            los.clock,
            person,
            weekdays=body.weekdays,
            max_shifts_per_month=body.max_shifts_per_month,
            unavailable_dates=body.unavailable_dates,
            from_time=body.from_time,
            to_time=body.to_time,
            qualifications=body.qualifications,
        )
        audit(session, los.clock, staff_of(request), "person.availability", "person", person.id)
        result = terms_json(terms)
    return json_response(result)


@endpoint("GET", "/api/people/{id}/availability", summary="A volunteer's terms", tag="rota")
async def get_terms(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        person = await load_person(session, path_id(request))
        terms = await session.get(VolunteerTerms, person.id)
        if terms is None:
            raise NotFound("availability")
        return json_response(terms_json(terms))


@endpoint(
    "POST",
    "/api/people/{id}/calendar-token",
    summary="A new private calendar URL (the old one stops working)",
    tag="rota",
    status=201,
)
async def calendar_token(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        token = await calendar_feed.new_token(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.calendar_token", "person", person.id)
    url = f"{los.settings.base_url.rstrip('/')}/calendar/{token}.ics"
    return json_response({"token": token, "url": url}, 201)


@endpoint(
    "DELETE",
    "/api/people/{id}/calendar-token",
    summary="Revoke the private calendar URL",
    tag="rota",
)
async def revoke_calendar_token(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        revoked = await calendar_feed.revoke(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.calendar_revoke", "person", person.id)
    return json_response({"revoked": revoked})


async def calendar(request: web.Request) -> web.Response:
    """``GET /calendar/{token}.ics``: outside /api, no bearer; the secret in the URL is the key.
    Anything but a live token is 404."""
    los = los_of(request)
    async with los.sessions() as session:
        body = await calendar_feed.feed(session, los.clock, request.match_info["token"])
    if body is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/calendar/{token}.ics", calendar)]
