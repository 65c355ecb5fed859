"""One text to many people: who gets it, queueing it, and how far it has come."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import InputError
from handlers.outbox import outgoing, preferred_contact
from handlers.segments import count_segments
from storage.models import Broadcast, Message, Person, PersonRole
from storage.models.people import ROLES

# Audience keys beyond roles/person_ids that features add (e.g. "activity_id"): each returns the
# ids of the people it names.
AudienceResolver = Callable[[AsyncSession, int, Any], Awaitable[set[int]]]
AUDIENCE_RESOLVERS: dict[str, AudienceResolver] = {}


async def audience_people(
    session: AsyncSession, site_id: int, audience: dict[str, Any]
) -> Sequence[Person]:
    """The people an audience names, never erased ones; all roles joined by OR, then AND-ed."""
    query = select(Person).where(Person.site_id == site_id, Person.erased_at.is_(None))
    roles = audience.get("roles")
    if roles:
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise InputError({"audience.roles": f"unknown role {bad[0]!r}"})
        query = query.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role.in_(roles)))
        )
    if audience.get("languages"):
        query = query.where(Person.language.in_([str(x) for x in audience["languages"]]))
    if audience.get("person_ids"):
        query = query.where(Person.id.in_([int(i) for i in audience["person_ids"]]))
    for key, resolver in AUDIENCE_RESOLVERS.items():
        if audience.get(key) is not None:
            query = query.where(Person.id.in_(await resolver(session, site_id, audience[key])))
    return list(await session.scalars(query.order_by(Person.id)))


async def create_broadcast(
    session: AsyncSession,
    clock: Clock,
    *,
    site_id: int,
    text: str,
    audience: dict[str, Any],
    send_at: datetime | None = None,
    staff_user_id: int | None = None,
    kind: str = "broadcast",
) -> Broadcast:
    """Queue ``text`` to everyone in ``audience``, at ``send_at`` (now if not given).

    People with no usable address get a ``skipped`` row so the counts add up.
    """
    if not text.strip():
        raise InputError({"text": "must not be empty"})
    now = clock.now()
    people = await audience_people(session, site_id, audience)
    broadcast = Broadcast(
        site_id=site_id,
        text=text,
        audience=audience,
        kind=kind,
        send_at=send_at or now,
        status="queued",
        recipients=len(people),
        created_by=staff_user_id,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    for person in people:
        session.add(
            outgoing(
                now,
                contact=preferred_contact(person),
                text=text,
                site_id=site_id,
                person_id=person.id,
                kind=kind,
                send_after=broadcast.send_at,
                key=f"broadcast:{broadcast.id}:{person.id}",
                broadcast_id=broadcast.id,
            )
        )
    await session.flush()
    return broadcast


async def progress(session: AsyncSession, clock: Clock, broadcast: Broadcast) -> dict[str, Any]:
    rows = await session.execute(
        select(Message.status, func.count())
        .where(Message.broadcast_id == broadcast.id)
        .group_by(Message.status)
    )
    counts = {status: int(n) for status, n in rows.all()}
    queued = counts.get("queued", 0) + counts.get("sending", 0)
    if broadcast.status == "cancelled":
        status = "cancelled"
    elif queued and broadcast.send_at > clock.now():
        status = "scheduled"
    else:
        status = "sending" if queued else ("held" if counts.get("held") else "done")
    return {
        "id": broadcast.id,
        "status": status,
        "recipients": broadcast.recipients,
        "queued": queued,
        "sent": counts.get("sent", 0) + counts.get("delivered", 0),
        "delivered": counts.get("delivered", 0),
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "cancelled": counts.get("cancelled", 0),
        "held": counts.get("held", 0),  # restored from a backup; an admin decides (/api/ops)
        "send_at": broadcast.send_at.isoformat(),
    }


async def cancel_broadcast(session: AsyncSession, broadcast: Broadcast) -> None:
    """Stop what has not gone out yet; what was sent stays sent."""
    broadcast.status = "cancelled"
    await session.execute(
        update(Message)
        .where(Message.broadcast_id == broadcast.id, Message.status == "queued")
        .values(status="cancelled")
    )


async def preview(
    session: AsyncSession, site_id: int, text: str, audience: dict[str, Any]
) -> dict[str, Any]:
    """What a broadcast would cost before it is sent: who it reaches, who it cannot (opted out,
    or no address at all), and how many SMS parts the text takes (GSM-7 or UCS-2)."""
    people = await audience_people(session, site_id, audience)
    channels: dict[str, int] = {}
    opted_out = unreachable = paused = 0
    for person in people:
        paused += person.status == "paused"
        contact = preferred_contact(person)
        if contact is not None:
            channels[contact.channel] = channels.get(contact.channel, 0) + 1
        elif person.contacts:
            opted_out += 1
        else:
            unreachable += 1
    segments = count_segments(text)
    return {
        "recipients": len(people),
        "reachable": sum(channels.values()),
        "opted_out": opted_out,
        "unreachable": unreachable,
        "paused": paused,
        "by_channel": channels,
        "sms": segments.as_dict(),
        "sms_messages": segments.segments * channels.get("sms", 0),
    }
