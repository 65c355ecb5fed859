"""The volunteer rota: shift templates, shifts, volunteers' terms, the plan, assignments by hand,
and the private calendar feed.

``POST /api/rota/plan`` also makes the shifts of the site's templates for the period (making
them again is harmless), so one call plans a period; ``POST /api/shift-templates/{id}/generate``
makes one template's shifts without planning.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Count, Day, Id, Paging, Period, Text, Time, When, local_to_utc
from handlers import calendar_feed, lists
from handlers.access import can_see, home_timezone, site_for, visible
from handlers.errors import InputError, NotFound
from handlers.rota import offers, shifts, staff
from storage.models import Assignment, Shift, ShiftTemplate, Site, StaffUser, VolunteerTerms
from storage.models.states import AssignmentStatus, ShiftStatus

HHMM = r"^\d{2}:\d{2}$"
Weekday = Annotated[int, Field(ge=0, le=6)]


class TemplateIn(ApiModel):
    title: Text = Field(min_length=1, max_length=120)
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)
    needed: int = Field(1, ge=1, le=100)
    role: Text | None = Field(None, max_length=60)
    qualification: Text | None = Field(None, max_length=60)
    site_id: Id | None = None


class DaysIn(Period):
    """A period in whole days: ``from`` (inclusive) and ``to`` (exclusive), both required."""

    @model_validator(mode="after")
    def _whole_days(self) -> DaysIn:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value is None:
                raise ValueError(f"{name} is required")
            if isinstance(value, datetime):
                raise ValueError(f"{name} must be a date (YYYY-MM-DD)")
        return self


class PlanIn(DaysIn):
    respond_within_minutes: int = Field(offers.DEFAULT_RESPOND_MINUTES, ge=15, le=14 * 24 * 60)
    site_id: Id | None = None


class ShiftIn(ApiModel):
    title: Text = Field(min_length=1, max_length=120)
    starts_at: When
    ends_at: When
    needed: int = Field(1, ge=1, le=100)
    role: Text | None = Field(None, max_length=60)
    qualification: Text | None = Field(None, max_length=60)
    site_id: Id | None = None


class ShiftPatch(ApiModel):
    """Fields left out stay. The time moves only while nobody is asked or booked."""

    title: Text | None = Field(None, min_length=1, max_length=120)
    starts_at: When | None = None
    ends_at: When | None = None
    needed: int | None = Field(None, ge=1, le=100)


class AssignIn(ApiModel):
    person_id: Id


class AssignmentPatch(ApiModel):
    status: Literal["confirmed", "cancelled", "no_show"]
    find_replacement: bool = False


class TermsIn(ApiModel):
    weekdays: list[Weekday] = Field(max_length=7)
    max_shifts_per_month: int | None = Field(None, ge=0, le=62)
    unavailable_dates: list[Day] = Field(default_factory=list, max_length=400)
    from_time: str | None = Field(None, pattern=HHMM)
    to_time: str | None = Field(None, pattern=HHMM)
    qualifications: list[Text] = Field(default_factory=list, max_length=20)


class TemplateOut(ApiModel):
    id: int
    site_id: int
    title: str
    weekdays: list[int]
    start: str
    end: str
    needed: int
    role: str | None
    qualification: str | None
    active: bool


class AssignmentOut(ApiModel):
    id: int
    shift_id: int
    person_id: int
    status: AssignmentStatus
    source: str
    round: int
    offered_at: Time | None
    respond_by: Time | None
    answered_at: Time | None


class ShiftOut(ApiModel):
    id: int
    site_id: int
    title: str
    role: str | None
    qualification: str | None
    starts_at: Time
    ends_at: Time
    needed: int
    template_id: int | None
    status: ShiftStatus
    confirmed: int | None = None
    assignments: list[AssignmentOut] | None = None


class GeneratedOut(ApiModel):
    created: Count
    shifts: list[ShiftOut]


class UnfilledOut(ApiModel):
    shift_id: int
    places: int


class PlanOut(ApiModel):
    generated: Count
    offers: list[AssignmentOut]
    unfilled: list[UnfilledOut]


class AskedOut(ApiModel):
    asked: Count


class TermsOut(ApiModel):
    person_id: int
    weekdays: list[int]
    max_shifts_per_month: int | None
    unavailable_dates: list[Day]
    from_time: str | None
    to_time: str | None
    qualifications: list[str]


class CalendarTokenOut(ApiModel):
    token: str
    url: str


class RevokedOut(ApiModel):
    revoked: bool


class ShiftsQuery(Period, Paging):
    pass


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


async def load_shift(session: AsyncSession, user: StaffUser, shift_id: int) -> Shift:
    return await visible(session, user, Shift, shift_id, "shift")


async def load_assignment(session: AsyncSession, user: StaffUser, assignment_id: int) -> Assignment:
    """An assignment of a shift of the user's sites; 404 otherwise."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("assignment")
    shift = await session.get(Shift, assignment.shift_id)
    if shift is None or not can_see(user, shift.site_id):
        raise NotFound("assignment")
    return assignment


