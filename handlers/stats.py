"""The figures a yearly report needs. Features add their sections in handlers/features.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import figures
from storage.models import ContactPoint, Person


async def message_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Texts in and out by status, and opt-outs, in [start, end)."""

    found = await figures.counts(session, site_id, start, end)
    received = sum(n for (direction, _), n in found.items() if direction == "in")
    out = {status: n for (direction, status), n in found.items() if direction == "out"}
    opt_query = (
        select(func.count())
        .select_from(ContactPoint)
        .where(ContactPoint.opted_out_at >= start, ContactPoint.opted_out_at < end)
    )
    if site_id is not None:
        opt_query = opt_query.join(Person, Person.id == ContactPoint.person_id).where(
            Person.site_id == site_id
        )
    return {
        "received": int(received or 0),
        "sent": out.get("sent", 0) + out.get("delivered", 0),
        "delivered": out.get("delivered", 0),
        "failed": out.get("failed", 0),
        "skipped": out.get("skipped", 0),
        "opt_outs": int(await session.scalar(opt_query) or 0),
    }
