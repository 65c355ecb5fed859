"""Appointments: register, list, change, record the outcome, cancel."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Id, Paging, Period, Text, Time, When, keep, local_to_utc
from handlers import appointments as rules
from handlers import lists
from handlers.access import can_see, home_timezone, visible
from handlers.errors import InputError
from storage.models import Appointment, Person, Site, StaffUser
from storage.models.states import AppointmentStatus


class AppointmentIn(ApiModel):
    person_id: Id
    starts_at: When
    ends_at: When | None = None
    title: Text | None = Field(None, max_length=120)
    location: Text | None = Field(None, max_length=200)
    companion_id: Id | None = None
    reminders_minutes_before: list[int] | None = Field(None, max_length=10)


class AppointmentPatch(ApiModel):
    """Fields left out stay; ``starts_at``, ``title``, reminders and ``status`` cannot be null."""

    starts_at: When = keep()
    ends_at: When | None = None
    title: Text = keep(max_length=120)
    location: Text | None = Field(None, max_length=200)
    companion_id: Id | None = None
    reminders_minutes_before: list[int] = keep(max_length=10)
    status: AppointmentStatus = keep()


class AppointmentsQuery(Period, Paging):
    person_id: Id | None = None
    status: AppointmentStatus | None = None


class AppointmentOut(ApiModel):
    id: int
    site_id: int
    person_id: int
    companion_id: int | None
    starts_at: Time
    ends_at: Time | None
    title: str
    location: str | None
    reminders_minutes_before: list[int]
    status: AppointmentStatus
    created_at: Time
    updated_at: Time
    confirmed_at: Time | None
    declined_at: Time | None
    outcome_at: Time | None

    @classmethod
    def of(cls, a: Appointment) -> AppointmentOut:
        return cls(
            id=a.id,
            site_id=a.site_id,
            person_id=a.person_id,
            companion_id=a.companion_id,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            title=a.title,
            location=a.location,
            reminders_minutes_before=list(a.reminders_minutes_before),
            status=AppointmentStatus(a.status),
            created_at=a.created_at,
            updated_at=a.updated_at,
            confirmed_at=a.confirmed_at,
            declined_at=a.declined_at,
            outcome_at=a.outcome_at,
        )


async def site_timezone(session: AsyncSession, site_id: int) -> str:
    site = await session.get(Site, site_id)
    return site.timezone if site else "Europe/Oslo"


async def participant(session: AsyncSession, staff: StaffUser, person_id: int) -> Person:
    person = await rules.load_participant(session, person_id)
    if not can_see(staff, person.site_id):
        raise InputError({"person_id": "no such person"})
    return person


async def companion_of(
    session: AsyncSession, staff: StaffUser, companion_id: int | None, person_id: int
) -> Person | None:
    """The escort, who must be of the user's sites too."""
    companion = await rules.load_companion(session, companion_id, person_id)
    if companion is not None and not can_see(staff, companion.site_id):
        raise InputError({"companion_id": "no such person"})
    return companion


@endpoint(
    "POST",
    "/api/appointments",
    summary="Register an appointment; its reminders are queued at once",
    tag="appointments",
    body=AppointmentIn,
    response=AppointmentOut,
    status=201,
)
async def create(request: web.Request, *, body: AppointmentIn, query: object) -> AppointmentOut:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        person = await participant(session, staff, body.person_id)
        companion = await companion_of(session, staff, body.companion_id, person.id)
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
            staff,
            "appointment.create",
            "appointment",
            appointment.id,
            person_id=person.id,
        )
        result = AppointmentOut.of(appointment)
    los.dispatcher.wake()
    return result


class AppointmentsPage(ApiModel):
    items: list[AppointmentOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/appointments",
    summary="Appointments of your sites, soonest first (?person_id=&from=&to=&status=)",
    tag="appointments",
    query=AppointmentsQuery,
    response=AppointmentsPage,
)
async def list_appointments(request: web.Request, *, query: AppointmentsQuery) -> AppointmentsPage:
    los = los_of(request)
    async with los.sessions() as session:
        tz = await home_timezone(session, staff_of(request), los.rules.timezone)
        start, end = query.bounds(tz)
        found = await lists.appointments(
            session,
            staff_of(request),
            person_id=query.person_id,
            start=start,
            end=end,
            status=query.status,
            page=query.page(),
        )
        return AppointmentsPage(
            items=[AppointmentOut.of(a) for a in found.items], next=found.next, total=found.total
        )


async def load(session: AsyncSession, staff: StaffUser, appointment_id: int) -> Appointment:
    return await visible(session, staff, Appointment, appointment_id, "appointment")


@endpoint(
    "GET",
    "/api/appointments/{id}",
    summary="One appointment",
    tag="appointments",
    response=AppointmentOut,
)
async def get(request: web.Request, *, query: object) -> AppointmentOut:
    async with los_of(request).sessions() as session:
        return AppointmentOut.of(await load(session, staff_of(request), path_id(request)))


@endpoint(
    "PATCH",
    "/api/appointments/{id}",
    summary="Change an appointment or record its outcome ({status: attended|missed})",
    tag="appointments",
    body=AppointmentPatch,
    response=AppointmentOut,
)
async def patch(request: web.Request, *, body: AppointmentPatch, query: object) -> AppointmentOut:
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        appointment = await load(session, staff_of(request), path_id(request))
        timezone = await site_timezone(session, appointment.site_id)
        given: dict[str, Any] = {}
        if "starts_at" in changed:
            given["starts_at"] = local_to_utc(body.starts_at, timezone)
        if "ends_at" in changed:
            given["ends_at"] = local_to_utc(body.ends_at, timezone) if body.ends_at else None
        if "companion_id" in changed:
            given["companion"] = await companion_of(
                session, staff_of(request), body.companion_id, appointment.person_id
            )
        for name in ("title", "location", "reminders_minutes_before"):
            if name in changed:
                given[name] = getattr(body, name)
        await rules.edit(session, los.clock, los.rules, appointment, **given)
        if "status" in changed:
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
        result = AppointmentOut.of(appointment)
    los.dispatcher.wake()  # a notice may be due now
    return result


@endpoint(
    "DELETE",
    "/api/appointments/{id}",
    summary="Cancel an appointment: reminders withdrawn, one notice sent",
    tag="appointments",
    response=AppointmentOut,
)
async def cancel(request: web.Request, *, query: object) -> AppointmentOut:
    los = los_of(request)
    async with los.sessions.begin() as session:
        appointment = await load(session, staff_of(request), path_id(request))
        await rules.cancel_appointment(session, los.clock, los.rules, appointment)
        audit(
            session,
            los.clock,
            staff_of(request),
            "appointment.cancel",
            "appointment",
            appointment.id,
        )
        result = AppointmentOut.of(appointment)
    los.dispatcher.wake()  # a notice may be due now
    return result
