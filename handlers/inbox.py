"""The staff inbox: whatever the bot cannot or should not answer alone."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import thread_figures
from handlers.clock import Clock
from storage.models import InboxItem

# Built once: an item is one Core INSERT, with no unit of work.
_ITEMS = cast(Table, InboxItem.__table__)
_INSERT = insert(_ITEMS).returning(_ITEMS.c.id)


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
) -> int:
    """Open an item and count it in its thread's figures, in the caller's transaction; its id.
    A caller that needs the row reads it (``session.get``): most never do, and on the message
    path an ORM object cost a flush and its bookkeeping."""
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
    return item_id
