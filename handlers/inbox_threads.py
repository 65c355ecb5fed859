"""The staff inbox as threads: one per person, or per unknown number, never one row per text.

The staff pages and ``GET /api/inbox`` both list threads through :func:`list_threads`, so the app
and the API agree. A thread is open while any of its items is; crisis threads come first. The
list reads each thread's kept row in ``inbox_threads`` (its figures are kept by
``handlers.thread_figures``), so a page costs the same however many items the inbox holds.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Select,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, thread_figures
from handlers.access import can_see, site_filter, visible_site_ids
from handlers.attachments import attachment_json, attachments_of, staff_label
from handlers.clock import Clock
from handlers.errors import InputError, NotFound
from handlers.thread_figures import ThreadKey, item_filter, key_of, thread_columns
from storage.loading import STAFF_LOADS, load
from storage.models import (
    ContactPoint,
    InboxItem,
    InboxNote,
    InboxThread,
    Message,
    Person,
    StaffUser,
)
from storage.models.base import UtcDateTime

View = Literal["all", "mine", "unassigned", "resolved"]
VIEWS: tuple[View, ...] = ("all", "mine", "unassigned", "resolved")
# "any": open and resolved threads together (the API's ?status=all).
LIST_VIEWS = (*VIEWS, "any")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# The tabs count up to this and say "999+" beyond: an exact figure would read every thread.
COUNT_CAP = 999
CONVERSATION_LIMIT = 200
ITEMS_PER_THREAD = 20  # the API lists a thread's newest items; its counts give the totals
PLAIN_KINDS = ("message", "unknown_sender")
MAX_REPLY = 1600
MAX_NOTE = 2000


@dataclass
class ThreadSummary:
    key: ThreadKey
    site_id: int
    person_id: int | None
    name: str | None  # the person's name; None for an unknown sender
    address: str | None  # the unknown sender's number
    urgent: bool
    open_items: int
    items: int
    last_at: datetime
    last_kind: str
    last_text: str | None
    assigned_staff_id: int | None
    assigned_name: str | None

    @property
    def status(self) -> str:
        return "open" if self.open_items else "resolved"


@dataclass
class ThreadPage:
    threads: list[ThreadSummary]
    next: str | None
    counts: dict[str, int] = field(default_factory=dict)


# Inline, not bound: the planners match these to the partial indexes' WHERE clauses.
ZERO: Any = literal_column("0")


def _listed(staff: StaffUser) -> Select[Any]:
    """The kept row of each thread this user may see (``handlers.thread_figures``)."""
    columns: tuple[Any, ...] = (
        InboxThread.person_id.label("person_id"),
        InboxThread.contact_point_id.label("contact_id"),
        InboxThread.item_id.label("item_id"),
        InboxThread.site_id.label("site_id"),
        InboxThread.items.label("items"),
        InboxThread.open_items.label("open_items"),
        InboxThread.urgent.label("urgent"),
        InboxThread.last_at.label("last_at"),
        InboxThread.last_item_id.label("last_id"),
        InboxThread.assigned_staff_id.label("assigned_staff_id"),
    )
    return select(*columns).where(_visible(staff))


def _visible(staff: StaffUser) -> Any:
    """The threads with items at this user's sites: by the row's site, or, for the few threads
    whose items span sites (an unknown number that texted two), by asking their items."""
    scope = site_filter(staff, InboxThread.site_id)
    if visible_site_ids(staff) is None:  # every site
        return scope
    theirs = or_(
        InboxItem.person_id == InboxThread.person_id,
        and_(
            InboxItem.person_id.is_(None),
            InboxItem.contact_point_id == InboxThread.contact_point_id,
        ),
    )
    elsewhere = select(InboxItem.id).where(theirs, site_filter(staff, InboxItem.site_id))
    return or_(scope, and_(InboxThread.other_sites, elsewhere.exists()))


def _in_view(view: str, staff: StaffUser) -> Any:
    is_open = InboxThread.open_items > ZERO
    if view == "resolved":
        return and_(InboxThread.open_items == ZERO, InboxThread.items > ZERO)
    if view == "any":
        return InboxThread.items > ZERO
    if view == "mine":
        return and_(is_open, InboxThread.assigned_staff_id == staff.id)
    if view == "unassigned":
        return and_(is_open, InboxThread.assigned_staff_id.is_(None))
    return is_open


def encode_cursor(summary: ThreadSummary, last_id: int) -> str:
    raw = json.dumps([int(summary.urgent), summary.last_at.isoformat(), last_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        urgent, last_at, last_id = json.loads(base64.urlsafe_b64decode(padded))
        return int(urgent), datetime.fromisoformat(last_at), int(last_id)
    except (ValueError, TypeError) as exc:
        raise InputError({"cursor": "not a cursor from this list"}) from exc


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError({"limit": f"between 1 and {MAX_LIMIT}"})
    return limit


def page_query(staff: StaffUser, view: str, cursor: str | None, limit: int) -> Select[Any]:
    """Up to ``limit`` kept rows of the view after ``cursor``, in the list's order: read from
    the view's partial index in that order, so a page costs the same at any size."""
    query = _listed(staff).where(_in_view(view, staff))
    order = (InboxThread.urgent, InboxThread.last_at, InboxThread.last_item_id)
    if cursor:
        urgent, last_at, last_id = decode_cursor(cursor)
        after = (literal(bool(urgent)), literal(last_at, UtcDateTime()), literal(last_id))
        query = query.where(tuple_(*order) < tuple_(*after))
    return query.order_by(*(column.desc() for column in order)).limit(limit)


