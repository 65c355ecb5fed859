"""Erasure of the follow-up a person had: what they agreed to, what staff recorded for matching,
their place on shared phones and their reminders. Assignment rows stay (ended) for the figures."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.context import Rules
from storage.models import (
    Consent,
    MatchingProfile,
    Person,
    PhoneSharer,
    ReminderSeries,
    SignOfLife,
    VolunteerAssignment,
)


async def erase_followup(session: AsyncSession, clock: Clock, rules: Rules, person: Person) -> None:
    for model in (Consent, MatchingProfile, PhoneSharer, SignOfLife):
        await session.execute(delete(model).where(model.person_id == person.id))
    await session.execute(
        update(ReminderSeries)
        .where(ReminderSeries.person_id == person.id)
        .values(status="ended", text=None, next_due_at=None)
    )
    for column in (VolunteerAssignment.volunteer_id, VolunteerAssignment.participant_id):
        await session.execute(
            update(VolunteerAssignment)
            .where(column == person.id, VolunteerAssignment.status.in_(("active", "paused")))
            .values(status="ended", goal=None, ended_at=clock.now())
            .execution_options(synchronize_session=False)
        )
