"""The staff inbox: whatever the bot cannot or should not answer alone."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import thread_figures
from handlers.clock import Clock
from storage.models import InboxItem


async def add_item(
    session: AsyncSession,
    clock: Clock,
    *,
    site_id: int,
    kind: str,
    summary: str | None = None,
    person_id: int | None = None,
    message_id: int | None = None,
    contact_point_id: int | None = None,
    urgent: bool = False,
    assigned_to: int | None = None,
) -> InboxItem:
    item = InboxItem(
        site_id=site_id,
        person_id=person_id,
        message_id=message_id,
        contact_point_id=contact_point_id,
        kind=kind,
        summary=summary,
        urgent=urgent,
        assigned_to=assigned_to,
        status="open",
        created_at=clock.now(),
    )
    session.add(item)
    await session.flush()
    await thread_figures.added(session, item)  # the inbox list's figures, in this transaction
    return item


# Built once: an item nobody reads back as an object is one Core INSERT, with no unit of work.
_ITEMS = cast(Table, InboxItem.__table__)
_INSERT = insert(_ITEMS).returning(_ITEMS.c.id)


async def note_item(
    session: AsyncSession,
    clock: Clock,
    *,
    site_id: int,
    kind: str,
    summary: str | None = None,
    person_id: int | None = None,
    message_id: int | None = None,
    contact_point_id: int | None = None,
    urgent: bool = False,
    assigned_to: int | None = None,
) -> None:
    """:func:`add_item` for a caller that does not need the item back (the message path)."""
    now = clock.now()
    item_id = await session.scalar(
        _INSERT,
        {
            "site_id": site_id,
            "person_id": person_id,
            "message_id": message_id,
            "contact_point_id": contact_point_id,
            "kind": kind,
            "summary": summary,
            "urgent": urgent,
            "assigned_to": assigned_to,
            "status": "open",
            "created_at": now,
        },
    )
    assert item_id is not None
    new = thread_figures.NewItem(item_id, person_id, contact_point_id, site_id, "open", urgent, now)
    await thread_figures.added(session, new)  # the inbox list's figures, in this transaction
