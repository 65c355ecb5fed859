"""Volunteer hours and full-time equivalents for the statistics, and erasing a volunteer's rota
data.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assignment, Shift

# 1 full-time equivalent (årsverk) = 1695 working hours a year: 37.5 hours a week over 52 weeks
# less holidays and public holidays, the figure Norwegian yearly reports commonly use.
FTE_HOURS_PER_YEAR = 1695.0


# --- statistics and erasure -------------------------------------------------------------------
async def volunteer_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Shifts, places filled, volunteer hours and full-time equivalents for shifts starting in
    [start, end). Hours count for each confirmed volunteer on a shift that took place (a
    no-show does not count)."""
    query = select(Shift).where(
        Shift.starts_at >= start, Shift.starts_at < end, Shift.status != "cancelled"
    )
    if site_id is not None:
        query = query.where(Shift.site_id == site_id)
    shifts = {s.id: s for s in await session.scalars(query)}
    statuses: Counter[str] = Counter()
    confirmed: Counter[int] = Counter()
    hours = 0.0
    volunteers: set[int] = set()
    if shifts:
        rows = await session.execute(
            select(Assignment.shift_id, Assignment.person_id, Assignment.status).where(
                Assignment.shift_id.in_(list(shifts))
            )
        )
        for shift_id, person_id, status in rows.all():
            statuses[status] += 1
            if status == "confirmed":
                confirmed[shift_id] += 1
                shift = shifts[shift_id]
                if shift.status == "done":
                    hours += (shift.ends_at - shift.starts_at).total_seconds() / 3600
                    volunteers.add(person_id)
    # Whole days, so a month with a daylight-saving change still counts as its days.
    years = max(1, round((end - start).total_seconds() / 86400)) / 365
    return {
        "shifts": len(shifts),
        "places": sum(s.needed for s in shifts.values()),
        "places_filled": sum(min(confirmed[i], s.needed) for i, s in shifts.items()),
        "shifts_filled": sum(confirmed[i] >= s.needed for i, s in shifts.items()),
        "shifts_held": sum(s.status == "done" for s in shifts.values()),
        "declined": statuses["declined"],
        "expired": statuses["expired"],
        "cancelled": statuses["cancelled"],
        "no_shows": statuses["no_show"],
        "volunteers": len(volunteers),
        "volunteer_hours": round(hours, 2),
        "fte_hours_per_year": FTE_HOURS_PER_YEAR,
        "full_time_equivalents": round(hours / (FTE_HOURS_PER_YEAR * years), 3),
    }


async def hours_by_volunteer(
    session: AsyncSession, site_ids: list[int] | None, start: datetime, end: datetime
) -> list[tuple[int, float, float]]:
    """Each volunteer's hours on shifts held in [start, end), with the full-time equivalent over
    that period: (person id, hours, FTE), most hours first."""
    query = (
        select(Assignment.person_id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.status == "confirmed",
            Shift.status == "done",
            Shift.starts_at >= start,
            Shift.starts_at < end,
        )
    )
    if site_ids is not None:
        query = query.where(Shift.site_id.in_(site_ids))
    hours: dict[int, float] = {}
    for person_id, begins, ends in (await session.execute(query)).all():
        hours[person_id] = hours.get(person_id, 0.0) + (ends - begins).total_seconds() / 3600
    years = max(1, round((end - start).total_seconds() / 86400)) / 365
    return [
        (person_id, round(h, 1), round(h / (FTE_HOURS_PER_YEAR * years), 3))
        for person_id, h in sorted(hours.items(), key=lambda item: -item[1])
    ]
