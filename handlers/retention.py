"""Least data: message and check-in texts are blanked when older than the retention period.

Rows stay (status, time, kind), so statistics keep their counts; the words people wrote do not
outlive their use. Inbox items that are still open keep their text until staff resolve them.

The work comes in batches of at most ``BATCH`` rows per table, oldest first, each read through
an index that holds only what is still to blank; the scheduler commits each batch on its own
(``scheduler/jobs.py``), so no write lock is held for long whatever the size of the history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.context import Rules
from storage.models import CheckinRound, InboxItem, Message, MessageAttachment

BATCH = 2000


async def _blank(session: AsyncSession, model: type, ids: list[int], **values: object) -> int:
    if ids:
        await session.execute(
            update(model)
            .where(model.id.in_(ids))  # type: ignore[attr-defined]
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def held_open(message_id: Any) -> Any:
    """An open inbox item still holds this text: asked of each candidate through
    ``ix_inbox_items_message``, not by listing every open item's text (at 100,000 items that
    list was most of a batch's cost)."""
    return exists().where(InboxItem.message_id == message_id, InboxItem.status == "open")


def oldest_kept(cutoff: datetime, batch: int) -> Select[int]:
    """The next texts to blank, read through ``ix_messages_text_kept`` (only kept texts)."""
    return (
        select(Message.id)
        .where(
            Message.created_at < cutoff,
            Message.text.is_not(None),
            Message.status.not_in(("queued", "sending")),
            ~held_open(Message.id),
        )
        .order_by(Message.created_at)
        .limit(batch)
    )


async def blank_old_texts(
    session: AsyncSession, clock: Clock, rules: Rules, batch: int = BATCH
) -> int:
    """One batch: blank up to ``batch`` texts of messages, attachments' references, resolved
    inbox items and check-in rounds past retention. Returns how many rows it changed; 0 means
    nothing is left."""
    cutoff = clock.now() - timedelta(days=rules.retention_days)
    messages = list(await session.scalars(oldest_kept(cutoff, batch)))
    # Attachments' provider references go with the words (the kind stays for the counts).
    # Read from the attachments, each checked against its message by key: SQLite otherwise
    # went through every incoming text (0.95 s at 1M texts) to find the few with attachments.
    attachments = list(
        await session.scalars(
            select(MessageAttachment.id)
            .where(
                MessageAttachment.provider_ref.is_not(None),
                exists().where(
                    Message.id == MessageAttachment.message_id,
                    Message.direction == "in",
                    Message.created_at < cutoff,
                ),
                ~held_open(MessageAttachment.message_id),
            )
            .limit(batch)
        )
    )
    items = list(
        await session.scalars(
            select(InboxItem.id)
            .where(
                InboxItem.status == "resolved",
                InboxItem.created_at < cutoff,
                InboxItem.summary.is_not(None),
            )
            .limit(batch)
        )
    )
    rounds = list(
        await session.scalars(
            select(CheckinRound.id)
            .where(CheckinRound.asked_at < cutoff, CheckinRound.free_text.is_not(None))
            .limit(batch)
        )
    )
    return (
        await _blank(session, Message, messages, text=None)
        + await _blank(session, MessageAttachment, attachments, provider_ref=None)
        + await _blank(session, InboxItem, items, summary=None)
        + await _blank(session, CheckinRound, rounds, free_text=None)
    )
