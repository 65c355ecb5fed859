"""The kept figures of each inbox thread, so the inbox list reads rows, not every item.

``inbox_threads`` holds one row per thread with what the list orders and filters on (issue 21).
Whatever adds, resolves, moves or deletes inbox items calls :func:`added` or :func:`recount`
for each thread it touched, in the same transaction: the figures are then never behind. A
recount reads the thread's own items only (an index on person or contact point), with the
thread's row locked, so two transactions touching one thread are counted one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, case, false, func, insert, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import NotFound
from storage.db import insert_for, upsert_for
from storage.models import InboxItem, InboxThread


@dataclass(frozen=True)
class ThreadKey:
    """``p<person id>``, ``c<contact point id>`` (an unknown sender) or ``i<item id>`` (an item
    about nobody in particular, such as an anonymous suggestion)."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}{self.id}"

    @classmethod
    def parse(cls, raw: str) -> ThreadKey:
        kind, digits = raw[:1], raw[1:]
        if kind not in ("p", "c", "i") or not digits.isdigit() or not 0 < int(digits) < 2**63:
            raise NotFound("thread")
        return cls(kind, int(digits))


@dataclass(frozen=True)
class NewItem:
    """A new item (handlers/inbox.py ``add_item``): what its thread's figures need of it."""

    id: int
    person_id: int | None
    contact_point_id: int | None
    site_id: int
    status: str
    urgent: bool
    created_at: datetime


def key_of(item: InboxItem | NewItem) -> ThreadKey:
    return key_from(item.person_id, item.contact_point_id, item.id)


def key_from(person_id: int | None, contact_point_id: int | None, item_id: int) -> ThreadKey:
    """The thread of an item: its person; else the sender's number; else the item itself."""
    if person_id is not None:
        return ThreadKey("p", person_id)
    if contact_point_id is not None:
        return ThreadKey("c", contact_point_id)
    return ThreadKey("i", item_id)


def thread_columns() -> tuple[Any, Any, Any]:
    """What makes items one thread: the person; else the sender's number; else the item."""
    contact_key = case((InboxItem.person_id.is_(None), InboxItem.contact_point_id))
    item_key = case(
        (and_(InboxItem.person_id.is_(None), InboxItem.contact_point_id.is_(None)), InboxItem.id)
    )
    return InboxItem.person_id, contact_key, item_key


def item_filter(key: ThreadKey) -> Any:
    """The items of the thread ``key``."""
    if key.kind == "p":
        return InboxItem.person_id == key.id
    if key.kind == "c":
        return and_(InboxItem.person_id.is_(None), InboxItem.contact_point_id == key.id)
    return and_(
        InboxItem.id == key.id, InboxItem.person_id.is_(None), InboxItem.contact_point_id.is_(None)
    )


_THREADS = cast(Table, InboxThread.__table__)
# The column of a thread's row that holds its key's id.
ROW_COLUMNS = {"p": "person_id", "c": "contact_point_id", "i": "item_id"}


def _row_filter(key: ThreadKey) -> Any:
    return getattr(InboxThread, ROW_COLUMNS[key.kind]) == key.id


def figures_columns() -> tuple[Any, ...]:
    """A thread's figures from its items (grouped): site, items, open, urgent, newest."""
    is_open = case((InboxItem.status == "open", 1), else_=0)
    urgent_open = case((and_(InboxItem.status == "open", InboxItem.urgent), 1), else_=0)
    return (
        func.min(InboxItem.site_id).label("site_id"),
        func.max(InboxItem.site_id).label("last_site_id"),
        func.count().label("items"),
        func.coalesce(func.sum(is_open), 0).label("open_items"),
        func.coalesce(func.max(urgent_open), 0).label("urgent"),
        func.max(InboxItem.created_at).label("last_at"),
        func.max(InboxItem.id).label("last_item_id"),
    )


async def row_of(
    session: AsyncSession, key: ThreadKey, *, lock: bool = False
) -> InboxThread | None:
    """The thread's row, read afresh; ``lock``: held until the transaction ends."""
    query = select(InboxThread).where(_row_filter(key))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def _figures(session: AsyncSession, key: ThreadKey) -> Any:
    return (await session.execute(select(*figures_columns()).where(item_filter(key)))).one()


async def _make_row(session: AsyncSession, key: ThreadKey, figures: Any) -> None:
    """The thread's row, unless another transaction made it first (then that one is used)."""
    values = {
        "site_id": figures.site_id,
        "person_id": key.id if key.kind == "p" else None,
        "contact_point_id": key.id if key.kind == "c" else None,
        "item_id": key.id if key.kind == "i" else None,
        "created_at": figures.last_at,
    }
    await session.execute(
        upsert_for(session)(InboxThread)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[ROW_COLUMNS[key.kind]])
    )


