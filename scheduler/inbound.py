"""Handling incoming texts one at a time: again for any a crash left (the sweep), from the spool
for any the database could not take when they came, and for a batch that could not commit.
Right after the webhook they are routed in batches (scheduler/routing.py).

Each text is handled in its own transaction, so one that fails never holds up the others. A
text that fails three times (not for want of a database) is marked ``failed`` and goes to the
staff inbox, to be read by a person; the sweep then leaves it alone.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.attachments import IncomingAttachment
from handlers.clock import Clock
from handlers.context import Rules
from handlers.inbox import add_item
from handlers.router import ButtonPress, handle_inbound, inbound_values, store_inbound
from handlers.sites import site_for_number
from handlers.texts import t
from scheduler.metrics import INBOUND_FAILED, MESSAGES_IN, ROUTE_SECONDS
from scheduler.outage import Outage, is_unavailable
from storage.models import Message

log = logging.getLogger(__name__)

# A text younger than this may still be in the hands of the request that stored it.
SWEEP_AFTER = timedelta(seconds=30)
# Failed attempts (the database reachable) before a text is left to staff.
MAX_ATTEMPTS = 3
OUTAGE = Outage("handling incoming texts")


@dataclass(frozen=True)
class Incoming:
    """A text as a webhook received it: what is stored, or spooled when it cannot be."""

    channel: str
    address: str
    text: str
    provider_id: str
    received_at: datetime
    kind: str = "inbound"
    via: str | None = None
    attachments: tuple[IncomingAttachment, ...] = ()
    provider_ref: str | None = None
    button: ButtonPress | None = None

    def row(self) -> dict[str, Any]:
        """Its stored row (handlers/router.py ``inbound_values``): all but the attachments."""
        return inbound_values(
            channel=self.channel,
            address=self.address,
            text=self.text,
            provider_id=self.provider_id,
            received_at=self.received_at,
            kind=self.kind,
            via=self.via,
            provider_ref=self.provider_ref,
            button=self.button,
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "received_at": self.received_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incoming:
        button = data.get("button")
        return cls(
            **{
                **data,
                "received_at": datetime.fromisoformat(data["received_at"]),
                "attachments": tuple(IncomingAttachment(**a) for a in data.get("attachments", ())),
                "button": ButtonPress(**button) if button else None,
            }
        )


async def store_text(sessions: async_sessionmaker[AsyncSession], incoming: Incoming) -> int | None:
    """Store one text and commit: the id, or None for a provider id stored before."""
    async with sessions.begin() as session:
        message_id = await store_inbound(session, incoming.row(), incoming.attachments)
    if message_id is not None:
        MESSAGES_IN.labels(incoming.channel).inc()
    return message_id


async def store_and_route(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules, incoming: Incoming
) -> int | None:
    """Store a text once (deduplicated on the provider id) and commit it, then route it.

    Returns the stored id, or None for a provider id seen before. Raises if it cannot be stored;
    a routing failure is recorded and left for the sweep, as the text is safe by then.
    """
    message_id = await store_text(sessions, incoming)
    if message_id is None:
        return None
    await process(sessions, clock, rules, message_id)
    return message_id


async def process(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules, message_id: int
) -> bool:
    """Route one stored text in its own transaction. False (and recorded) if it failed.

    A failure leaves the text unprocessed, so the sweep tries it again; it never loses it.
    """
    try:
        with ROUTE_SECONDS.time():
            async with sessions.begin() as session:
                await handle_inbound(session, clock, rules, message_id)
        OUTAGE.ok()
        return True
    except Exception as exc:
        if is_unavailable(exc):
            OUTAGE.failed(exc)  # not the text's fault: no attempt is counted
            return False
        log.exception("could not handle incoming message %s; the sweep will retry", message_id)
        await count_failure(sessions, clock, message_id, exc)
        return False


async def count_failure(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, message_id: int, exc: Exception
) -> None:
    """:func:`record_failure`, when the database may be what failed: then the outage is noted
    and the attempt goes uncounted (the sweep tries the text again all the same)."""
    try:
        await record_failure(sessions, clock, message_id, exc)
    except Exception as again:
        OUTAGE.failed(again)


async def record_failure(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, message_id: int, exc: Exception
) -> None:
    """Count a failed attempt; the third one leaves the text to staff."""
    async with sessions.begin() as session:
        message = await session.get(Message, message_id, with_for_update=True)
        if message is None or message.processed_at is not None:
            return
        message.attempts = (message.attempts or 0) + 1
        message.error = type(exc).__name__[:200]
        if message.attempts < MAX_ATTEMPTS:
            return
        message.status = "failed"
        site = await site_for_number(session, message.via)
        if site is not None:
            note = t("nb", "inbound_failed_inbox")
            await add_item(
                session,
                clock,
                site_id=site.id,
                kind="inbound_failed",
                summary=f"{note}\n{message.text or ''}",
                message_id=message.id,
                contact_point_id=message.contact_point_id,
            )
    INBOUND_FAILED.inc()
    log.error("incoming message %s failed %d times; left to staff", message_id, MAX_ATTEMPTS)


async def sweep(sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules) -> int:
    """Periodic job: handle incoming texts that were stored but never handled, each alone."""
    async with sessions() as session:
        pending = list(
            await session.scalars(
                select(Message.id)
                .where(
                    Message.direction == "in",
                    Message.processed_at.is_(None),
                    Message.status != "failed",
                    Message.address.is_not(None),
                    Message.created_at < clock.now() - SWEEP_AFTER,
                )
                .order_by(Message.id)
                .limit(200)
            )
        )
    for message_id in pending:
        await process(sessions, clock, rules, message_id)
    return len(pending)
