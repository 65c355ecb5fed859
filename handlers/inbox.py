"""The staff inbox: whatever the bot cannot or should not answer alone."""

from __future__ import annotations

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
