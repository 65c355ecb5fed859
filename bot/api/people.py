"""People: register, list, change, erase, invite to Telegram, and read their conversation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import (
    ApiModel,
    ContentOut,
    Day,
    Id,
    Paging,
    Text,
    Time,
    When,
    keep,
    local_to_utc,
)
from handlers import lists, voice
from handlers import people as rules
from handlers.access import can_see, require_visible, site_for
from handlers.attachments import attachments_of, message_content
from handlers.errors import InputError, NotFound
from handlers.linking import new_invite
from storage.db import checkpoint
from storage.models import Person, PersonRole, Site, StaffUser
from storage.models.states import (
    Direction,
    IntakeOutcome,
    Language,
    MessageStatus,
    PersonRoleName,
    PersonStatus,
    RemindersBy,
)

if TYPE_CHECKING:
    from bot.service import Los

Gender = Literal["woman", "man", "other"]
# The optional fields the yearly report counts by; null or left out is "not recorded".
REPORT_FIELDS = ("gender", "municipality", "intake_outcome", "intake_on")


class ReportFields(ApiModel):
    gender: Gender | None = None
    municipality: Text | None = Field(None, min_length=1, max_length=80)
    intake_outcome: IntakeOutcome | None = None
    intake_on: Day | None = None


class PersonIn(ReportFields):
    name: Text = Field(min_length=1, max_length=200)
    roles: list[PersonRoleName] = Field(min_length=1, max_length=3)
    phone: Text | None = Field(None, max_length=40)
    language: Language = Language.NB
    # sms: texts; call: a phone call reads reminders and check-ins aloud; both: the two.
    reminders_by: RemindersBy = RemindersBy.SMS
    site_id: Id | None = None
    contact_staff_id: Id | None = None


class PersonPatch(ReportFields):
    """Fields left out stay as they are; ``null`` clears only the fields that may be empty."""

    name: Text = keep(min_length=1, max_length=200)
    roles: list[PersonRoleName] = keep(min_length=1, max_length=3)
    phone: Text | None = Field(None, max_length=40)
    language: Language = keep()
    reminders_by: RemindersBy = keep()
    status: PersonStatus = keep()
    paused_until: When | None = None
    contact_staff_id: Id | None = None


class PeopleQuery(Paging):
    role: PersonRoleName | None = None
    status: PersonStatus | None = None


class PersonOut(ApiModel):
    id: int
    site_id: int
    name: str | None
    roles: list[PersonRoleName]
    phone: str | None
    telegram_linked: bool
    opted_out: bool
    language: Language
    reminders_by: RemindersBy
    status: PersonStatus
    paused_until: Time | None
    contact_staff_id: int | None
    erased: bool
    created_at: Time
    gender: Gender | None = None
    municipality: str | None = None
    intake_outcome: IntakeOutcome | None = None
    intake_on: Day | None = None

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        sms = next((c for c in person.contacts if c.channel == "sms"), None)
        telegram = next((c for c in person.contacts if c.channel == "telegram"), None)
        return cls(
            id=person.id,
            site_id=person.site_id,
            name=person.name,
            roles=[PersonRoleName(r) for r in person.role_names],
            phone=sms.address if sms else None,
            telegram_linked=telegram is not None,
            opted_out=any(c.opted_out_at is not None for c in person.contacts),
            language=Language(person.language),
            reminders_by=RemindersBy(person.reminders_by),
            status=PersonStatus(person.status),
            paused_until=person.paused_until,
            contact_staff_id=person.contact_staff_id,
            erased=person.erased_at is not None,
            created_at=person.created_at,
            **{name: getattr(person, name) for name in REPORT_FIELDS},
        )


class PeoplePage(ApiModel):
    items: list[PersonOut]
    next: str | None
    total: int | None = None


class ErasedOut(ApiModel):
    id: int
    erased: bool


class InviteOut(ApiModel):
    code: str
    expires_at: Time
    telegram_link: str | None


class MessageOut(ContentOut):
    id: int
    direction: Direction
    text: str | None
    status: MessageStatus
    channel: str
    at: Time


class MessagesPage(ApiModel):
    items: list[MessageOut]
    next: str | None
    total: int | None = None


async def load_person(session: AsyncSession, staff: StaffUser, person_id: int) -> Person:
    """A person this staff user may see; 404 for an unknown, erased or other site's person."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person")
    require_visible(staff, person.site_id, "person")
    return person


