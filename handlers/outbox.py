"""Queueing outgoing texts: the only way anything leaves Los.

A queued row is written in the caller's transaction, so a change and the text it causes commit
together. Idempotency keys make a second attempt to queue the same text (a rerun job, a
replayed webhook) a no-op.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import voice
from handlers.clock import Clock
from handlers.followup import phones
from storage.db import insert_for
from storage.loading import load
from storage.models import ContactPoint, Message, Person
from storage.models.messages import (
    PRIORITY_ANSWER,
    PRIORITY_BULK,
    PRIORITY_CRISIS,
    PRIORITY_ROUTINE,
)

CHANNEL_PREFERENCE = {"telegram": 0, "sms": 1, "console": 2}


def preferred_contact(person: Person) -> ContactPoint | None:
    """Where to reach a person unprompted: where they last wrote from, else Telegram, else SMS.

    Opted-out contact points are never chosen.
    """
    usable = [c for c in person.contacts if c.opted_out_at is None]
    if not usable:
        return None
    written = [c for c in usable if c.last_inbound_at is not None]
    if written:
        return max(written, key=lambda c: c.last_inbound_at or c.created_at)
    return min(usable, key=lambda c: (CHANNEL_PREFERENCE.get(c.channel, 9), -c.id))


def priority_of(kind: str, *, urgent: bool, broadcast_id: int | None) -> int:
    """Crisis answers first, then answers to a person's own text (sent at once, ``urgent``),
    then reminders, check-ins and offers, then broadcasts."""
    if kind == "crisis":
        return PRIORITY_CRISIS
    if broadcast_id is not None or kind == "broadcast":
        return PRIORITY_BULK
    if urgent or kind == "staff_reply":
        return PRIORITY_ANSWER
    return PRIORITY_ROUTINE


def reference(key: str | None) -> tuple[str, int] | None:
    """What a key is about: the words before its first number, and that number.

    ``reminder:appointment:42:120`` is about ("reminder:appointment", 42), so every reminder of
    appointment 42 is found through an index on (ref_kind, ref_id) instead of a ``LIKE`` over
    every queued key. Migration 0019 fills the columns of rows queued before it by this rule.
    """
    if key is None:
        return None
    parts = key.split(":")
    for n, part in enumerate(parts):
        if n > 0 and part.isdigit():
            value = int(part)
            return (":".join(parts[:n])[:40], value) if value < 2**31 else None
    return None


async def key_exists(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(select(Message.id).where(Message.idempotency_key == key))
    return found is not None


def outgoing(now: datetime, **options: Any) -> Message:
    """An unsaved outbox row (see :func:`outgoing_values`)."""
    return Message(**outgoing_values(now, **options))


def outgoing_values(
    now: datetime,
    *,
    contact: ContactPoint | None,
    text: str,
    site_id: int | None,
    person_id: int | None = None,
    kind: str = "reply",
    send_after: datetime | None = None,
    key: str | None = None,
    urgent: bool = False,
    buttons: list[Any] | None = None,
    question_id: int | None = None,
    broadcast_id: int | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The columns of an outbox row. With no usable contact point it is ``skipped``
    (``unreachable``), so staff and statistics can see that a text could not go out.
    ``channel`` overrides the contact point's (``voice``: a call to that phone number,
    handlers/voice.py)."""
    ref_kind, ref_id = reference(key) or (None, None)
    return dict(
        direction="out",
        site_id=site_id,
        person_id=person_id if person_id is not None else (contact.person_id if contact else None),
        contact_point_id=contact.id if contact else None,
        channel=channel or (contact.channel if contact else "none"),
        address=contact.address if contact else None,
        text=text,
        status="queued" if contact else "skipped",
        error=None if contact else "unreachable",
        kind=kind,
        idempotency_key=key,
        ref_kind=ref_kind,
        ref_id=ref_id,
        send_after=send_after or now,
        urgent=urgent,
        priority=priority_of(kind, urgent=urgent, broadcast_id=broadcast_id),
        buttons=buttons,
        question_id=question_id,
        broadcast_id=broadcast_id,
        attempts=0,
        created_at=now,
    )