async def recount(session: AsyncSession, key: ThreadKey) -> InboxThread | None:
    """Set the thread's figures from its items (a thread of no items is not listed; the row of
    an item about nobody goes with the item). Returns the row, if one is kept."""
    await session.flush()
    row = await row_of(session, key, lock=True)
    figures = await _figures(session, key)
    if row is None:
        if not figures.items:
            return None
        await _make_row(session, key, figures)
        row = await row_of(session, key, lock=True)
        assert row is not None
        figures = await _figures(session, key)  # counted again under the lock
    if not figures.items and key.kind == "i":
        await session.delete(row)
        await session.flush()
        return None
    if figures.items:
        row.site_id = figures.site_id
        row.other_sites = figures.last_site_id != figures.site_id
    row.items = int(figures.items)
    row.open_items = int(figures.open_items)
    row.urgent = bool(figures.urgent)
    row.last_at = figures.last_at
    row.last_item_id = figures.last_item_id
    await session.flush()
    return row


async def recount_all(session: AsyncSession, keys: Iterable[ThreadKey]) -> None:
    for key in sorted(set(keys), key=str):  # one order: two transactions never deadlock
        await recount(session, key)


async def added(session: AsyncSession, item: NewItem) -> None:
    """A new item: its thread counts one more, in one upsert that never reads the thread's other
    items (a number that floods the inbox makes one thread of thousands). Its row is made with
    it, or taken under the row's lock; a row with no items left starts again from this one."""
    key = key_of(item)
    is_open = item.status == "open"
    statement = _added(session.get_bind().dialect.name, ROW_COLUMNS[key.kind])
    await session.execute(
        statement,
        {
            "site_id": item.site_id,
            "other_sites": False,
            "person_id": key.id if key.kind == "p" else None,
            "contact_point_id": key.id if key.kind == "c" else None,
            "item_id": key.id if key.kind == "i" else None,
            "created_at": item.created_at,
            "items": 1,
            "open_items": int(is_open),
            "urgent": is_open and bool(item.urgent),
            "last_at": item.created_at,
            "last_item_id": item.id,
        },
    )


@cache
def _added(dialect: str, key_column: str) -> Any:
    """:func:`added`'s upsert for threads keyed by ``key_column``, built once: only the values
    change from item to item."""
    statement = insert_for(dialect)(_THREADS)
    threads, new = _THREADS.c, statement.excluded
    empty = threads["items"] == 0
    later_at = or_(empty, threads.last_at.is_(None), new.last_at > threads.last_at)
    later_item = or_(empty, threads.last_item_id.is_(None), new.last_item_id > threads.last_item_id)
    return statement.on_conflict_do_update(
        index_elements=[key_column],
        set_={
            "items": threads["items"] + 1,
            "open_items": case((empty, new.open_items), else_=threads.open_items + new.open_items),
            "urgent": case((empty, new.urgent), else_=or_(threads.urgent, new.urgent)),
            "site_id": case(
                (or_(empty, new.site_id < threads.site_id), new.site_id), else_=threads.site_id
            ),
            "other_sites": case(
                (empty, false()), else_=or_(threads.other_sites, new.site_id != threads.site_id)
            ),
            "last_at": case((later_at, new.last_at), else_=threads.last_at),
            "last_item_id": case((later_item, new.last_item_id), else_=threads.last_item_id),
        },
    )


async def keys_where(session: AsyncSession, *where: Any) -> set[ThreadKey]:
    """The threads of the items matching ``where`` (before a bulk change to those items)."""
    person, contact, lone = thread_columns()
    rows = (await session.execute(select(person, contact, lone).where(*where).distinct())).all()
    return {key_from(*row) for row in rows}


async def left_by(session: AsyncSession, contact_ids: list[int]) -> set[ThreadKey]:
    """The items that become threads of their own when these contact points are deleted (the
    database sets their ``contact_point_id`` to NULL): call before, recount them after."""
    if not contact_ids:
        return set()
    ids = await session.scalars(
        select(InboxItem.id).where(
            InboxItem.person_id.is_(None), InboxItem.contact_point_id.in_(contact_ids)
        )
    )
    return {ThreadKey("i", item_id) for item_id in ids}


async def fill(session: AsyncSession) -> int:
    """Rows for every thread that has none yet, counted in one statement: for items inserted
    in bulk (the benchmarks' seeds). Returns how many rows it made (PostgreSQL; SQLite may
    count differently)."""
    person, contact, lone = thread_columns()
    groups = (
        select(person.label("p"), contact.label("c"), lone.label("i"), *figures_columns())
        .group_by(person, contact, lone)
        .subquery()
    )
    missing = select(
        groups.c.site_id,
        groups.c.last_site_id != groups.c.site_id,
        groups.c.p,
        groups.c.c,
        groups.c.i,
        groups.c["items"],  # not .items: that is the collection's own method
        groups.c.open_items,
        groups.c.urgent == 1,
        groups.c.last_at,
        groups.c.last_item_id,
        groups.c.last_at,
    )
    columns = [
        "site_id",
        "other_sites",
        "person_id",
        "contact_point_id",
        "item_id",
        "items",
        "open_items",
        "urgent",
        "last_at",
        "last_item_id",
        "created_at",
    ]
    # A thread that has its row already is left out by its unique key: a NOT EXISTS against
    # the table being filled would read it again for every row.
    if session.get_bind().dialect.name == "postgresql":
        statement: Any = postgresql.insert(InboxThread).from_select(columns, missing)
        statement = statement.on_conflict_do_nothing()
    else:
        statement = insert(InboxThread).from_select(columns, missing).prefix_with("OR IGNORE")
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
