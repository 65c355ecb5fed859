"""Follow-up in the yearly report: volunteer assignments over a period, and how the signs-of-life
follow-up went (who was reached within their threshold, gentle texts, inbox items raised)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.followup import signs
from storage.models import (
    AssignmentMeeting,
    InboxItem,
    Message,
    Person,
    SignOfLife,
    VolunteerAssignment,
)


def in_site(query: Any, column: Any, site_id: int | None) -> Any:
    return query.where(column == site_id) if site_id is not None else query


async def assignments_in_period(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, float]:
    """Running at the period's end (started, not ended by then), started in it, ended and
    handed over in it, and the meetings (``TREFF``) and their hours in it. ``start``/``end``
    are local midnights; the start date of an assignment is a local date."""
    rows = await session.execute(
        in_site(
            select(
                VolunteerAssignment.starts_on,
                VolunteerAssignment.status,
                VolunteerAssignment.ended_at,
            ),
            VolunteerAssignment.site_id,
            site_id,
        )
    )
    first, last = start.date(), end.date()
    running = started = ended = handed_over = 0
    for starts_on, status, ended_at in rows.all():
        if starts_on < last and (ended_at is None or ended_at >= end):
            running += 1
        if first <= starts_on < last:
            started += 1
        if ended_at is not None and start <= ended_at < end:
            if status == "handed_over":
                handed_over += 1
            else:
                ended += 1
    count, minutes = (
        await session.execute(
            in_site(
                select(func.count(), func.coalesce(func.sum(AssignmentMeeting.minutes), 0))
                .join(
                    VolunteerAssignment,
                    VolunteerAssignment.id == AssignmentMeeting.assignment_id,
                )
                .where(AssignmentMeeting.met_at >= start, AssignmentMeeting.met_at < end),
                VolunteerAssignment.site_id,
                site_id,
            )
        )
    ).one()
    return {
        "active": running,
        "started": started,
        "ended": ended,
        "handed_over": handed_over,
        "meetings": int(count),
        "hours": round(int(minutes) / 60, 1),
    }


async def signs_in_period(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime, now: datetime
) -> dict[str, int]:
    """People followed (an active plan or assignment; plans keep no history, so this is who is
    followed now): heard from by any signal within their threshold before the period's end, or
    now if it has not ended, or not; and the gentle texts and inbox items (key worker, team)
    the follow-up raised in the period."""
    as_of = min(now, end)
    followed = await signs.followed_people(session)
    query = in_site(
        select(Person.id).where(Person.id.in_(followed), Person.created_at <= as_of),
        Person.site_id,
        site_id,
    )
    ids = list(await session.scalars(query))
    latest = await signs.latest_signals(session, ids, as_of)
    rows = {
        r.person_id: r
        for r in await session.scalars(select(SignOfLife).where(SignOfLife.person_id.in_(ids)))
    }
    reached = 0
    for person_id in ids:
        row = rows.get(person_id)
        seen = [latest[person_id][0]] if person_id in latest else []
        if row is not None and row.last_seen_at is not None and row.last_seen_at <= as_of:
            seen.append(row.last_seen_at)
        threshold = row.threshold_days if row else signs.DEFAULT_THRESHOLD_DAYS
        if seen and as_of - max(seen) < timedelta(days=threshold):
            reached += 1
    texts = await session.scalar(
        in_site(
            select(func.count())
            .select_from(Message)
            .where(
                Message.direction == "out",
                Message.kind == "not_heard",
                Message.created_at >= start,
                Message.created_at < end,
            ),
            Message.site_id,
            site_id,
        )
    )
    items = await session.execute(
        in_site(
            select(InboxItem.kind, func.count())
            .where(
                or_(InboxItem.kind == "not_seen", InboxItem.kind == "not_seen_team"),
                InboxItem.created_at >= start,
                InboxItem.created_at < end,
            )
            .group_by(InboxItem.kind),
            InboxItem.site_id,
            site_id,
        )
    )
    raised = {kind: int(n) for kind, n in items.all()}
    return {
        "followed": len(ids),
        "reached": reached,
        "not_reached": len(ids) - reached,
        "gentle_texts": int(texts or 0),
        "key_worker_items": raised.get("not_seen", 0),
        "team_items": raised.get("not_seen_team", 0),
    }
