"""Least data: message and check-in texts are blanked when older than the retention period.

Rows stay (status, time, kind), so statistics keep their counts; the words people wrote do not
outlive their use. Inbox items that are still open keep their text until staff resolve them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.attachments import forget_references
from handlers.clock import Clock
from handlers.context import Rules
from storage.models import CheckinRound, InboxItem, Message


async def blank_old_texts(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Periodic job: blank texts of messages and resolved inbox items past retention."""
    cutoff = clock.now() - timedelta(days=rules.retention_days)
    still_open = select(InboxItem.message_id).where(
        InboxItem.status == "open", InboxItem.message_id.is_not(None)
    )
    messages = await session.execute(
        update(Message)
        .where(
            Message.created_at < cutoff,
            Message.text.is_not(None),
            Message.status.not_in(("queued", "sending")),
            Message.id.not_in(still_open),
        )
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    # Attachments' provider references go with the words (the kind stays for the counts).
    await forget_references(
        session,
        select(Message.id).where(
            Message.direction == "in",
            Message.created_at < cutoff,
            Message.id.not_in(still_open),
        ),
    )
    await session.execute(
        update(InboxItem)
        .where(
            InboxItem.status == "resolved",
            InboxItem.created_at < cutoff,
            InboxItem.summary.is_not(None),
        )
        .values(summary=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(CheckinRound)
        .where(CheckinRound.asked_at < cutoff, CheckinRound.free_text.is_not(None))
        .values(free_text=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(messages, "rowcount", 0) or 0)