async def check_contact_staff(session: AsyncSession, user: StaffUser, staff_id: int | None) -> None:
    """The contact must be a person with the staff role, of the user's sites."""
    if staff_id is None:
        return
    found = await session.scalar(
        select(Person.site_id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(Person.id == staff_id, PersonRole.role == "staff", Person.erased_at.is_(None))
    )
    if found is None or not can_see(user, found):
        raise InputError({"contact_staff_id": "no person with the staff role has this id"})


@endpoint(
    "POST",
    "/api/people",
    summary="Register a person",
    tag="people",
    body=PersonIn,
    response=PersonOut,
    status=201,
)
async def create(request: web.Request, *, body: PersonIn, query: object) -> PersonOut:
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
        await check_contact_staff(session, staff_of(request), body.contact_staff_id)
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
        check_calls(los, body.reminders_by)
        person.reminders_by = body.reminders_by
        for name in REPORT_FIELDS:
            setattr(person, name, getattr(body, name))
        audit(session, los.clock, staff_of(request), "person.create", "person", person.id)
        return PersonOut.of(person)


@endpoint(
    "GET",
    "/api/people",
    summary="People of your sites (?role=, ?status=active|paused)",
    tag="people",
    query=PeopleQuery,
    response=PeoplePage,
)
async def list_people(request: web.Request, *, query: PeopleQuery) -> PeoplePage:
    async with los_of(request).sessions() as session:
        found = await lists.people(
            session, staff_of(request), role=query.role, status=query.status, page=query.page()
        )
        return PeoplePage(
            items=[PersonOut.of(p) for p in found.items], next=found.next, total=found.total
        )


def check_calls(los: Los, reminders_by: RemindersBy) -> None:
    """A call needs the voice channel (Twilio with a caller number): else 422, not silence."""
    if reminders_by != RemindersBy.SMS and los.channel(voice.CHANNEL) is None:
        raise InputError({"reminders_by": "calls are off: Twilio needs a caller number"})


@endpoint("GET", "/api/people/{id}", summary="One person", tag="people", response=PersonOut)
async def get(request: web.Request, *, query: object) -> PersonOut:
    async with los_of(request).sessions() as session:
        return PersonOut.of(await load_person(session, staff_of(request), path_id(request)))


@endpoint(
    "PATCH",
    "/api/people/{id}",
    summary="Change a person",
    tag="people",
    body=PersonPatch,
    response=PersonOut,
)
async def patch(request: web.Request, *, body: PersonPatch, query: object) -> PersonOut:
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        site = await session.get(Site, person.site_id)
        assert site is not None
        if "name" in changed:
            person.name = body.name.strip()
        if "roles" in changed:
            await rules.set_roles(session, person, body.roles)
        if "phone" in changed:
            await rules.set_phone(session, los.clock, person, body.phone)
        if "language" in changed:
            person.language = body.language
        if "reminders_by" in changed:
            check_calls(los, body.reminders_by)
            person.reminders_by = body.reminders_by
        if "status" in changed:
            person.status = body.status
            if body.status == PersonStatus.ACTIVE:
                person.paused_until = None
        if "paused_until" in changed:
            person.paused_until = (
                local_to_utc(body.paused_until, site.timezone) if body.paused_until else None
            )
        if "contact_staff_id" in changed:
            await check_contact_staff(session, staff_of(request), body.contact_staff_id)
            person.contact_staff_id = body.contact_staff_id
        for name in REPORT_FIELDS:
            if name in changed:
                setattr(person, name, getattr(body, name))
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
        return PersonOut.of(person)


@endpoint(
    "DELETE",
    "/api/people/{id}",
    summary="Erase a person's personal data and every text from or to their numbers (admin)",
    tag="people",
    response=ErasedOut,
    admin=True,
)
async def erase(request: web.Request, *, query: object) -> ErasedOut:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff, path_id(request))
        await rules.erase(session, los.clock, los.rules, person)
        audit(session, los.clock, staff, "person.erase", "person", person.id)
    await checkpoint(los.engine)  # the erased texts leave SQLite's -wal file too
    return ErasedOut(id=person.id, erased=True)


@endpoint(
    "POST",
    "/api/people/{id}/invite",
    summary="A code to link a Telegram chat",
    tag="people",
    response=InviteOut,
    status=201,
)
async def invite(request: web.Request, *, query: object) -> InviteOut:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        code = await new_invite(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.invite", "person", person.id)
    username = await los.telegram_username()
    return InviteOut(
        code=code.code,
        expires_at=code.expires_at,
        telegram_link=f"https://t.me/{username}?start={code.code}" if username else None,
    )


def _at(direction: str, sent: datetime | None, due: datetime | None, made: datetime) -> datetime:
    return (sent or due or made) if direction == "out" else made


@endpoint(
    "GET",
    "/api/people/{id}/messages",
    summary="The conversation, oldest first",
    tag="people",
    query=Paging,
    response=MessagesPage,
)
async def messages(request: web.Request, *, query: Paging) -> MessagesPage:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        page = await lists.messages_of(session, person, query.page())
        found = page.items
        attached = await attachments_of(session, (m.id for m in found))
        result = [
            MessageOut(
                id=m.id,
                direction=Direction(m.direction),
                text=m.text,
                status=MessageStatus(m.status),
                channel=m.channel,
                at=_at(m.direction, m.sent_at, m.send_after, m.created_at),
                **message_content(m, attached.get(m.id, [])),  # type: ignore[arg-type]
            )
            for m in found
        ]
        audit(session, los.clock, staff_of(request), "person.read_messages", "person", person.id)
    return MessagesPage(items=result, next=page.next, total=page.total)
