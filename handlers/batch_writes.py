"""Writes that a batch of routed texts makes together, just before it commits.

Routing a text writes things nothing else in its batch reads back: the text's own fields (who
wrote, which site, when it was routed), its answers, the sender's reply budget and, on SQLite,
when the sender last wrote. Gathered here, each is one statement per batch (an executemany)
instead of one per text: under load, what limits routing is a text's round trips to the
database (issue 17). Before a second text from a sender already in the batch is routed, what
is gathered is written, so that text reads its sender's answers and budget as if each text had
had its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, reply_budget
from storage.models import ContactPoint, Message

_MESSAGES = cast(Table, Message.__table__)
_MESSAGE_ROUTED = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id"))
_CONTACTS = cast(Table, ContactPoint.__table__)
_CONTACT_SEEN = (
    update(_CONTACTS)
    .where(_CONTACTS.c.id == bindparam("contact_id"))
    .values(last_inbound_at=bindparam("now", type_=_CONTACTS.c.last_inbound_at.type))
)


async def mark_routed(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write routed texts' own fields (``message_id``, ``contact_point_id``, ``person_id``,
    ``site_id``, ``processed_at``): one UPDATE, or for many one ``executemany``."""
    if rows:
        await session.execute(_MESSAGE_ROUTED, rows if len(rows) > 1 else rows[0])


async def mark_seen(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Note when senders last wrote (``contact_id``, ``now``): SQLite's; on PostgreSQL the router
    marks the sender at once, as its row lock (handlers/router.py)."""
    if rows:
        await session.execute(_CONTACT_SEEN, rows if len(rows) > 1 else rows[0])


@dataclass
class BatchWrites:
    routed: list[dict[str, Any]] = field(default_factory=list)  # for :func:`mark_routed`
    answers: list[dict[str, Any]] = field(default_factory=list)  # from outbox.answer_values
    budgets: list[reply_budget.State] = field(default_factory=list)
    seen_at: list[dict[str, Any]] = field(default_factory=list)  # for :func:`mark_seen`
    senders: set[tuple[str, str]] = field(default_factory=set)

    async def before(self, session: AsyncSession, channel: str, address: str | None) -> None:
        """Before a text is routed: if its sender has a text in the batch already, write what is
        gathered, so that this one reads what that one wrote."""
        sender = (channel, address or "")
        if sender in self.senders:
            await self.write(session)
        self.senders.add(sender)

    async def write(self, session: AsyncSession) -> None:
        """Write what is gathered, and start again from nothing."""
        routed, answers, budgets, seen = self.routed, self.answers, self.budgets, self.seen_at
        self.routed, self.answers, self.budgets, self.seen_at = [], [], [], []
        self.senders = set()
        await mark_seen(session, seen)
        await outbox.insert_answers(session, answers)
        await reply_budget.write(session, budgets)
        await mark_routed(session, routed)