async def queue(
    session: AsyncSession,
    clock: Clock,
    *,
    contact: ContactPoint | None,
    text: str,
    site_id: int | None,
    person_id: int | None = None,
    kind: str = "reply",
    send_after: datetime | None = None,
    key: str | None = None,
    urgent: bool = False,
    buttons: list[Any] | None = None,
    question_id: int | None = None,
    broadcast_id: int | None = None,
    language: str | None = None,
    channel: str | None = None,
) -> Message | None:
    """Queue one text. Returns None when ``key`` was queued before (see :func:`outgoing`).
    ``language`` records which catalogue the text came from (staff see it in the thread)."""
    if key is not None and await key_exists(session, key):
        return None
    message = outgoing(
        clock.now(),
        contact=contact,
        text=text,
        site_id=site_id,
        person_id=person_id,
        kind=kind,
        send_after=send_after,
        key=key,
        urgent=urgent,
        buttons=buttons,
        question_id=question_id,
        broadcast_id=broadcast_id,
        channel=channel,
    )
    message.language = language
    if key is None:
        session.add(message)
        await session.flush()
        return message
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None  # another process queued the same key a moment ago
    return message


def answer_values(clock: Clock, *, language: str | None, **options: Any) -> dict[str, Any]:
    """The row of an answer nobody reads back as an object (:func:`outgoing_values`), with the
    columns left to their defaults left out."""
    values = outgoing_values(clock.now(), **options)
    values["language"] = language
    return {name: value for name, value in values.items() if value is not None}


async def insert_answers(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """:func:`queue` for answers (rows from :func:`answer_values`) without ORM objects: one
    INSERT for each run of rows with the same columns, in their order, and for rows with a
    ``key`` an ``INSERT … ON CONFLICT DO NOTHING`` instead of a look-up and a savepoint."""
    for columns, run in itertools.groupby(rows, key=lambda row: frozenset(row)):
        group = list(run)
        keyed = "idempotency_key" in columns
        statement = _INSERT_ONCE[session.get_bind().dialect.name] if keyed else _INSERT
        await session.execute(statement, group if len(group) > 1 else group[0])


# Built once; a Core INSERT of the given values (no ORM object, no unit of work), compiled once
# per set of columns.
_MESSAGES = cast(Table, Message.__table__)
_INSERT = insert(_MESSAGES)
_INSERT_ONCE = {
    dialect: insert_for(dialect)(_MESSAGES).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    for dialect in ("postgresql", "sqlite")
}


async def queue_to_person(
    session: AsyncSession, clock: Clock, person: Person, text: str, **options: Any
) -> Message | None:
    """Queue a text to wherever ``person`` is best reached (see :func:`preferred_contact`);
    else to a phone they share, and there it begins with their name (handlers/followup/phones).

    A reminder or check-in to a person set to be called is (also) a call (handlers/voice.py);
    the call's row is returned when it replaces the text."""
    await load(session, person, "contacts")  # if this Person came without them
    key = options.get("key")
    phone = voice.phone_of(person)
    if phone is not None and voice.wants_call(person, options.get("kind", "reply"), key):
        assert key is not None
        call = await queue(
            session,
            clock,
            contact=phone,
            text=text,
            site_id=person.site_id,
            person_id=person.id,
            **{
                "language": person.language,
                **options,
                "key": voice.call_key(person, key),
                "buttons": None,
                "channel": voice.CHANNEL,
            },
        )
        if person.reminders_by == "call":
            return call
    contact = preferred_contact(person)
    if contact is None:
        shared = await phones.shared_contact_of(session, person)
        if shared is not None:
            contact, text = shared[0], f"{shared[1]}: {text}"
    elif (called := await phones.name_on(session, contact, person.id)) is not None:
        text = f"{called}: {text}"
    return await queue(
        session,
        clock,
        contact=contact,
        text=text,
        site_id=person.site_id,
        person_id=person.id,
        **{"language": person.language, **options},
    )


def queued_about(key_prefix: str) -> Any:
    """The condition for queued texts whose key starts with ``key_prefix``, found by the
    partial index ``ix_messages_queued_ref``; the prefix only narrows the few rows it gives."""
    ref = reference(key_prefix)
    if ref is None:
        raise ValueError("a key prefix must name what it is about (kind:id:)")
    return and_(
        Message.status == "queued",
        Message.ref_kind == ref[0],
        Message.ref_id == ref[1],
        Message.idempotency_key.startswith(key_prefix),
    )


async def cancel_queued(session: AsyncSession, *, key_prefix: str, free_keys: bool = False) -> int:
    """Cancel every still-queued text whose idempotency key starts with ``key_prefix``;
    ``free_keys`` lets the same texts be queued anew later."""
    values: dict[str, Any] = {"status": "cancelled"}
    if free_keys:
        values["idempotency_key"] = None
    result = await session.execute(
        update(Message)
        .where(queued_about(key_prefix))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
