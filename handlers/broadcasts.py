"""One text to many people: who gets it, queueing it, and how far it has come."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, case, cast, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.context import Rules
from handlers.errors import InputError
from handlers.outbox import CHANNEL_PREFERENCE
from handlers.segments import count_segments
from storage.models import Broadcast, ContactPoint, Message, Person, PersonRole, UtcDateTime
from storage.models.messages import PRIORITY_BULK
from storage.models.people import ROLES

# Audience keys beyond roles/person_ids that features add (e.g. "activity_id"): each returns the
# ids of the people it names.
AudienceResolver = Callable[[AsyncSession, int, Any], Awaitable[set[int]]]
AUDIENCE_RESOLVERS: dict[str, AudienceResolver] = {}


async def audience_query(
    session: AsyncSession, site_id: int, audience: dict[str, Any]
) -> Select[Person]:
    """The people an audience names, never erased ones; all roles joined by OR, then AND-ed:
    a SELECT, for counting or queueing in SQL."""
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
    return query


async def audience_people(
    session: AsyncSession, site_id: int, audience: dict[str, Any]
) -> list[Person]:
    """The people of an audience as objects, for features that ask each one (surveys); a
    broadcast never loads them, it queues in SQL."""
    query = await audience_query(session, site_id, audience)
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
    """Make a broadcast of ``text`` to everyone in ``audience``, at ``send_at`` (now if not
    given), and queue its first chunk of recipients in this transaction.

    A broadcast of up to ``QUEUE_CHUNK`` people is whole when this returns (``sending``); a larger
    one is left ``queueing``, and :func:`queue_rest` queues the rest after the request answered.
    People with no usable address get a ``skipped`` row so the counts add up.
    """
    if not text.strip():
        raise InputError({"text": "must not be empty"})
    now = clock.now()
    ids = (await audience_query(session, site_id, audience)).with_only_columns(Person.id)
    recipients = int(await session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    broadcast = Broadcast(
        site_id=site_id,
        text=text,
        audience=audience,
        kind=kind,
        send_at=send_at or now,
        status="queueing",
        recipients=recipients,
        created_by=staff_user_id,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await queue_chunk(session, broadcast, now)
    return broadcast


async def queue_rest(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    rules: Rules | None = None,
    writing: Callable[[], AbstractAsyncContextManager[object]] = contextlib.nullcontext,
) -> int:
    """Queue what broadcasts left ``queueing`` still lack (after the request answered, or after
    a restart), one chunk per transaction so that other writers get through between them
    (``writing``: the process's turn-taking for SQLite's one writer); and mark ``sent`` the
    broadcasts with nothing left to send. Returns chunks queued."""
    async with sessions() as session:
        waiting = list(
            await session.scalars(
                select(Broadcast.id).where(Broadcast.status == "queueing").order_by(Broadcast.id)
            )
        )
    chunks = 0
    for broadcast_id in waiting:
        while True:
            async with writing(), sessions.begin() as session:
                # The row lock (PostgreSQL; SQLite has one writer) makes chunks of one
                # broadcast follow each other, so that none is queued twice.
                broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
                if broadcast is None or broadcast.status != "queueing":
                    break
                if await queue_chunk(session, broadcast, clock.now()):
                    break
            chunks += 1
            await asyncio.sleep(0)
    async with writing(), sessions.begin() as session:
        await mark_sent(session)
    return chunks


async def mark_sent(session: AsyncSession) -> None:
    """``sending`` broadcasts none of whose texts waits any more become ``sent``."""
    waiting = select(Message.id).where(
        Message.broadcast_id == Broadcast.id, Message.status.in_(("queued", "sending"))
    )
    await session.execute(
        update(Broadcast)
        .where(Broadcast.status.in_(("sending", "queued")), ~waiting.exists())
        .values(status="sent")
        .execution_options(synchronize_session=False)
    )


def ranked_contacts(ids: Select[Any]) -> Any:
    """Each usable contact point of ``ids`` with its rank by
    :func:`handlers.outbox.preferred_contact`'s rule (1 = the one a text goes to): where they
    last wrote from, else Telegram, else SMS; never an opted-out one."""
    preference = case(
        *((ContactPoint.channel == c, n) for c, n in CHANNEL_PREFERENCE.items()), else_=9
    )
    return (
        select(
            ContactPoint.id,
            ContactPoint.person_id,
            ContactPoint.channel,
            ContactPoint.address,
            func.row_number()
            .over(
                partition_by=ContactPoint.person_id,
                order_by=[
                    ContactPoint.last_inbound_at.is_(None),
                    ContactPoint.last_inbound_at.desc(),
                    preference,
                    ContactPoint.id.desc(),
                ],
            )
            .label("rank"),
        )
        .where(ContactPoint.person_id.in_(ids), ContactPoint.opted_out_at.is_(None))
        .subquery()
    )


# Recipients queued per transaction: long enough to be cheap, short enough that a text
# arriving meanwhile (SQLite: one writer) waits a moment, not seconds.
QUEUE_CHUNK = 1000


async def queue_chunk(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    """Queue the next ``QUEUE_CHUNK`` recipients after ``queued_through`` with one ``INSERT …
    SELECT``: the rows are written by the database, none is built in Python. People with no
    usable address get a ``skipped`` row (``unreachable``) so the counts add up. True when none
    was left: the broadcast is then ``sending``."""
    audience = await audience_query(session, broadcast.site_id, broadcast.audience)
    ids = audience.with_only_columns(Person.id)
    after = broadcast.queued_through or 0
    people = ids.where(Person.id > after).order_by(Person.id).limit(QUEUE_CHUNK).subquery()
    last, count = (await session.execute(select(func.max(people.c.id), func.count()))).one()
    if last is None:
        broadcast.status = "sending"
        return True
    ranked = ranked_contacts(select(people.c.id))
    reached = ranked.c.id.is_not(None)
    rows = (
        select(
            literal("out"),
            literal(broadcast.site_id),
            people.c.id,
            ranked.c.id,
            func.coalesce(ranked.c.channel, "none"),
            ranked.c.address,
            literal(broadcast.text),
            case((reached, "queued"), else_="skipped"),
            case((reached, None), else_="unreachable"),
            literal(broadcast.kind),
            literal(f"broadcast:{broadcast.id}:") + cast(people.c.id, String),
            literal("broadcast"),
            literal(broadcast.id),
            literal(broadcast.send_at, UtcDateTime()),
            literal(0),
            literal(False),
            literal(PRIORITY_BULK),
            literal(broadcast.id),
            literal(now, UtcDateTime()),
        )
        .select_from(people)
        .outerjoin(ranked, and_(ranked.c.person_id == people.c.id, ranked.c.rank == 1))
    )
    await session.execute(
        insert(Message).from_select(
            [
                "direction",
                "site_id",
                "person_id",
                "contact_point_id",
                "channel",
                "address",
                "text",
                "status",
                "error",
                "kind",
                "idempotency_key",
                "ref_kind",
                "ref_id",
                "send_after",
                "attempts",
                "urgent",
                "priority",
                "broadcast_id",
                "created_at",
            ],
            rows,
        )
    )
    broadcast.queued_through = int(last)
    if count < QUEUE_CHUNK:
        broadcast.status = "sending"
        return True
    return False


async def progress(session: AsyncSession, clock: Clock, broadcast: Broadcast) -> dict[str, Any]:
    rows = await session.execute(
        select(Message.status, func.count())
        .where(Message.broadcast_id == broadcast.id)
        .group_by(Message.status)
    )
    counts = {status: int(n) for status, n in rows.all()}
    queued = counts.get("queued", 0) + counts.get("sending", 0)
    if broadcast.status in ("cancelled", "queueing"):
        status = broadcast.status
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
    ids = (await audience_query(session, site_id, audience)).with_only_columns(Person.id)
    recipients = int(await session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    paused = int(
        await session.scalar(
            select(func.count()).where(Person.id.in_(ids), Person.status == "paused")
        )
        or 0
    )
    channels = await preferred_channels(session, ids)
    with_contact = int(
        await session.scalar(
            select(func.count(func.distinct(ContactPoint.person_id))).where(
                ContactPoint.person_id.in_(ids)
            )
        )
        or 0
    )
    opted_out = with_contact - sum(channels.values())
    unreachable = recipients - with_contact
    segments = count_segments(text)
    return {
        "recipients": recipients,
        "reachable": sum(channels.values()),
        "opted_out": opted_out,
        "unreachable": unreachable,
        "paused": paused,
        "by_channel": channels,
        "sms": segments.as_dict(),
        "sms_messages": segments.segments * channels.get("sms", 0),
    }


async def preferred_channels(session: AsyncSession, ids: Select[Any]) -> dict[str, int]:
    """How many of ``ids`` each channel reaches, counted in SQL (see :func:`ranked_contacts`)."""
    ranked = ranked_contacts(ids)
    rows = await session.execute(
        select(ranked.c.channel, func.count()).where(ranked.c.rank == 1).group_by(ranked.c.channel)
    )
    return {str(channel): int(n) for channel, n in rows.all()}
