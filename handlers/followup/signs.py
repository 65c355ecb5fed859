"""Signs of life: "har du sett ham?" as a list instead of a worry.

Each person with an active check-in plan or volunteer assignment has one "last seen", from every
signal Los knows of: a text in (any answer counts), attendance at an activity or appointment, a
meeting their volunteer reported, and staff tapping "seen today". Past the person's threshold
(14 days by default): first a gentle text, three days later an inbox item for the key worker,
seven days after the text one for the team. A partner is suggested only where the person's consent
to contact that partner is recorded. Nothing here ever ends a service, and any signal starts over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox
from handlers.clock import Clock
from handlers.context import Rules
from handlers.followup import consent
from handlers.texts import t
from storage.models import (
    Activity,
    Appointment,
    AssignmentMeeting,
    CheckinPlan,
    Message,
    Person,
    SignOfLife,
    Signup,
    VolunteerAssignment,
)

DEFAULT_THRESHOLD_DAYS = 14
KEY_WORKER_AFTER = timedelta(days=3)
TEAM_AFTER = timedelta(days=7)
STEP_NONE, STEP_TEXTED, STEP_KEY_WORKER, STEP_TEAM = 0, 1, 2, 3


async def followed_people(session: AsyncSession) -> list[int]:
    """People with an active plan or assignment: the ones whose silence matters."""
    plans = select(CheckinPlan.person_id).where(CheckinPlan.status == "active")
    assigned = select(VolunteerAssignment.participant_id).where(
        VolunteerAssignment.status == "active"
    )
    rows = await session.scalars(
        select(Person.id).where(
            Person.erased_at.is_(None), Person.id.in_(plans.union(assigned).scalar_subquery())
        )
    )
    return list(rows)


async def latest_signals(
    session: AsyncSession, person_ids: Iterable[int], now: datetime
) -> dict[int, tuple[datetime, str]]:
    """The newest signal of each person, and what it was."""
    ids = list(person_ids)
    found: dict[int, tuple[datetime, str]] = {}

    def keep(rows: Iterable[tuple[int, datetime | None]], signal: str) -> None:
        for person_id, when in rows:
            if (
                when is not None
                and when <= now
                and (person_id not in found or when > found[person_id][0])
            ):
                found[person_id] = (when, signal)

    if not ids:
        return found
    keep(
        (
            await session.execute(
                select(Message.person_id, func.max(Message.created_at))
                .where(Message.direction == "in", Message.person_id.in_(ids))
                .group_by(Message.person_id)
            )
        ),
        "text",
    )
    keep(
        (
            await session.execute(
                select(Signup.person_id, func.max(Activity.starts_at))
                .join(Activity, Activity.id == Signup.activity_id)
                .where(Signup.status == "attended", Signup.person_id.in_(ids))
                .group_by(Signup.person_id)
            )
        ),
        "activity",
    )
    keep(
        (
            await session.execute(
                select(Appointment.person_id, func.max(Appointment.starts_at))
                .where(Appointment.status == "attended", Appointment.person_id.in_(ids))
                .group_by(Appointment.person_id)
            )
        ),
        "appointment",
    )
    keep(
        (
            await session.execute(
                select(VolunteerAssignment.participant_id, func.max(AssignmentMeeting.met_at))
                .join(
                    VolunteerAssignment,
                    VolunteerAssignment.id == AssignmentMeeting.assignment_id,
                )
                .where(VolunteerAssignment.participant_id.in_(ids))
                .group_by(VolunteerAssignment.participant_id)
            )
        ),
        "meeting",
    )
    keep(
        (
            await session.execute(
                select(SignOfLife.person_id, SignOfLife.staff_seen_at).where(
                    SignOfLife.person_id.in_(ids)
                )
            )
        ),
        "seen",
    )
    return found


async def row_for(session: AsyncSession, person_id: int) -> SignOfLife:
    row = await session.get(SignOfLife, person_id)
    if row is None:
        row = SignOfLife(person_id=person_id, threshold_days=DEFAULT_THRESHOLD_DAYS, step=0)
        session.add(row)
        await session.flush()
    return row


def note(row: SignOfLife, when: datetime, signal: str) -> None:
    """A newer signal: remember it and start over."""
    if row.last_seen_at is None or when > row.last_seen_at:
        row.last_seen_at = when
        row.last_signal = signal
        row.step = STEP_NONE
        row.step_at = None


async def seen_today(session: AsyncSession, clock: Clock, person: Person) -> SignOfLife:
    """Staff tapped "seen today"."""
    row = await row_for(session, person.id)
    row.staff_seen_at = clock.now()
    note(row, clock.now(), "seen")
    return row


async def step_along(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Bring every followed person's "last seen" up to date and take the next step for those
    past their threshold. Returns how many steps were taken."""
    now = clock.now()
    ids = await followed_people(session)
    signals = await latest_signals(session, ids, now)
    steps = 0
    for person_id in ids:
        row = await row_for(session, person_id)
        if person_id in signals:
            note(row, *signals[person_id])
        if row.last_seen_at is None:
            note(row, now, "followed")  # counting starts when following starts
            continue
        person = await session.get(Person, person_id)
        assert person is not None and row.last_seen_at is not None
        if await take_step(session, clock, person, row, now):
            steps += 1
    return steps


