"""People: register, change, erase, invite to Telegram, and read their conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import (
    endpoint,
    json_response,
    local_to_utc,
    los_of,
    path_id,
    read_body,
    require_admin,
    staff_of,
)
from handlers import people as rules
from handlers.attachments import attachments_of, message_content
from handlers.errors import InputError, NotFound
from handlers.linking import new_invite
from handlers.sites import site_or_default
from storage.models import Message, Person, PersonRole, Site

Role = Literal["participant", "volunteer", "staff"]
Language = Literal["nb", "en"]


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    phone: str | None = None
    language: Language = "nb"
    site_id: int | None = None
    contact_staff_id: int | None = None


class PersonPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    phone: str | None = None
    language: Language | None = None
    status: Literal["active", "paused"] | None = None
    paused_until: datetime | None = None
    contact_staff_id: int | None = None


def person_json(person: Person) -> dict[str, Any]:
    sms = next((c for c in person.contacts if c.channel == "sms"), None)
    telegram = next((c for c in person.contacts if c.channel == "telegram"), None)
    return {
        "id": person.id,
        "site_id": person.site_id,
        "name": person.name,
        "roles": person.role_names,
        "phone": sms.address if sms else None,
        "telegram_linked": telegram is not None,
        "opted_out": any(c.opted_out_at is not None for c in person.contacts),
        "language": person.language,
        "status": person.status,
        "paused_until": person.paused_until.isoformat() if person.paused_until else None,
        "contact_staff_id": person.contact_staff_id,
        "erased": person.erased_at is not None,
        "created_at": person.created_at.isoformat(),
    }


async def load_person(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person")
    return person


async def check_contact_staff(session: AsyncSession, staff_id: int | None) -> None:
    if staff_id is None:
        return
    found = await session.scalar(
        select(PersonRole).where(PersonRole.person_id == staff_id, PersonRole.role == "staff")
    )
    if found is None:
        raise InputError({"contact_staff_id": "no person with the staff role has this id"})


@endpoint(
    "POST", "/api/people", summary="Register a person", tag="people", body=PersonIn, status=201
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, PersonIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_or_default(session, body.site_id)
        await check_contact_staff(session, body.contact_staff_id)
        person = await rules.create_person(
            session,
            los.clock,
            site_id=site.id,
            name=body.name,
            roles=body.roles,
            phone=body.phone,
            language=body.language,
        )
        person.contact_staff_id = body.contact_staff_id
        audit(session, los.clock, staff_of(request), "person.create", "person", person.id)
        result = person_json(person)
    return json_response(result, 201)


@endpoint(
    "GET",
    "/api/people",
    summary="List people (?role=, ?status=active|paused: who is paused and until when)",
    tag="people",
)
async def list_people(request: web.Request) -> web.Response:
    query = select(Person).where(Person.erased_at.is_(None)).order_by(Person.id)
    role = request.query.get("role")
    if role:
        query = query.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role))
        )
    status = request.query.get("status")
    if status:
        if status not in ("active", "paused"):
            raise InputError({"status": "use active or paused"})
        query = query.where(Person.status == status)
    async with los_of(request).sessions() as session:
        people = list(await session.scalars(query))
        return json_response([person_json(p) for p in people])


@endpoint("GET", "/api/people/{id}", summary="One person", tag="people")
async def get(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        person = await load_person(session, path_id(request))
        return json_response(person_json(person))


@endpoint("PATCH", "/api/people/{id}", summary="Change a person", tag="people", body=PersonPatch)
async def patch(request: web.Request) -> web.Response:
    body = await read_body(request, PersonPatch)
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        site = await session.get(Site, person.site_id)
        assert site is not None
        if body.name is not None:
            person.name = body.name.strip()
        if body.roles is not None:
            await rules.set_roles(session, person, body.roles)
        if "phone" in changed:
            await rules.set_phone(session, los.clock, person, body.phone)
        if body.language is not None:
            person.language = body.language
        if body.status is not None:
            person.status = body.status
            if body.status == "active":
                person.paused_until = None
        if "paused_until" in changed:
            person.paused_until = (
                local_to_utc(body.paused_until, site.timezone) if body.paused_until else None
            )
        if "contact_staff_id" in changed:
            await check_contact_staff(session, body.contact_staff_id)
            person.contact_staff_id = body.contact_staff_id
        audit(
            session,
            los.clock,
            staff_of(request),
            "person.update",
            "person",
            person.id,
            fields=sorted(changed),
        )
        await session.flush()
        await session.refresh(person, ["contacts", "roles"])
        result = person_json(person)
    return json_response(result)


@endpoint("DELETE", "/api/people/{id}", summary="Erase a person's personal data", tag="people")
async def erase(request: web.Request) -> web.Response:
    staff = require_admin(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        await rules.erase(session, los.clock, los.rules, person)
        audit(session, los.clock, staff, "person.erase", "person", person.id)
    return json_response({"id": person.id, "erased": True})


@endpoint(
    "POST",
    "/api/people/{id}/invite",
    summary="A code to link a Telegram chat",
    tag="people",
    status=201,
)
async def invite(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        code = await new_invite(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.invite", "person", person.id)
        result: dict[str, str | None] = {
            "code": code.code,
            "expires_at": code.expires_at.isoformat(),
        }
    username = await los.telegram_username()
    result["telegram_link"] = f"https://t.me/{username}?start={code.code}" if username else None
    return json_response(result, 201)


@endpoint(
    "GET", "/api/people/{id}/messages", summary="The conversation, oldest first", tag="people"
)
async def messages(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, path_id(request))
        rows = await session.scalars(
            select(Message)
            .where(Message.person_id == person.id)
            .order_by(Message.created_at, Message.id)
        )
        found = list(rows)
        attached = await attachments_of(session, (m.id for m in found))
        result = [
            {
                "id": m.id,
                "direction": m.direction,
                "text": m.text,
                **message_content(m, attached.get(m.id, [])),
                "status": m.status,
                "channel": m.channel,
                "at": (m.sent_at or m.send_after or m.created_at).isoformat()
                if m.direction == "out"
                else m.created_at.isoformat(),
            }
            for m in found
        ]
        audit(session, los.clock, staff_of(request), "person.read_messages", "person", person.id)
    return json_response(result)