# --- templates --------------------------------------------------------------------------------
@endpoint(
    "POST",
    "/api/shift-templates",
    summary="A weekly shift template",
    tag="rota",
    body=TemplateIn,
    response=TemplateOut,
    status=201,
)
async def create_template(request: web.Request, *, body: TemplateIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
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
    return result


@endpoint(
    "GET",
    "/api/shift-templates",
    summary="Shift templates of your sites",
    tag="rota",
    response=list[TemplateOut],
)
async def list_templates(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        found = await lists.shift_templates(session, staff_of(request))
        return [template_json(t) for t in found]


@endpoint(
    "POST",
    "/api/shift-templates/{id}/generate",
    summary="Make a template's shifts for a period (from inclusive, to exclusive: dates)",
    tag="rota",
    body=DaysIn,
    response=GeneratedOut,
    status=201,
)
async def generate(request: web.Request, *, body: DaysIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        template = await visible(
            session, staff_of(request), ShiftTemplate, path_id(request), "template"
        )
        first, end = body.days(los.clock.now().date(), los.clock.now().date())
        created = await shifts.generate_shifts(
            session, los.clock, template, first, end - timedelta(days=1)
        )
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
    return result


# --- shifts -----------------------------------------------------------------------------------
@endpoint(
    "POST",
    "/api/shifts",
    summary="A shift",
    tag="rota",
    body=ShiftIn,
    response=ShiftOut,
    status=201,
)
async def create_shift(request: web.Request, *, body: ShiftIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
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
    return result


class ShiftsPage(ApiModel):
    items: list[ShiftOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/shifts",
    summary="Shifts of your sites with their assignments (?from= inclusive, ?to= exclusive)",
    tag="rota",
    query=ShiftsQuery,
    response=ShiftsPage,
)
async def list_shifts(request: web.Request, *, query: ShiftsQuery) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        tz = await home_timezone(session, staff_of(request), los.rules.timezone)
        start, end = query.bounds(tz)
        found = await lists.shifts(
            session, staff_of(request), start=start, end=end, page=query.page()
        )
        return {
            "items": [shift_json(s, assignments) for s, assignments in found.items],
            "next": found.next,
            "total": found.total,
        }


@endpoint(
    "GET",
    "/api/shifts/{id}",
    summary="One shift with its assignments",
    tag="rota",
    response=ShiftOut,
)
async def get_shift(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        shift = await load_shift(session, staff_of(request), path_id(request))
        return shift_json(shift, await shifts.assignments_of(session, shift.id))


@endpoint(
    "PATCH",
    "/api/shifts/{id}",
    summary="Change a shift's title, places or time (the time only while nobody is asked)",
    tag="rota",
    body=ShiftPatch,
    response=ShiftOut,
)
async def patch_shift(request: web.Request, *, body: ShiftPatch, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, staff_of(request), path_id(request))
        site = await session.get(Site, shift.site_id)
        assert site is not None
        changed = await shifts.change_shift(
            session,
            los.clock,
            shift,
            title=body.title,
            starts_at=local_to_utc(body.starts_at, site.timezone) if body.starts_at else None,
            ends_at=local_to_utc(body.ends_at, site.timezone) if body.ends_at else None,
            needed=body.needed,
        )
        audit(
            session, los.clock, staff_of(request), "shift.update", "shift", shift.id, fields=changed
        )
        result = shift_json(shift, await shifts.assignments_of(session, shift.id))
    return result


@endpoint(
    "DELETE",
    "/api/shifts/{id}",
    summary="Call a shift off: offers withdrawn, volunteers who said yes are told",
    tag="rota",
    response=ShiftOut,
)
async def cancel_shift(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, staff_of(request), path_id(request))
        await staff.cancel_whole_shift(session, los.clock, shift.id)
        audit(session, los.clock, staff_of(request), "shift.cancel", "shift", shift.id)
        result = shift_json(shift, await shifts.assignments_of(session, shift.id))
    los.dispatcher.wake()
    return result


@endpoint(
    "POST",
    "/api/shifts/{id}/assign",
    summary="Put a volunteer on a shift by hand (confirmed at once)",
    tag="rota",
    body=AssignIn,
    response=ShiftOut,
)
async def assign(request: web.Request, *, body: AssignIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, staff_of(request), path_id(request))
        try:
            person = await load_person(session, staff_of(request), body.person_id)
        except NotFound:
            raise InputError({"person_id": "no such person"}) from None
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
    return result


@endpoint(
    "POST",
    "/api/shifts/{id}/call",
    summary="Ask every eligible volunteer at once for a shift's free place",
    tag="rota",
    response=AskedOut,
    status=202,
)
async def call(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        shift = await load_shift(session, staff_of(request), path_id(request))
        asked = await staff.start_call(session, los.clock, los.rules, shift.id)
        audit(session, los.clock, staff_of(request), "shift.call", "shift", shift.id, asked=asked)
    los.dispatcher.wake()
    return {"asked": asked}


@endpoint(
    "PATCH",
    "/api/shifts/{shift_id}/assignments/{id}",
    summary="A place on a shift: confirm, cancel (optionally find a replacement) or mark a no-show",
    tag="rota",
    body=AssignmentPatch,
    response=AssignmentOut,
)
async def patch_assignment(request: web.Request, *, body: AssignmentPatch, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        assignment = await load_assignment(session, staff_of(request), path_id(request))
        if assignment.shift_id != path_id(request, "shift_id"):
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
    return result


# --- the plan ---------------------------------------------------------------------------------
@endpoint(
    "POST",
    "/api/rota/plan",
    summary="Plan a period (from inclusive, to exclusive: dates) and send the offers",
    tag="rota",
    body=PlanIn,
    response=PlanOut,
)
async def plan(request: web.Request, *, body: PlanIn, query: object) -> Any:
    los = los_of(request)
    first, end = body.days(los.clock.now().date(), los.clock.now().date())
    if (end - first).days > 93:
        raise InputError({"to": "plan at most three months at a time"})
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
        result = await offers.plan_period(
            session,
            los.clock,
            los.rules,
            site,
            first,
            end - timedelta(days=1),
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
    return answer


# --- volunteers -------------------------------------------------------------------------------
@endpoint(
    "PUT",
    "/api/people/{id}/availability",
    summary="A volunteer's terms: weekdays, time window, monthly cap, away dates, qualifications",
    tag="rota",
    body=TermsIn,
    response=TermsOut,
)
async def put_terms(request: web.Request, *, body: TermsIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
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
    return result


@endpoint(
    "GET",
    "/api/people/{id}/availability",
    summary="A volunteer's terms",
    tag="rota",
    response=TermsOut,
)
async def get_terms(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        terms = await session.get(VolunteerTerms, person.id)
        if terms is None:
            raise NotFound("availability")
        return terms_json(terms)


@endpoint(
    "POST",
    "/api/people/{id}/calendar-token",
    summary="A new private calendar URL (the old one stops working)",
    tag="rota",
    response=CalendarTokenOut,
    status=201,
)
async def calendar_token(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        token = await calendar_feed.new_token(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.calendar_token", "person", person.id)
    url = f"{los.settings.base_url.rstrip('/')}/calendar/{token}.ics"
    return {"token": token, "url": url}


@endpoint(
    "DELETE",
    "/api/people/{id}/calendar-token",
    summary="Revoke the private calendar URL",
    tag="rota",
    response=RevokedOut,
)
async def revoke_calendar_token(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        revoked = await calendar_feed.revoke(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.calendar_revoke", "person", person.id)
    return {"revoked": revoked}


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