async def list_threads(
    session: AsyncSession,
    staff: StaffUser,
    *,
    view: str = "all",
    limit: int | None = None,
    cursor: str | None = None,
    with_counts: bool = False,
) -> ThreadPage:
    """A page of threads in ``view``: crisis first, then the newest; ``next`` pages on."""
    if view not in LIST_VIEWS:
        raise InputError({"view": f"use one of {', '.join(LIST_VIEWS)}"})
    limit = check_limit(limit)
    query = page_query(staff, view, cursor, limit + 1)
    rows = (await session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    summaries = await _summaries(session, rows)
    next_cursor = encode_cursor(summaries[-1], rows[-1].last_id) if more else None
    counts = await count_views(session, staff) if with_counts else {}
    return ThreadPage(summaries, next_cursor, counts)


async def count_views(session: AsyncSession, staff: StaffUser) -> dict[str, int]:
    """How many threads each filter holds (for the filter tabs), each counted up to
    ``COUNT_CAP`` + 1 from the view's index: a figure over ``COUNT_CAP`` means "more than that"
    (:func:`count_label`), and the tabs cost the same at any size of inbox."""
    counts: dict[str, int] = {}
    for view in VIEWS:
        few = (
            select(InboxThread.id)
            .where(_visible(staff), _in_view(view, staff))
            .limit(COUNT_CAP + 1)
            .subquery()
        )
        counts[view] = int(await session.scalar(select(func.count()).select_from(few)) or 0)
    return counts


def count_label(count: int) -> str:
    """A tab's figure: ``"999+"`` past the cap."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


async def _summaries(session: AsyncSession, rows: list[Any]) -> list[ThreadSummary]:
    person_ids = {r.person_id for r in rows if r.person_id}
    contact_ids = {r.contact_id for r in rows if r.contact_id}
    last_ids = [r.last_id for r in rows]
    staff_ids = {r.assigned_staff_id for r in rows if r.assigned_staff_id}
    names = dict(
        (
            await session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))
        ).all()
    )
    addresses = dict(
        (
            await session.execute(
                select(ContactPoint.id, ContactPoint.address).where(
                    ContactPoint.id.in_(contact_ids)
                )
            )
        ).all()
    )
    staff_names = dict(
        (
            await session.execute(
                select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(staff_ids))
            )
        ).all()
    )
    last = {
        item.id: (item, text, sender)
        for item, text, sender in (
            await session.execute(
                select(InboxItem, Message.text, Message.address)
                .outerjoin(Message, Message.id == InboxItem.message_id)
                .where(InboxItem.id.in_(last_ids))
            )
        ).all()
    }
    result = []
    for r in rows:
        item, text, sender = last[r.last_id]
        if r.person_id:
            key = ThreadKey("p", r.person_id)
        elif r.contact_id:
            key = ThreadKey("c", r.contact_id)
        else:
            key = ThreadKey("i", r.item_id)
        result.append(
            ThreadSummary(
                key=key,
                site_id=r.site_id,
                person_id=r.person_id,
                name=names.get(r.person_id),
                # A sender Los keeps no contact point for (a service name, WhatsApp) is
                # still named: the address its text came from.
                address=addresses.get(r.contact_id) if r.contact_id else sender,
                urgent=bool(r.urgent),
                open_items=int(r.open_items or 0),
                items=int(r.items),
                last_at=r.last_at if r.last_at.tzinfo else item.created_at,
                last_kind=item.kind,
                last_text=text if text is not None else item.summary,
                assigned_staff_id=r.assigned_staff_id,
                assigned_name=staff_names.get(r.assigned_staff_id),
            )
        )
    return result


@dataclass
class Entry:
    """One line of a thread's conversation: a text either way, an inbox item, or a note."""

    kind: str  # in | out | item | note | event
    at: datetime
    text: str | None
    status: str | None = None
    detail: str | None = None  # an item's kind, a note's author
    urgent: bool = False
    order: tuple[datetime, int, int] | None = None  # when it happened, then which came first
    message_id: int | None = None
    # Pictures, voice notes …: {n, kind, label, url}; staff open them through Los (issue 20).
    attachments: list[dict[str, object]] = field(default_factory=list)
    language: str | None = None  # the language an automatic text went out in

    def sort_key(self) -> tuple[datetime, int, int]:
        return self.order or (self.at, 9, 0)


@dataclass
class Thread:
    key: ThreadKey
    site_id: int
    person: Person | None
    contact: ContactPoint | None
    items: list[InboxItem]
    entries: list[Entry]
    assigned_staff_id: int | None
    state: InboxThread | None
    earlier: bool  # older texts exist than those shown

    @property
    def open_items(self) -> list[InboxItem]:
        return [i for i in self.items if i.status == "open"]

    @property
    def urgent(self) -> bool:
        return any(i.urgent for i in self.open_items)

    @property
    def reachable(self) -> ContactPoint | None:
        """Where a reply goes: the sender's own number, or where the person is best reached."""
        if self.contact is not None and self.contact.opted_out_at is None:
            return self.contact
        if self.person is not None:
            return outbox.preferred_contact(self.person)
        return None


async def _state(session: AsyncSession, key: ThreadKey) -> InboxThread | None:
    """Staff's state for the thread: its row, once staff assigned it or wrote a note."""
    if key.kind == "i":
        return None
    row = await session.scalar(
        select(InboxThread).where(
            (InboxThread.person_id if key.kind == "p" else InboxThread.contact_point_id) == key.id
        )
    )
    return row if row is not None and row.staff_at is not None else None


async def load_thread(
    session: AsyncSession,
    staff: StaffUser,
    key: ThreadKey,
    *,
    with_entries: bool = True,
    now: datetime | None = None,
) -> Thread:
    """The thread for ``key``, or 404 if this user may not see it (or it does not exist)."""
    person = await session.get(Person, key.id) if key.kind == "p" else None
    if person is not None:
        await load(session, person, "contacts")
    contact = await session.get(ContactPoint, key.id) if key.kind == "c" else None
    items = list(
        await session.scalars(
            select(InboxItem)
            .where(item_filter(key), site_filter(staff, InboxItem.site_id))
            .order_by(InboxItem.created_at, InboxItem.id)
        )
    )
    if person is not None and (person.erased_at is not None or not can_see(staff, person.site_id)):
        raise NotFound("thread")
    if person is None and not items:
        raise NotFound("thread")
    site_id = person.site_id if person is not None else items[0].site_id
    state = await _state(session, key)
    entries: list[Entry] = []
    earlier = False
    if with_entries:
        entries, earlier = await _entries(session, key, items, state, now)
    return Thread(
        key=key,
        site_id=site_id,
        person=person,
        contact=contact,
        items=items,
        entries=entries,
        assigned_staff_id=state.assigned_staff_id if state else None,
        state=state,
        earlier=earlier,
    )


async def _entries(
    session: AsyncSession,
    key: ThreadKey,
    items: list[InboxItem],
    state: InboxThread | None,
    now: datetime | None,
) -> tuple[list[Entry], bool]:
    """The conversation, oldest first: texts both ways, the inbox items and staff's notes.

    Reminders queued for later are not part of the conversation yet, so they are left out."""
    if key.kind == "p":
        where = Message.person_id == key.id
    elif key.kind == "c":
        where = Message.contact_point_id == key.id
    else:
        where = Message.id.in_([i.message_id for i in items if i.message_id])
    query = select(Message).where(where, Message.kind.is_distinct_from("button"))
    if now is not None:
        query = query.where(or_(Message.status != "queued", Message.send_after <= now))
    messages = list(
        await session.scalars(
            query.order_by(Message.created_at.desc(), Message.id.desc()).limit(
                CONVERSATION_LIMIT + 1
            )
        )
    )
    earlier = len(messages) > CONVERSATION_LIMIT
    messages = messages[:CONVERSATION_LIMIT]
    attached = await attachments_of(session, [m.id for m in messages])
    entries = [
        Entry(
            kind=m.direction,
            at=m.created_at if m.direction == "in" else (m.sent_at or m.send_after or m.created_at),
            text=(
                staff_label(m.text, attached.get(m.id, []), m.edited_at)
                if m.id in attached or m.edited_at is not None
                else m.text
            ),
            status=m.status if m.direction == "out" else None,
            order=(m.created_at, 0, 2 * m.id),
            message_id=m.id,
            attachments=[attachment_json(m.id, a) for a in attached.get(m.id, [])],
            language=m.language,
        )
        for m in messages
    ]
    created = {m.id: m.created_at for m in messages}
    shown = {m.id for m in messages}
    oldest = messages[-1].created_at if earlier and messages else None
    for item in items:
        if oldest is not None and item.created_at < oldest:
            continue
        # An item about a text already shown adds only what it is (a crisis, a late answer);
        # a plain "message" item adds nothing, so a flood of texts is not doubled by markers.
        if item.message_id in shown and item.kind in PLAIN_KINDS and not item.urgent:
            continue
        text = None if item.message_id in shown else item.summary
        # Right after the text it is about, before the answer that text got.
        order = (
            (created[item.message_id], 0, 2 * item.message_id + 1)
            if item.message_id is not None and item.message_id in created
            else (item.created_at, 1, item.id)
        )
        entries.append(
            Entry(
                kind="item",
                at=item.created_at,
                text=text,
                detail=item.kind,
                urgent=item.urgent,
                order=order,
            )
        )
    if state is not None:
        notes = (
            await session.execute(
                select(InboxNote, StaffUser.name)
                .outerjoin(StaffUser, StaffUser.id == InboxNote.staff_user_id)
                .where(InboxNote.thread_id == state.id)
            )
        ).all()
        entries.extend(
            Entry(
                kind="note" if n.kind == "note" else "event",
                at=n.at,
                text=n.text,
                detail=name,
                status=n.kind,
            )
            for n, name in notes
        )
    entries.sort(key=Entry.sort_key)
    return entries, earlier


async def _ensure_state(session: AsyncSession, clock: Clock, thread: Thread) -> InboxThread:
    if thread.state is not None:
        return thread.state
    if thread.key.kind == "i":
        raise InputError({"thread": "this item belongs to nobody; it can only be resolved"})
    state = await thread_figures.row_of(session, thread.key)
    if state is None:  # a person with nothing in the inbox (yet)
        state = InboxThread(
            site_id=thread.site_id,
            person_id=thread.key.id if thread.key.kind == "p" else None,
            contact_point_id=thread.key.id if thread.key.kind == "c" else None,
            created_at=clock.now(),
        )
        session.add(state)
    state.staff_at = clock.now()
    await session.flush()
    thread.state = state
    return state


async def reply(
    session: AsyncSession, clock: Clock, staff: StaffUser, thread: Thread, text: str
) -> Message:
    """Queue staff's answer to where the thread's sender is reached."""
    text = text.strip()
    if not text:
        raise InputError({"text": "empty"})
    if len(text) > MAX_REPLY:
        raise InputError({"text": "too_long"})
    contact = thread.reachable
    if contact is None:
        raise InputError({"text": "unreachable"})
    message = await outbox.queue(
        session,
        clock,
        contact=contact,
        text=text,
        site_id=thread.site_id,
        person_id=thread.person.id if thread.person else contact.person_id,
        kind="staff_reply",
    )
    assert message is not None  # no idempotency key: always queued
    return message


async def reply_to_item(
    session: AsyncSession, clock: Clock, staff: StaffUser, item_id: int, text: str
) -> Message:
    """The API's per-item reply: the thread the item belongs to answers."""
    item = await session.get(InboxItem, item_id)
    if item is None or not can_see(staff, item.site_id):
        raise NotFound("inbox item")
    return await reply(
        session,
        clock,
        staff,
        await load_thread(session, staff, key_of(item), with_entries=False),
        text,
    )


async def assign(
    session: AsyncSession, clock: Clock, staff: StaffUser, thread: Thread, to_id: int | None
) -> None:
    """Give the thread to a colleague who can see its site (None: to nobody)."""
    if to_id is not None:
        colleague = await session.get(StaffUser, to_id, options=STAFF_LOADS)
        if (
            colleague is None
            or colleague.disabled_at is not None
            or not can_see(colleague, thread.site_id)
        ):
            raise InputError({"assign_to": "unknown"})
    state = await _ensure_state(session, clock, thread)
    state.assigned_staff_id = to_id
    state.assigned_at = clock.now() if to_id else None
    thread.assigned_staff_id = to_id
    session.add(
        InboxNote(
            thread_id=state.id, staff_user_id=staff.id, kind="assigned", at=clock.now(), text=None
        )
    )


async def add_note(
    session: AsyncSession, clock: Clock, staff: StaffUser, thread: Thread, text: str
) -> InboxNote:
    text = text.strip()
    if not text:
        raise InputError({"note": "empty"})
    if len(text) > MAX_NOTE:
        raise InputError({"note": "too_long"})
    state = await _ensure_state(session, clock, thread)
    note = InboxNote(
        thread_id=state.id, staff_user_id=staff.id, text=text, kind="note", at=clock.now()
    )
    session.add(note)
    await session.flush()
    return note


async def resolve(session: AsyncSession, clock: Clock, staff: StaffUser, thread: Thread) -> int:
    """Every open item of the thread is dealt with; returns how many."""
    open_ids = [i.id for i in thread.open_items]
    if not open_ids:
        return 0
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id.in_(open_ids))
        .values(status="resolved", resolved_at=clock.now(), resolved_by=staff.id)
    )
    await thread_figures.recount(session, thread.key)
    if thread.state is not None:
        session.add(
            InboxNote(
                thread_id=thread.state.id,
                staff_user_id=staff.id,
                kind="resolved",
                at=clock.now(),
                text=None,
            )
        )
    return len(open_ids)


