"""Handling stored incoming texts: right after the webhook, and again for any a crash left."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.context import Rules
from handlers.router import handle_inbound
from scheduler.metrics import ROUTE_SECONDS
from storage.models import Message

log = logging.getLogger(__name__)

# A text younger than this may still be in the hands of the request that stored it.
SWEEP_AFTER = timedelta(seconds=30)


async def process(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules, message_id: int
) -> bool:
    """Route one stored text in its own transaction. False (and logged) if it failed.

    A failure leaves the text unprocessed, so the sweep tries it again; it never loses it.
    """
    try:
        with ROUTE_SECONDS.time():
            async with sessions.begin() as session:
                await handle_inbound(session, clock, rules, message_id)
        return True
    except Exception:
        log.exception("could not handle incoming message %s; the sweep will retry", message_id)
        return False


async def sweep(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Periodic job: handle incoming texts that were stored but never handled."""
    pending = list(
        await session.scalars(
            select(Message.id)
            .where(
                Message.direction == "in",
                Message.processed_at.is_(None),
                Message.address.is_not(None),
                Message.created_at < clock.now() - SWEEP_AFTER,
            )
            .order_by(Message.id)
            .limit(200)
        )
    )
    for message_id in pending:
        async with session.begin_nested():
            await handle_inbound(session, clock, rules, message_id)
    return len(pending)
