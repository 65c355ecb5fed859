"""A sender edits a text they sent (Telegram): staff see the new words, marked "(endret)".

An edit is never routed again: an answer already counted ("JA") is not counted twice, and a
command is not run twice. Staff read the new text in the thread and in the open inbox item.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.incoming_text import clean_text
from storage.models import InboxItem, Message


async def apply_edit(
    session: AsyncSession, *, channel: str, provider_ref: str, text: str, edited_at: datetime
) -> bool:
    """Put the edited text on the stored message. False if Los never stored the original."""
    message = await session.scalar(
        select(Message).where(
            Message.channel == channel,
            Message.provider_ref == provider_ref,
            Message.direction == "in",
        )
    )
    if message is None or message.address is None:  # unknown, or erased since
        return False
    new_text = clean_text(text)
    old_text = message.text
    message.text = new_text
    message.edited_at = edited_at
    await session.execute(
        update(InboxItem)
        .where(
            InboxItem.message_id == message.id,
            InboxItem.status == "open",
            InboxItem.summary == old_text,
        )
        .values(summary=new_text)
        .execution_options(synchronize_session=False)
    )
    return True