async def take_step(
    session: AsyncSession, clock: Clock, person: Person, row: SignOfLife, now: datetime
) -> bool:
    assert row.last_seen_at is not None
    days = (now - row.last_seen_at).days
    if row.step == STEP_NONE and now >= row.last_seen_at + timedelta(days=row.threshold_days):
        row.step, row.step_at = STEP_TEXTED, now
        if await consent.texts_allowed(session, person.id):
            await outbox.queue_to_person(
                session,
                clock,
                person,
                t(person.language, "not_heard"),
                kind="not_heard",
                key=f"not_heard:{person.id}:{row.last_seen_at:%Y%m%d%H%M%S}",
            )
        return True
    if row.step_at is None:
        return False
    hint = await partner_hint(session, person.id)
    signal = t("nb", f"signal_{row.last_signal}") if row.last_signal else "-"
    if row.step == STEP_TEXTED and now >= row.step_at + KEY_WORKER_AFTER:
        row.step = STEP_KEY_WORKER
        await inbox.add_item(
            session,
            clock,
            site_id=person.site_id,
            kind="not_seen",
            summary=t("nb", "not_seen_inbox", days=days, signal=signal, hint=hint),
            person_id=person.id,
            assigned_to=person.contact_staff_id,
        )
        return True
    if row.step == STEP_KEY_WORKER and now >= row.step_at + TEAM_AFTER:
        row.step = STEP_TEAM
        await inbox.add_item(
            session,
            clock,
            site_id=person.site_id,
            kind="not_seen_team",
            summary=t("nb", "not_seen_team_inbox", days=days, hint=hint),
            person_id=person.id,
        )
        return True
    return False


async def partner_hint(session: AsyncSession, person_id: int) -> str:
    """ " Samtykke er registrert for kontakt med: NAV." only where consent is recorded."""
    parties = await consent.partners_allowed(session, person_id)
    return t("nb", "consent_hint", parties=", ".join(parties)) if parties else ""


@dataclass(frozen=True)
class NotSeen:
    person: Person
    last_seen_at: datetime
    last_signal: str | None
    days: int
    threshold_days: int
    step: int


async def not_seen(
    session: AsyncSession, site_ids: frozenset[int] | None, now: datetime, *, everyone: bool = False
) -> list[NotSeen]:
    """Followed people past their threshold (``everyone``: all followed), longest silence first."""
    query = (
        select(SignOfLife, Person)
        .join(Person, Person.id == SignOfLife.person_id)
        .where(Person.erased_at.is_(None), SignOfLife.last_seen_at.is_not(None))
    )
    if site_ids is not None:
        query = query.where(Person.site_id.in_(sorted(site_ids)))
    followed = set(await followed_people(session))
    found: list[NotSeen] = []
    for row, person in await session.execute(query):
        assert row.last_seen_at is not None
        days = (now - row.last_seen_at).days
        if person.id in followed and (everyone or days >= row.threshold_days):
            found.append(
                NotSeen(
                    person, row.last_seen_at, row.last_signal, days, row.threshold_days, row.step
                )
            )
    return sorted(found, key=lambda n: (-n.days, n.person.id))
