"""Worker heartbeats: how one process knows that another has died.

Every dispatcher writes its heartbeat to ``workers`` every few seconds, on the database's clock.
Rows claimed by a worker without a heartbeat for ``DEAD_AFTER_SECONDS`` are taken over at once
by the stale sweep, rather than after the two-minute lease.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.ratelimit import database_epoch
from storage.models import Worker

HEARTBEAT_SECONDS = 5.0
DEAD_AFTER_SECONDS = 30.0
# A worker silent this long is forgotten altogether.
FORGET_AFTER_SECONDS = 7 * 86400.0


async def beat(session: AsyncSession, worker_id: str) -> None:
    """Record that ``worker_id`` is alive now."""
    now = database_epoch(session.get_bind().dialect.name)
    result = await session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(heartbeat=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        epoch = float(await session.scalar(select(now)) or 0.0)
        try:
            async with session.begin_nested():
                session.add(Worker(id=worker_id, heartbeat=epoch, started_at=epoch))
        except IntegrityError:
            pass
    await session.execute(
        delete(Worker)
        .where(Worker.heartbeat < now - FORGET_AFTER_SECONDS)
        .execution_options(synchronize_session=False)
    )


async def retire(session: AsyncSession, worker_id: str) -> None:
    """A clean stop: whatever this worker still held can be taken over at once."""
    await session.execute(delete(Worker).where(Worker.id == worker_id))


def live_workers(dialect: str) -> Select[Any]:
    """The ids of workers with a recent heartbeat."""
    since: ColumnElement[float] = database_epoch(dialect) - DEAD_AFTER_SECONDS
    return select(Worker.id).where(Worker.heartbeat >= since)
