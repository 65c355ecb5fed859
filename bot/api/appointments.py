"""Appointments: register, list, change, record the outcome, cancel."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.middleware import audit
from bot.api.registry import (
    endpoint,
    json_response,
    local_to_utc,
    los_of,
    path_id,
    query_id,
    read_body,
    staff_of,
)
from handlers import appointments as rules
from handlers.errors import InputError, NotFound
from handlers.sites import default_site
from storage.models import Appointment, Site
from storage.models.appointments import APPOINTMENT_STATUSES

Status = Literal["scheduled", "confirmed", "declined", "cancelled", "attended", "missed"]


class AppointmentIn(BaseModel):
    person_id: int
    starts_at: datetime
    ends_at: datetime | None = None
    title: str | None = Field(None, max_length=120)
    location: str | None = Field(None, max_length=200)
    companion_id: int | None = None
    reminders_minutes_before: list[int] | None = None


class AppointmentPatch(BaseModel):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    title: str | None = Field(None, max_length=120)
    location: str | None = Field(None, max_length=200)
    companion_id: int | None = None
    reminders_minutes_before: list[int] | None = None
    status: Status | None = None


def appointment_json(appointment: Appointment, timezone: str) -> dict[str, Any]:
    tz = ZoneInfo(timezone)

    def at(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": appointment.id,
        "site_id": appointment.site_id,
        "person_id": appointment.person_id,
        "companion_id": appointment.companion_id,
        "starts_at": appointment.starts_at.isoformat(),
        "starts_at_local": appointment.starts_at.astimezone(tz).isoformat(),
        "ends_at": at(appointment.ends_at),
        "title": appointment.title,
        "location": appointment.location,
        "reminders_minutes_before": list(appointment.reminders_minutes_before),
        "status": appointment.status,
        "created_at": appointment.created_at.isoformat(),
        "updated_at": appointment.updated_at.isoformat(),
        "confirmed_at": at(appointment.confirmed_at),
        "declined_at": at(appointment.declined_at),
        "outcome_at": at(appointment.outcome_at),
    }


async def site_timezone(session: Any, site_id: int) -> str:
    site = await session.get(Site, site_id)
    return site.timezone if site else "Europe/Oslo"


@endpoint(
    "POST",
    "/api/appointments",
    summary="Register an appointment; its reminders are queued at once",
    tag="appointments",
    body=AppointmentIn,
    status=201,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, AppointmentIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await rules.load_participant(session, body.person_id)
        companion = await rules.load_companion(session, body.companion_id, person.id)
        timezone = await site_timezone(session, person.site_id)
        appointment = await rules.create(
            session,
            los.clock,
            los.rules,
            person=person,
            starts_at=local_to_utc(body.starts_at, timezone),
            ends_at=local_to_utc(body.ends_at, timezone) if body.ends_at else None,
            title=body.title,
            location=body.location,
            companion=companion,
            reminders_minutes_before=body.reminders_minutes_before,
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "appointment.create",
            "appointment",
            appointment.id,
            person_id=person.id,
        )
        result = appointment_json(appointment, timezone)
    los.dispatcher.wake()
    return json_response(result, 201)


def query_time(request: web.Request, name: str, timezone: str, *, end: bool) -> datetime | None:
    """A date (``to`` includes the whole day) or a date and time; no offset means local."""
    raw = request.query.get(name)
    if not raw:
        return None
    tz = ZoneInfo(timezone)
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), tzinfo=tz).astimezone(ZoneInfo("UTC"))
        return local_to_utc(datetime.fromisoformat(raw), timezone)
    except ValueError:
        raise InputError({name: "use YYYY-MM-DD or an ISO 8601 time"}) from None


@endpoint(
    "GET",
    "/api/appointments",
    summary="Appointments, soonest first (?person_id=&from=&to=&status=)",
    tag="appointments",
)
async def list_appointments(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions() as session:
        site = await default_site(session)
        timezone = site.timezone if site else los.rules.timezone
        query = select(Appointment).order_by(Appointment.starts_at, Appointment.id)
        person_id = query_id(request, "person_id")
        if person_id is not None:
            query = query.where(Appointment.person_id == person_id)
        start = query_time(request, "from", timezone, end=False)
        if start is not None:
            query = query.where(Appointment.starts_at >= start)
        end = query_time(request, "to", timezone, end=True)
        if end is not None:
            query = query.where(Appointment.starts_at < end)
        if start is not None and end is not None and end < start:
            raise InputError({"to": "must not be before from"})
        status = request.query.get("status")
        if status:
            if status not in APPOINTMENT_STATUSES:
                raise InputError({"status": f"use one of {', '.join(APPOINTMENT_STATUSES)}"})
            query = query.where(Appointment.status == status)
        rows = list(await session.scalars(query.limit(1000)))
        zones: dict[int, str] = {}
        result = []
        for row in rows:
            if row.site_id not in zones:
                zones[row.site_id] = await site_timezone(session, row.site_id)
            result.append(appointment_json(row, zones[row.site_id]))
    return json_response(result)


async def load(session: Any, appointment_id: int) -> Appointment:
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("appointment")
    return appointment


@endpoint("GET", "/api/appointments/{id}", summary="One appointment", tag="appointments")
async def get(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        appointment = await load(session, path_id(request))
        timezone = await site_timezone(session, appointment.site_id)
        return json_response(appointment_json(appointment, timezone))


@endpoint(
    "PATCH",
    "/api/appointments/{id}",
    summary="Change an appointment or record its outcome ({status: attended|missed})",
    tag="appointments",
    body=AppointmentPatch,
)
async def patch(request: web.Request) -> web.Response:
    body = await read_body(request, AppointmentPatch)
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        appointment = await load(session, path_id(request))
        timezone = await site_timezone(session, appointment.site_id)
        old = (appointment.starts_at, appointment.location, appointment.companion_id)
        for name in ("starts_at", "title", "reminders_minutes_before"):
            if name in changed and getattr(body, name) is None:
                raise InputError({name: "must not be null"})
        starts_at = (
            local_to_utc(body.starts_at, timezone) if body.starts_at else appointment.starts_at
        )
        ends_at = appointment.ends_at
        if "ends_at" in changed:
            ends_at = local_to_utc(body.ends_at, timezone) if body.ends_at else None
        rules.check_times(
            los.clock, starts_at, ends_at, start_changed=starts_at != appointment.starts_at
        )
        if "companion_id" in changed:
            await rules.load_companion(session, body.companion_id, appointment.person_id)
        if body.reminders_minutes_before is not None:
            appointment.reminders_minutes_before = rules.check_reminders(
                body.reminders_minutes_before
            )
        appointment.starts_at = starts_at
        appointment.ends_at = ends_at
        if body.title is not None:
            appointment.title = body.title.strip() or rules.DEFAULT_TITLE
        if "location" in changed:
            appointment.location = (body.location or "").strip() or None
        if "companion_id" in changed:
            appointment.companion_id = body.companion_id
        details = changed - {"status"}
        if details:
            await rules.change(
                session,
                los.clock,
                los.rules,
                appointment,
                old_starts_at=old[0],
                old_location=old[1],
                old_companion_id=old[2],
            )
        if body.status is not None:
            await rules.set_status(session, los.clock, los.rules, appointment, body.status)
        audit(
            session,
            los.clock,
            staff_of(request),
            "appointment.update",
            "appointment",
            appointment.id,
            fields=sorted(changed),
            status=body.status,
        )
        result = appointment_json(appointment, timezone)
    los.dispatcher.wake()  # a notice may be due now
    return json_response(result)


@endpoint(
    "DELETE",
    "/api/appointments/{id}",
    summary="Cancel an appointment: reminders withdrawn, one notice sent",
    tag="appointments",
)
async def cancel(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        appointment = await load(session, path_id(request))
        timezone = await site_timezone(session, appointment.site_id)
        await rules.cancel_appointment(session, los.clock, los.rules, appointment)
        audit(
            session,
            los.clock,
            staff_of(request),
            "appointment.cancel",
            "appointment",
            appointment.id,
        )
        result = appointment_json(appointment, timezone)
    los.dispatcher.wake()  # a notice may be due now
    return json_response(result)
