"""Texts counted by day, so figures for a year cost days, not texts.

A database trigger (migration 0019) adds a signed row to ``message_day_changes`` for every
text stored, every change of its status or site and every delete; :func:`fold` moves them
into ``message_days``. A period's counts are the whole UTC days from both tables plus the
texts of the partial days at its edges, counted live through ``ix_messages_created_at``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.context import Rules
from storage.db import upsert_for
from storage.models import Message, MessageDay, MessageDayChange

Counts = Counter[tuple[str, str]]  # (direction, status) -> texts


async def fold(
    session: AsyncSession, clock: Clock | None = None, rules: Rules | None = None
) -> int:
    """Periodic job: move the recorded changes into the daily counts. The rows it deletes are
    the rows it adds up (``RETURNING``), so a change committed meanwhile waits for the next run."""
    taken = (
        await session.execute(
            delete(MessageDayChange).returning(
                MessageDayChange.day,
                MessageDayChange.site_id,
                MessageDayChange.direction,
                MessageDayChange.status,
                MessageDayChange.delta,
            )
        )
    ).all()
    sums: Counter[tuple[date, int, str, str]] = Counter()
    for day, site_id, direction, status, delta in taken:
        sums[(day, site_id, direction, status)] += delta
    rows = [
        {"day": k[0], "site_id": k[1], "direction": k[2], "status": k[3], "count": n}
        for k, n in sums.items()
        if n
    ]
    if rows:
        statement: Any = upsert_for(session)(MessageDay)
        statement = statement.on_conflict_do_update(
            index_elements=["day", "site_id", "direction", "status"],
            set_={"count": MessageDay.count + statement.excluded.count},
        )
        for start in range(0, len(rows), 500):
            await session.execute(statement, rows[start : start + 500])
    return len(taken)


def whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The UTC days wholly inside [start, end), as [first, after), or None."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
    after = end.date()
    return (first, after) if first < after else None


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def _live(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> Counts:
    if start >= end:
        return Counter()
    rows = (await session.execute(live_query(site_id, start, end))).all()
    return Counter({(d, s): int(n) for d, s, n in rows})


def live_query(site_id: int | None, start: datetime, end: datetime) -> Select[str, str, int]:
    """Texts of part of a day by (direction, status), read through ``ix_messages_created_at``."""
    query = (
        select(Message.direction, Message.status, func.count())
        .where(Message.created_at >= start, Message.created_at < end)
        .group_by(Message.direction, Message.status)
    )
    if site_id is not None:
        query = query.where(Message.site_id == site_id)
    return query


async def _days(session: AsyncSession, site_id: int | None, first: date, after: date) -> Counts:
    counts: Counts = Counter()
    for table, amount in (
        (MessageDay, MessageDay.count),
        (MessageDayChange, MessageDayChange.delta),
    ):
        query = (
            select(table.direction, table.status, func.sum(amount))
            .where(table.day >= first, table.day < after)
            .group_by(table.direction, table.status)
        )
        if site_id is not None:
            query = query.where(table.site_id == site_id)
        for direction, status, n in (await session.execute(query)).all():
            counts[(direction, status)] += int(n or 0)
    return counts


async def counts(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> Counts:
    """Texts created in [start, end) by (direction, status), optionally of one site."""
    days = whole_days(start, end)
    if days is None:
        return await _live(session, site_id, start, end)
    first, after = days
    total = await _days(session, site_id, first, after)
    total.update(await _live(session, site_id, start, midnight(first)))
    total.update(await _live(session, site_id, midnight(after), end))
    return total