async def resolve_item(
    session: AsyncSession, clock: Clock, staff: StaffUser, item_id: int
) -> InboxItem:
    item = await session.get(InboxItem, item_id)
    if item is None or not can_see(staff, item.site_id):
        raise NotFound("inbox item")
    item.status = "resolved"
    item.resolved_at = clock.now()
    item.resolved_by = staff.id
    await thread_figures.recount(session, key_of(item))
    return item


async def erase_notes(session: AsyncSession, person_id: int) -> None:
    """Erasure: notes about a person lose their text (they may name health matters)."""
    state_ids = select(InboxThread.id).where(InboxThread.person_id == person_id)
    await session.execute(
        update(InboxNote).where(InboxNote.thread_id.in_(state_ids)).values(text=literal(None))
    )


async def items_of(
    session: AsyncSession, staff: StaffUser, summaries: list[ThreadSummary], *, open_only: bool
) -> dict[str, list[tuple[InboxItem, Message | None]]]:
    """The newest items of each listed thread (oldest first), with the text each is about."""
    if not summaries:
        return {}
    keys = [s.key for s in summaries]
    people = [k.id for k in keys if k.kind == "p"]
    contacts = [k.id for k in keys if k.kind == "c"]
    lone = [k.id for k in keys if k.kind == "i"]
    where = or_(
        InboxItem.person_id.in_(people),
        and_(InboxItem.person_id.is_(None), InboxItem.contact_point_id.in_(contacts)),
        InboxItem.id.in_(lone),
    )
    conditions = [where, site_filter(staff, InboxItem.site_id)]
    if open_only:
        conditions.append(InboxItem.status == "open")
    newest = func.row_number().over(
        partition_by=thread_columns(),
        order_by=(InboxItem.created_at.desc(), InboxItem.id.desc()),
    )
    ranked = select(InboxItem.id, newest.label("rank")).where(*conditions).subquery()
    query = (
        select(InboxItem, Message)
        .join(ranked, ranked.c.id == InboxItem.id)
        .outerjoin(Message, Message.id == InboxItem.message_id)
        .where(ranked.c.rank <= ITEMS_PER_THREAD)
        .order_by(InboxItem.created_at, InboxItem.id)
    )
    grouped: dict[str, list[tuple[InboxItem, Message | None]]] = {str(k): [] for k in keys}
    for item, message in (await session.execute(query)).all():
        grouped[str(key_of(item))].append((item, message))
    return grouped
