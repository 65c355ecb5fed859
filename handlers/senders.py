"""Who wrote an incoming text: the sender's contact point and what routing reads with it.

One read gives the sender's contact point, its person, the person's roles and the reply budget,
and two flags that let routing skip a read whose answer is "nothing": anyone sharing the number,
any open question of the person. A batch reads its texts' senders ahead, a few texts at a time
(:class:`ReadAhead`): under load a text's round trips to the database are what limits routing
(issue 17), and the sender's were two of the three a text cost on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from handlers import reply_budget
from handlers.batch_writes import BatchWrites, mark_seen
from handlers.clock import Clock
from storage.models import ContactPoint, Message, OpenQuestion, Person, PersonRole, PhoneSharer


@dataclass(frozen=True)
class Sender:
    """Who wrote, and what the first read already tells about them (see ``_COLUMNS``)."""

    contact: ContactPoint
    person: Person | None
    budget: reply_budget.State
    shared: bool  # someone shares this contact point (a shared phone)
    asked: bool  # its person may have an open question (asked or not yet, not expired)
    roles: list[str]  # its person's role names, sorted


_CONTACTS = cast(Table, ContactPoint.__table__)
# Built once: only the values change from text to text. On PostgreSQL the contact point is marked
# first (``last_inbound_at``), in a statement of its own: it takes the row's lock, so that two
# texts from one sender (in two processes) wait for each other, and the read that follows, with
# a snapshot of its own, sees what the first one wrote (the reply budget counts on it; one
# statement would read from before the wait). On SQLite the transaction holds the one writer
# already, and the mark is one of the batch's writes (handlers/batch_writes.py).
_COLUMNS = (
    ContactPoint,
    Person,
    select(PhoneSharer.id)
    .where(PhoneSharer.contact_point_id == ContactPoint.id)
    .exists()
    .label("shared"),
    select(OpenQuestion.id)
    .where(
        OpenQuestion.person_id == ContactPoint.person_id,
        OpenQuestion.status == "open",
        or_(OpenQuestion.expires_at.is_(None), OpenQuestion.expires_at > bindparam("now")),
    )
    .exists()
    .label("asked"),
    select(func.aggregate_strings(PersonRole.role, ","))
    .where(PersonRole.person_id == ContactPoint.person_id)
    .scalar_subquery()
    .label("roles"),
    *reply_budget.TABLE.columns,
)
_READ = (
    select(*_COLUMNS)
    .outerjoin(Person, Person.id == ContactPoint.person_id)
    .outerjoin(reply_budget.TABLE, reply_budget.TABLE.c.contact_point_id == ContactPoint.id)
)
_BY_ADDRESS = (
    _CONTACTS.c.channel == bindparam("by"),
    _CONTACTS.c.address == bindparam("from_"),
)
# Each column's list first, so that SQLite searches the (channel, address) index: for a list of
# pairs alone it scanned the whole table. The pairs then keep only the senders asked for.
_BY_ADDRESSES = and_(
    _CONTACTS.c.channel.in_(bindparam("channels", expanding=True)),
    _CONTACTS.c.address.in_(bindparam("addresses", expanding=True)),
    tuple_(_CONTACTS.c.channel, _CONTACTS.c.address).in_(bindparam("senders", expanding=True)),
)
_MARK = update(_CONTACTS).values(
    last_inbound_at=bindparam("now", type_=_CONTACTS.c.last_inbound_at.type)
)
_SEEN = _MARK.where(*_BY_ADDRESS).returning(_CONTACTS.c.id)
_ALL_SEEN = _MARK.where(_BY_ADDRESSES).returning(_CONTACTS.c.id)
_ONE = {
    "postgresql": _READ.where(ContactPoint.id == bindparam("contact_id")),
    "sqlite": _READ.where(*_BY_ADDRESS),
}
_MANY = {
    "postgresql": _READ.where(ContactPoint.id.in_(bindparam("contact_ids", expanding=True))),
    "sqlite": _READ.where(_BY_ADDRESSES),
}


def _sender(row: Any) -> Sender:
    contact: ContactPoint = row[0]
    return Sender(
        contact,
        row[1],
        reply_budget.from_row(contact.id, row[5:]),
        shared=bool(row[2]),
        asked=bool(row[3]),
        roles=sorted(row[4].split(",")) if row[4] else [],
    )


async def _mark(
    session: AsyncSession, sender: Sender, now: datetime, later: BatchWrites | None
) -> None:
    """Note when the sender wrote: on SQLite now or with the batch's writes; on PostgreSQL the
    UPDATE before the read did. The loaded contact point shows it either way."""
    set_committed_value(sender.contact, "last_inbound_at", now)
    if session.get_bind().dialect.name == "postgresql":
        return
    seen = {"contact_id": sender.contact.id, "now": now}
    if later is None:
        await mark_seen(session, [seen])
    else:
        later.seen_at.append(seen)


async def sender_of(
    session: AsyncSession,
    clock: Clock,
    channel: str,
    address: str,
    now: datetime,
    later: BatchWrites | None,
) -> Sender:
    """The sender's contact point (made on the first text), marked as written from ``now``, and
    what goes with it: two statements on PostgreSQL, one on SQLite."""
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"by": channel, "from_": address, "now": now}
    row = None
    if dialect == "postgresql":
        params["contact_id"] = await session.scalar(_SEEN, params)
        if params["contact_id"] is not None:
            row = (await session.execute(_ONE[dialect], params)).first()
    else:
        row = (await session.execute(_ONE[dialect], params)).first()
    if row is None:
        contact = ContactPoint(
            channel=channel, address=address, created_at=clock.now(), last_inbound_at=now
        )
        session.add(contact)
        await session.flush()
        return Sender(
            contact, None, reply_budget.State(contact.id), shared=False, asked=False, roles=[]
        )
    sender = _sender(row)
    await _mark(session, sender, now, later)
    return sender


@dataclass
class _Read:
    sender: Sender
    at: datetime
    after: int  # how many of the batch's texts had been routed when it was read


@dataclass
class ReadAhead:
    """A batch's senders, read for its next few texts in two statements on PostgreSQL (mark and
    lock, then read) and one on SQLite, instead of that many for each text.

    A sender read ahead is what a read of its own would have found only if nothing the batch
    routed in between could have changed it. So a sender is read ahead only for its first text
    in the batch (a second one reads again, after the batch has written what the first one
    gathered), and a read is dropped when a text of the same person, from another contact point,
    was routed after it (that text may have asked or answered the person's question).
    """

    texts: int = 0  # routed so far in the batch
    senders: set[tuple[str, str]] = field(default_factory=set)  # read or routed in the batch
    persons: dict[int, int] = field(default_factory=dict)  # person id: texts routed by then
    ready: dict[tuple[str, str], _Read] = field(default_factory=dict)

    async def read(self, session: AsyncSession, clock: Clock, messages: Sequence[Message]) -> None:
        """Read ahead the senders of these texts (those with no text earlier in the batch)."""
        wanted: list[tuple[str, str]] = []
        for message in messages:
            key = (message.channel, message.address or "")
            if message.processed_at is None and message.address and key not in self.senders:
                self.senders.add(key)
                wanted.append(key)
        if not wanted:
            return
        now = clock.now()
        dialect = session.get_bind().dialect.name
        params: dict[str, Any] = {
            "senders": wanted,
            "channels": sorted({channel for channel, _ in wanted}),
            "addresses": [address for _, address in wanted],
            "now": now,
        }
        if dialect == "postgresql":
            params["contact_ids"] = list(await session.scalars(_ALL_SEEN, params))
            if not params["contact_ids"]:
                return
        for row in await session.execute(_MANY[dialect], params):
            sender = _sender(row)
            key = (sender.contact.channel, sender.contact.address)
            self.ready[key] = _Read(sender, now, self.texts)

    async def take(
        self, session: AsyncSession, channel: str, address: str, later: BatchWrites | None
    ) -> Sender | None:
        """The sender read ahead for this text, if it still holds (None: read it now)."""
        read = self.ready.pop((channel, address), None)
        if read is None:
            return None
        person = read.sender.person
        if person is not None and self.persons.get(person.id, 0) > read.after:
            return None  # a text of the same person was routed since
        await _mark(session, read.sender, read.at, later)
        return read.sender

    def routed(self, channel: str, address: str, persons: Iterable[Person | None]) -> None:
        """Note a routed text: its sender and the persons it was routed for."""
        self.senders.add((channel, address))
        self.texts += 1
        for person in persons:
            if person is not None:
                self.persons[person.id] = self.texts  # the how-manieth text routed it was
