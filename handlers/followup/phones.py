"""Shared phones (a hostel phone, up to four people) and people without any phone.

A text to a shared number begins with the person's first name or code word; an answer from it
that could be anyone's asks "Hvem svarer?" before it counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import Conflict, InputError
from storage.models import ContactPoint, Person, PhoneSharer

if TYPE_CHECKING:
    from handlers.context import Conversation

MAX_SHARERS = 4


async def sharers(session: AsyncSession, contact_id: int) -> list[tuple[PhoneSharer, Person]]:
    """Everyone on a shared number (empty when the number is nobody else's)."""
    rows = await session.execute(
        select(PhoneSharer, Person)
        .join(Person, Person.id == PhoneSharer.person_id)
        .where(PhoneSharer.contact_point_id == contact_id, Person.erased_at.is_(None))
        .order_by(PhoneSharer.id)
    )
    return [(sharer, person) for sharer, person in rows]


def call_name(sharer: PhoneSharer, person: Person) -> str:
    """What a text to a shared phone begins with: the code word, else the first name."""
    return sharer.code_word or person.first_name


async def shared_contact_of(
    session: AsyncSession, person: Person
) -> tuple[ContactPoint, str] | None:
    """A shared number this person is on (not one of their own), with the name to begin with."""
    row = (
        await session.execute(
            select(ContactPoint, PhoneSharer)
            .join(PhoneSharer, PhoneSharer.contact_point_id == ContactPoint.id)
            .where(PhoneSharer.person_id == person.id, ContactPoint.opted_out_at.is_(None))
            .order_by(PhoneSharer.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    contact, sharer = row
    return contact, call_name(sharer, person)


async def name_on(
    session: AsyncSession, contact: ContactPoint, person_id: int | None
) -> str | None:
    """The name a text to ``contact`` for ``person_id`` begins with, when the number is shared."""
    if person_id is None:
        return None
    row = (
        await session.execute(
            select(PhoneSharer, Person)
            .join(Person, Person.id == PhoneSharer.person_id)
            .where(PhoneSharer.contact_point_id == contact.id, PhoneSharer.person_id == person_id)
        )
    ).first()
    return call_name(row[0], row[1]) if row is not None else None


async def share(
    session: AsyncSession, person: Person, contact: ContactPoint, code_word: str | None
) -> PhoneSharer:
    """Put ``person`` on the number ``contact`` (someone else's), keeping the owner listed."""
    if contact.person_id == person.id:
        raise InputError({"phone": "this is already the person's own number"})
    taken = await session.scalar(
        select(func.count())
        .select_from(PhoneSharer)
        .where(PhoneSharer.contact_point_id == contact.id)
    )
    if not taken and contact.person_id is not None:
        session.add(PhoneSharer(contact_point_id=contact.id, person_id=contact.person_id))
        taken = 1
    existing = await session.scalar(
        select(PhoneSharer).where(
            PhoneSharer.contact_point_id == contact.id, PhoneSharer.person_id == person.id
        )
    )
    if existing is not None:
        existing.code_word = code_word
        return existing
    if (taken or 0) >= MAX_SHARERS:
        raise Conflict(
            f"at most {MAX_SHARERS} people can share a number", {"phone": "shared by too many"}
        )
    sharer = PhoneSharer(contact_point_id=contact.id, person_id=person.id, code_word=code_word)
    session.add(sharer)
    await session.flush()
    return sharer


async def reply_named(conv: Conversation, key: str, **values: object) -> None:
    """Answer with ``key``; on a shared phone it begins with the name of whom it is for."""
    text = conv.text(key, **values)
    name = await name_on(conv.session, conv.contact, conv.person.id if conv.person else None)
    await conv.reply_text(f"{name}: {text}" if name else text)
