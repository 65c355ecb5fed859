"""Registering, changing and erasing people."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import thread_figures
from handlers.clock import Clock
from handlers.context import Rules
from handlers.errors import Conflict, InputError
from handlers.inbox_threads import erase_notes
from handlers.phones import normalise_phone
from storage.loading import load
from storage.models import (
    ContactPoint,
    InboxItem,
    InviteCode,
    Message,
    OpenQuestion,
    Person,
    PersonRole,
)
from storage.models.people import LANGUAGES, ROLES


def check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise InputError({"roles": "give at least one role"})
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InputError({"roles": f"unknown role {unknown[0]!r}; use {', '.join(ROLES)}"})
    return roles


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InputError({"language": f"use one of {', '.join(LANGUAGES)}"})
    return language


async def set_phone(session: AsyncSession, clock: Clock, person: Person, raw: str | None) -> None:
    """Give ``person`` this SMS number (None removes it). 409 if someone else has it."""
    await load(session, person, "contacts")
    current = [c for c in person.contacts if c.channel == "sms"]
    if raw is None:
        left = await thread_figures.left_by(session, [c.id for c in current])
        for contact in current:
            await session.delete(contact)
        await session.flush()
        await thread_figures.recount_all(session, left)
        return
    try:
        phone = normalise_phone(raw)
    except ValueError as exc:
        raise InputError({"phone": str(exc)}) from exc
    if any(c.address == phone for c in current):
        return
    existing = await session.scalar(
        select(ContactPoint).where(ContactPoint.channel == "sms", ContactPoint.address == phone)
    )
    if existing is not None and existing.person_id not in (None, person.id):
        raise Conflict("phone number in use", {"phone": "already registered to someone else"})
    now = clock.now()
    if existing is None:
        existing = ContactPoint(channel="sms", address=phone, created_at=now)
        session.add(existing)
    # An earlier STOPP from this number is kept: registering is not consent to be texted again.
    existing.person_id = person.id
    existing.consent_at = now
    existing.consent_source = "staff_registration"
    await session.flush()
    if current:
        # Texts queued for the old number (next week's reminder) follow the person.
        await session.execute(
            update(Message)
            .where(
                Message.status == "queued",
                Message.contact_point_id.in_([c.id for c in current]),
            )
            .values(contact_point_id=existing.id, address=phone)
        )
    # Items from an old number that were never the person's become threads of their own.
    left = await thread_figures.left_by(session, [c.id for c in current])
    for contact in current:
        await session.delete(contact)
    await session.flush()
    await thread_figures.recount_all(session, left)
    await session.refresh(person, ["contacts"])


async def create_person(
    session: AsyncSession,
    clock: Clock,
    *,
    site_id: int,
    name: str,
    roles: Iterable[str],
    phone: str | None = None,
    language: str = "nb",
) -> Person:
    name = name.strip()
    if not name:
        raise InputError({"name": "must not be empty"})
    person = Person(
        site_id=site_id,
        name=name,
        language=check_language(language),
        status="active",
        created_at=clock.now(),
        roles=[PersonRole(role=r) for r in check_roles(roles)],
        contacts=[],
    )
    session.add(person)
    await session.flush()
    if phone:
        await set_phone(session, clock, person, phone)
    return person


async def set_roles(session: AsyncSession, person: Person, roles: Iterable[str]) -> None:
    wanted = check_roles(roles)
    await load(session, person, "roles")
    person.roles = [r for r in person.roles if r.role in wanted] + [
        PersonRole(role=r) for r in wanted if r not in person.role_names
    ]
    await session.flush()


async def _erase_unlinked(session: AsyncSession, clock: Clock, person: Person) -> None:
    """Texts from or to the person's numbers and chats that were never linked to them (written
    before they were registered): blanked like their own, and their inbox items with them."""
    await session.refresh(person, ["contacts"])
    contacts = list(person.contacts)
    if not contacts:
        return
    by_address = or_(
        *(and_(Message.channel == c.channel, Message.address == c.address) for c in contacts),
        Message.contact_point_id.in_([c.id for c in contacts]),
    )
    contact_ids = [c.id for c in contacts]
    # The inbox first: its items are found through the texts before those lose their address.
    theirs = or_(
        InboxItem.message_id.in_(select(Message.id).where(by_address)),
        InboxItem.contact_point_id.in_(contact_ids),
    )
    touched = await thread_figures.keys_where(session, theirs)
    await session.execute(
        update(InboxItem)
        .where(theirs)
        .values(summary=None, status="resolved", resolved_at=clock.now())
    )
    await thread_figures.recount_all(session, touched)
    await session.execute(
        update(Message).where(by_address, Message.status == "queued").values(status="cancelled")
    )
    await session.execute(update(Message).where(by_address).values(text=None, address=None))


async def erase(session: AsyncSession, clock: Clock, rules: Rules, person: Person) -> None:
    """Erase what identifies a person or what they said; counts for reports stay.

    Name, addresses, invite codes, message texts and inbox texts go, also those from or to the
    person's numbers and chats before they were registered; queued texts are cancelled. The
    phone number can be registered again at once.
    """
    from handlers.features import ERASERS  # features import this module

    for eraser in ERASERS:
        await eraser(session, clock, rules, person)
    await _erase_unlinked(session, clock, person)
    await session.execute(
        update(Message)
        .where(Message.person_id == person.id, Message.status == "queued")
        .values(status="cancelled")
    )
    await session.execute(
        update(Message).where(Message.person_id == person.id).values(text=None, address=None)
    )
    await session.execute(
        update(InboxItem)
        .where(InboxItem.person_id == person.id)
        .values(summary=None, status="resolved", resolved_at=clock.now())
    )
    await thread_figures.recount(session, thread_figures.ThreadKey("p", person.id))
    await session.execute(
        update(OpenQuestion)
        .where(OpenQuestion.person_id == person.id, OpenQuestion.status == "open")
        .values(status="closed", label=None)
    )
    await session.execute(
        update(OpenQuestion).where(OpenQuestion.person_id == person.id).values(label=None)
    )
    await erase_notes(session, person.id)
    await session.execute(delete(InviteCode).where(InviteCode.person_id == person.id))
    # Items from their numbers that were never linked to them become threads of their own.
    contact_ids = list(
        await session.scalars(select(ContactPoint.id).where(ContactPoint.person_id == person.id))
    )
    left = await thread_figures.left_by(session, contact_ids)
    await session.execute(delete(ContactPoint).where(ContactPoint.person_id == person.id))
    await thread_figures.recount_all(session, left)
    person.name = None
    person.erased_at = clock.now()
    person.status = "active"
    person.paused_until = None
    await session.flush()
    session.expire(person, ["contacts"])
