"""Staff actions on the rota: put a volunteer on a shift by hand, change an assignment's status,
call a whole shift off, start an open call.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, questions
from handlers.clock import Clock
from handlers.context import Rules
from handlers.errors import Conflict, InputError
from handlers.rota.offers import (
    close_offer_question,
    confirm,
    open_call,
    pass_on,
    release,
    settle_if_full,
    window_of,
)
from handlers.rota.shifts import assignments_of, count_status, lock_shift, shift_words, site_tz
from handlers.texts import t
from storage.loading import load
from storage.models import Assignment, CalendarToken, Person, Shift, Site, VolunteerTerms
from storage.models.rota import ACTIVE_STATUSES

# --- staff actions ----------------------------------------------------------------------------


async def tell(
    session: AsyncSession, clock: Clock, shift: Shift, person: Person, text_key: str, key: str
) -> None:
    """Tell a volunteer about a staff change to their shift, in their language, now.

    ``key`` gets the time appended, so the same change made twice is told twice.
    """
    site = await session.get(Site, shift.site_id)
    assert site is not None
    words = shift_words(shift, site_tz(site), person.language)
    await outbox.queue_to_person(
        session,
        clock,
        person,
        t(person.language, text_key, **words),
        kind="shift",
        key=f"{key}:{clock.now().isoformat()}",
    )


async def assign_by_hand(
    session: AsyncSession, clock: Clock, rules: Rules, shift_id: int, person: Person
) -> Assignment:
    """Staff put a volunteer on a shift: confirmed at once, told, and reminded."""
    shift = await lock_shift(session, shift_id)
    if shift is None:
        raise InputError({"shift_id": "no such shift"})
    if shift.status != "open":
        raise Conflict("the shift is not open", {"shift_id": f"status is {shift.status}"})
    await load(session, person, "roles")
    if "volunteer" not in person.role_names or person.erased_at is not None:
        raise InputError({"person_id": "this person does not have the volunteer role"})
    mine = await session.scalar(
        select(Assignment)
        .where(Assignment.shift_id == shift.id, Assignment.person_id == person.id)
        .execution_options(populate_existing=True)
    )
    if mine is not None and mine.status == "confirmed":
        return mine
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        raise Conflict("the shift is full", {"shift_id": "every place is confirmed"})
    now = clock.now()
    if mine is None:
        mine = Assignment(
            shift_id=shift.id,
            person_id=person.id,
            status="confirmed",
            round=0,
            offered_at=now,
            created_at=now,
        )
        session.add(mine)
    else:
        await close_offer_question(session, mine.id, "closed", now)
    mine.source = "staff"
    await confirm(session, clock, rules, shift, mine, person)
    await tell(session, clock, shift, person, "shift_assigned", f"assigned:assignment:{mine.id}")
    await settle_if_full(session, shift, now)
    return mine


async def set_assignment_status(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    assignment: Assignment,
    status: str,
    *,
    find_replacement: bool = False,
) -> Assignment:
    """Staff change an assignment: ``confirmed`` (agreed by phone), ``cancelled`` (taken off,
    told; ``find_replacement`` starts the chain), or ``no_show`` (the hours do not count)."""
    shift = await lock_shift(session, assignment.shift_id)
    assert shift is not None
    await session.refresh(assignment)
    person = await session.get(Person, assignment.person_id)
    assert person is not None
    now = clock.now()
    if status == assignment.status:
        return assignment
    if status == "confirmed":
        if assignment.status not in ("offered", "declined", "expired", "cancelled"):
            raise InputError({"status": f"cannot confirm one that is {assignment.status}"})
        return await assign_by_hand(session, clock, rules, shift.id, person)
    if status == "no_show":
        if assignment.status != "confirmed" or shift.starts_at > now:
            raise InputError({"status": "only a confirmed shift that has begun can be a no-show"})
        assignment.status = "no_show"
        return assignment
    if status == "cancelled":
        if assignment.status not in ACTIVE_STATUSES:
            raise InputError({"status": f"the assignment is already {assignment.status}"})
        was_confirmed = assignment.status == "confirmed"
        await release(session, assignment, "cancelled")
        await close_offer_question(session, assignment.id, "closed", now)
        if was_confirmed and shift.starts_at > now:
            await tell(
                session,
                clock,
                shift,
                person,
                "shift_unassigned",
                f"unassigned:assignment:{assignment.id}",
            )
        if find_replacement:
            await session.flush()
            await pass_on(session, clock, rules, shift, window=window_of(assignment))
        return assignment
    raise InputError({"status": "use confirmed, cancelled or no_show"})


async def cancel_whole_shift(session: AsyncSession, clock: Clock, shift_id: int) -> Shift:
    """Staff call a shift off: offers and calls are withdrawn, reminders cancelled, and those
    who had said yes are told."""
    shift = await lock_shift(session, shift_id)
    if shift is None:
        raise InputError({"shift_id": "no such shift"})
    if shift.status != "open":
        raise Conflict("the shift is not open", {"shift_id": f"status is {shift.status}"})
    now = clock.now()
    shift.status = "cancelled"
    await questions.close_questions(session, kind="shift_call", ref_id=shift.id)
    for assignment in await assignments_of(session, shift.id):
        if assignment.status not in ACTIVE_STATUSES:
            continue
        was_confirmed = assignment.status == "confirmed"
        await release(session, assignment, "cancelled")
        await close_offer_question(session, assignment.id, "closed", now)
        person = await session.get(Person, assignment.person_id)
        if was_confirmed and person is not None and shift.starts_at > now:
            await tell(
                session,
                clock,
                shift,
                person,
                "shift_called_off",
                f"called_off:assignment:{assignment.id}",
            )
    return shift


async def start_call(session: AsyncSession, clock: Clock, rules: Rules, shift_id: int) -> int:
    """Staff start an open call for a shift's free places."""
    shift = await lock_shift(session, shift_id)
    if shift is None:
        raise InputError({"shift_id": "no such shift"})
    if shift.status != "open" or shift.starts_at <= clock.now():
        raise Conflict("the shift is not open", {"shift_id": "it has begun or is closed"})
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        raise Conflict("the shift is full", {"shift_id": "every place is confirmed"})
    return await open_call(session, clock, rules, shift)


async def erase_volunteer(
    session: AsyncSession, clock: Clock, rules: Rules, person: Person
) -> None:
    """Erasure: terms and calendar tokens go; offers and shifts not yet held are given up and
    passed on to the next volunteer (the rows stay for the counts)."""
    await session.execute(delete(VolunteerTerms).where(VolunteerTerms.person_id == person.id))
    await session.execute(delete(CalendarToken).where(CalendarToken.person_id == person.id))
    now = clock.now()
    pending = await session.scalars(
        select(Assignment).where(
            Assignment.person_id == person.id,
            Assignment.status.in_(ACTIVE_STATUSES),
            Assignment.shift_id.in_(select(Shift.id).where(Shift.status == "open")),
        )
    )
    for assignment in list(pending):
        shift = await lock_shift(session, assignment.shift_id)
        assert shift is not None
        await release(session, assignment, "cancelled")
        await close_offer_question(session, assignment.id, "closed", now)
        if shift.starts_at > now:
            await session.flush()
            await pass_on(session, clock, rules, shift, window=window_of(assignment))
