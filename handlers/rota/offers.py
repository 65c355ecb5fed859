"""Offers and what follows them: sending offers (:func:`plan_period`), passing a free place on
(:func:`pass_on`), open calls (:func:`open_call`), confirming, releasing and reminders, and the
scheduler jobs that nudge and expire offers and finish the shifts held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox, questions
from handlers.clock import Clock
from handlers.context import Rules, site_quiet_hours
from handlers.errors import InputError
from handlers.localtime import (
    format_when,
    in_quiet_hours,
    local_day,
    quiet_hours_end,
    quiet_hours_start_before,
    to_utc,
)
from handlers.rota.plan import Plan, fits_terms, open_call_candidates, plan
from handlers.rota.shifts import (
    Pool,
    assignments_of,
    count_status,
    generate_for_site,
    lock_shift,
    plan_shift,
    pool_for,
    shift_label,
    shift_words,
    site_tz,
    volunteer_pool,
)
from handlers.texts import t
from storage.models import Assignment, OpenQuestion, Person, Shift, Site
from storage.models.rota import ACTIVE_STATUSES

DEFAULT_RESPOND_MINUTES = 24 * 60
# Reminders before a confirmed shift: the day before and three hours before.
REMINDER_MINUTES = (1440, 180)
# An offer needs at least this long to be answered; closer to the shift an open call goes out.
MIN_WINDOW = timedelta(minutes=15)
# Shifts an inbox item about a gap is urgent for: starting within this.
URGENT_WITHIN = timedelta(hours=24)


# --- offers -----------------------------------------------------------------------------------
def first_send_time(clock: Clock, rules: Rules, site: Site) -> datetime:
    """Now, or the end of quiet hours: an offer's answer window starts when it can be read."""
    now = clock.now()
    quiet = site_quiet_hours(site, rules)
    if quiet is not None and in_quiet_hours(now, site_tz(site), quiet):
        return quiet_hours_end(now, site_tz(site), quiet)
    return now


async def send_offer(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    site: Site,
    shift: Shift,
    person: Person,
    *,
    window: timedelta,
    source: str = "plan",
    round_no: int = 1,
) -> Assignment | None:
    """Offer ``shift`` to ``person`` with a JA/NEI question; None if there is no time to ask."""
    now = clock.now()
    send_at = first_send_time(clock, rules, site)
    respond_by = min(send_at + window, shift.starts_at)
    if respond_by - send_at < MIN_WINDOW:
        return None
    assignment = Assignment(
        shift_id=shift.id,
        person_id=person.id,
        status="offered",
        source=source,
        round=round_no,
        offered_at=send_at,
        respond_by=respond_by,
        created_at=now,
    )
    session.add(assignment)
    await session.flush()
    tz = site_tz(site)
    await questions.ask(
        session,
        clock,
        person,
        kind="shift",
        ref_id=assignment.id,
        text=t(person.language, "shift_offer", **shift_words(shift, tz, person.language)),
        label=shift_label(shift, tz, person.language),
        expires_at=respond_by,
        send_after=send_at if send_at > now else None,
        key=f"offer:assignment:{assignment.id}",
    )
    return assignment


@dataclass
class PlanResult:
    offers: list[Assignment]
    unfilled: dict[int, int]
    generated: int


@dataclass
class Proposal:
    """What the planner would offer for a period, before anything is sent."""

    shifts: dict[int, Shift]
    plan: Plan
    pool: Pool
    generated: int


async def propose(
    session: AsyncSession, clock: Clock, site: Site, first: date, last: date
) -> Proposal:
    """Make the templates' shifts for [first, last] and plan every open place of every shift
    that has not started. Nothing is sent: staff review it (the caller may roll back)."""
    if last < first:
        raise InputError({"to": "must not be before from"})
    now = clock.now()
    tz = site_tz(site)
    generated = await generate_for_site(session, clock, site, first, last)
    start = max(to_utc(first, time(0), tz), now)
    end = to_utc(last + timedelta(days=1), time(0), tz)
    shifts = list(
        await session.scalars(
            select(Shift)
            .where(
                Shift.site_id == site.id,
                Shift.status == "open",
                Shift.starts_at > start,
                Shift.starts_at < end,
            )
            .order_by(Shift.starts_at, Shift.id)
        )
    )
    counts = await session.execute(
        select(Assignment.shift_id, func.count())
        .where(
            Assignment.shift_id.in_([s.id for s in shifts]),
            Assignment.status.in_(ACTIVE_STATUSES),
        )
        .group_by(Assignment.shift_id)
    )
    taken: dict[int, int] = {shift_id: int(n) for shift_id, n in counts.all()}
    wanted = [
        plan_shift(s, s.needed - taken.get(s.id, 0), tz)
        for s in shifts
        if s.needed > taken.get(s.id, 0)
    ]
    pool = await pool_for(session, site, now, start, end)
    result = plan(wanted, pool.volunteers, pool.existing, tz=tz)
    return Proposal({s.id: s for s in shifts}, result, pool, len(generated))


async def plan_period(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    site: Site,
    first: date,
    last: date,
    *,
    respond_within: timedelta,
) -> PlanResult:
    """Plan the period (``propose``) and send the offers."""
    proposal = await propose(session, clock, site, first, last)
    offers: list[Assignment] = []
    unfilled = dict(proposal.plan.unfilled)
    for offer in proposal.plan.offers:
        shift = proposal.shifts[offer.shift_id]
        made = await send_offer(
            session,
            clock,
            rules,
            site,
            shift,
            proposal.pool.people[offer.person_id],
            window=respond_within,
        )
        if made is None:
            unfilled[shift.id] = unfilled.get(shift.id, 0) + 1
        else:
            offers.append(made)
    return PlanResult(offers, unfilled, proposal.generated)


async def next_candidate(session: AsyncSession, clock: Clock, shift: Shift) -> Person | None:
    """Who the planner would ask next for one free place (as ``pass_on`` would). For a page:
    only the volunteers whose terms fit this shift are read, and the planner runs on them; the
    others could never be chosen, so the answer is the one ``pass_on`` gets."""
    now = clock.now()
    if shift.status != "open" or shift.starts_at <= now:
        return None
    site = await session.get(Site, shift.site_id)
    assert site is not None
    tz = site_tz(site)
    wanted = plan_shift(shift, 1, tz)
    volunteers, existing = await volunteer_pool(
        session,
        site,
        now,
        shift.starts_at,
        shift.ends_at,
        only=lambda volunteer: fits_terms(volunteer, wanted, tz),
    )
    result = plan([wanted], volunteers, existing, tz=tz)
    return await session.get(Person, result.offers[0].person_id) if result.offers else None


async def pass_on(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    shift: Shift,
    *,
    window: timedelta,
) -> Assignment | None:
    """One place of ``shift`` is free again: ask the next candidate (the planner, for that one
    place, skipping everyone asked before); with nobody left, start an open call.

    The caller holds the shift's lock.
    """
    now = clock.now()
    if shift.status != "open" or shift.starts_at <= now:
        return None
    if shift.needed - await count_status(session, shift.id, ACTIVE_STATUSES) <= 0:
        return None
    site = await session.get(Site, shift.site_id)
    assert site is not None
    tz = site_tz(site)
    pool = await pool_for(session, site, now, shift.starts_at, shift.ends_at)
    result = plan([plan_shift(shift, 1, tz)], pool.volunteers, pool.existing, tz=tz)
    if result.offers:
        rounds = await session.scalar(
            select(func.max(Assignment.round)).where(Assignment.shift_id == shift.id)
        )
        offer = await send_offer(
            session,
            clock,
            rules,
            site,
            shift,
            pool.people[result.offers[0].person_id],
            window=window,
            source="replacement",
            round_no=int(rounds or 0) + 1,
        )
        if offer is not None:
            return offer
    await open_call(session, clock, rules, shift, site=site, pool=pool)
    return None


async def open_call(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    shift: Shift,
    *,
    site: Site | None = None,
    pool: Pool | None = None,
) -> int:
    """Nobody is left to ask: tell the coordinator, and ask every eligible volunteer at once
    ("the first to answer JA gets it"). Returns how many were asked. A call already running for
    the shift is left to run. The caller holds the shift's lock."""
    now = clock.now()
    if shift.status != "open" or shift.starts_at <= now:
        return 0
    running = await session.scalar(
        select(func.count())
        .select_from(OpenQuestion)
        .where(
            OpenQuestion.kind == "shift_call",
            OpenQuestion.ref_id == shift.id,
            OpenQuestion.status == "open",
        )
    )
    if running:
        return 0
    site = site or await session.get(Site, shift.site_id)
    assert site is not None
    tz = site_tz(site)
    pool = pool or await pool_for(session, site, now, shift.starts_at, shift.ends_at)
    # Those who let an offer expire may still say yes to a call; those who said no are spared.
    expired = await expired_on(session, shift.id)
    existing = [e for e in pool.existing if e.shift_id != shift.id or e.person_id not in expired]
    ids = open_call_candidates(plan_shift(shift, 1, tz), pool.volunteers, existing, tz=tz)
    shift.call_round += 1
    for person_id in ids:
        person = pool.people[person_id]
        await questions.ask(
            session,
            clock,
            person,
            kind="shift_call",
            ref_id=shift.id,
            text=t(person.language, "shift_call", **shift_words(shift, tz, person.language)),
            label=shift_label(shift, tz, person.language),
            expires_at=shift.starts_at,
            send_after=first_send_time(clock, rules, site),
            key=f"call:shift:{shift.id}:{shift.call_round}:{person_id}",
        )
    await inbox.add_item(
        session,
        clock,
        site_id=site.id,
        kind="shift_unfilled",
        summary=t("nb", "shift_unfilled_inbox", label=shift_label(shift, tz, "nb"), count=len(ids)),
        urgent=shift.starts_at - now < URGENT_WITHIN,
    )
    return len(ids)


async def expired_on(session: AsyncSession, shift_id: int) -> set[int]:
    rows = await session.scalars(
        select(Assignment.person_id).where(
            Assignment.shift_id == shift_id, Assignment.status == "expired"
        )
    )
    return set(rows)


async def close_offer_question(
    session: AsyncSession, assignment_id: int, status: str, now: datetime
) -> None:
    """Close the open question of one offer; ``expires_at`` is set to now, so a later JA is
    recognised as late (and answered by :func:`late_answer`)."""
    await session.execute(
        update(OpenQuestion)
        .where(
            OpenQuestion.kind == "shift",
            OpenQuestion.ref_id == assignment_id,
            OpenQuestion.status == "open",
        )
        .values(status=status, expires_at=now)
        .execution_options(synchronize_session=False)
    )


async def settle_if_full(session: AsyncSession, shift: Shift, now: datetime) -> None:
    """A full shift: close its open call and withdraw offers still out (the caller holds the
    lock)."""
    if await count_status(session, shift.id, ("confirmed",)) < shift.needed:
        return
    await session.execute(
        update(OpenQuestion)
        .where(
            OpenQuestion.kind == "shift_call",
            OpenQuestion.ref_id == shift.id,
            OpenQuestion.status == "open",
        )
        .values(status="closed", expires_at=now)
        .execution_options(synchronize_session=False)
    )
    for assignment in await assignments_of(session, shift.id):
        if assignment.status == "offered":
            assignment.status = "cancelled"
            await close_offer_question(session, assignment.id, "closed", now)


# --- confirming and reminders -----------------------------------------------------------------
def reminder_key(assignment_id: int, minutes: int | None = None) -> str:
    prefix = f"reminder:shift:{assignment_id}:"
    return prefix if minutes is None else f"{prefix}{minutes}"


async def queue_reminders(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    site: Site,
    shift: Shift,
    assignment: Assignment,
    person: Person,
) -> int:
    """Reminders :data:`REMINDER_MINUTES` before the shift. One that would fall in quiet hours
    goes when they end if that is still before the shift, else just before they begin."""
    tz = site_tz(site)
    quiet = site_quiet_hours(site, rules)
    now = clock.now()
    queued = 0
    for minutes in REMINDER_MINUTES:
        at = shift.starts_at - timedelta(minutes=minutes)
        if quiet is not None and in_quiet_hours(at, tz, quiet):
            later = quiet_hours_end(at, tz, quiet)
            at = later if later < shift.starts_at else quiet_hours_start_before(at, tz, quiet)
        if at <= now:
            continue
        lang = person.language
        words = shift_words(shift, tz, lang)
        words["when"] = format_when(shift.starts_at, tz, lang, today=local_day(at, tz))
        message = await outbox.queue_to_person(
            session,
            clock,
            person,
            t(lang, "shift_reminder", **words),
            kind="reminder",
            send_after=at,
            key=reminder_key(assignment.id, minutes),
        )
        queued += message is not None
    return queued


async def confirm(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    shift: Shift,
    assignment: Assignment,
    person: Person,
) -> None:
    site = await session.get(Site, shift.site_id)
    assert site is not None
    assignment.status = "confirmed"
    assignment.answered_at = clock.now()
    await session.flush()
    await queue_reminders(session, clock, rules, site, shift, assignment, person)


async def release(session: AsyncSession, assignment: Assignment, status: str) -> None:
    """Take a volunteer off a shift: cancel their reminders."""
    assignment.status = status
    await outbox.cancel_queued(session, key_prefix=reminder_key(assignment.id))


def window_of(assignment: Assignment) -> timedelta:
    if assignment.offered_at is not None and assignment.respond_by is not None:
        return max(assignment.respond_by - assignment.offered_at, MIN_WINDOW)
    return timedelta(minutes=DEFAULT_RESPOND_MINUTES)


# --- scheduler jobs ---------------------------------------------------------------------------
async def offer_sweep(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Periodic job: nudge offers halfway through their window, expire the unanswered ones and
    ask the next candidate."""
    now = clock.now()
    due = list(
        await session.scalars(
            select(Assignment)
            .where(Assignment.status == "offered", Assignment.respond_by.is_not(None))
            .order_by(Assignment.respond_by, Assignment.id)
        )
    )
    done = 0
    for assignment in due:
        assert assignment.respond_by is not None and assignment.offered_at is not None
        halfway = assignment.offered_at + (assignment.respond_by - assignment.offered_at) / 2
        expiring = assignment.respond_by <= now
        if not expiring and (assignment.nudged_at is not None or halfway > now):
            continue
        async with session.begin_nested():
            shift = await lock_shift(session, assignment.shift_id)
            assert shift is not None
            await session.refresh(assignment)
            if assignment.status != "offered":
                continue
            if expiring:
                assignment.status = "expired"
                await close_offer_question(session, assignment.id, "expired", assignment.respond_by)
                await pass_on(session, clock, rules, shift, window=window_of(assignment))
            else:
                await nudge(session, clock, shift, assignment)
            done += 1
    return done


async def nudge(session: AsyncSession, clock: Clock, shift: Shift, assignment: Assignment) -> None:
    """One reminder of an unanswered offer, with the same buttons as the question."""
    assignment.nudged_at = clock.now()
    person = await session.get(Person, assignment.person_id)
    site = await session.get(Site, shift.site_id)
    assert person is not None and site is not None
    question = await session.scalar(
        select(OpenQuestion).where(
            OpenQuestion.kind == "shift",
            OpenQuestion.ref_id == assignment.id,
            OpenQuestion.status == "open",
        )
    )
    await outbox.queue_to_person(
        session,
        clock,
        person,
        t(person.language, "shift_nudge", **shift_words(shift, site_tz(site), person.language)),
        kind="reminder",
        key=f"nudge:assignment:{assignment.id}",
        buttons=questions.buttons_for("yesno", person.language) if question else None,
        question_id=question.id if question else None,
    )


async def finish_shifts(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Periodic job: a shift whose end has passed took place (``done``): its hours now count."""
    result = await session.execute(
        update(Shift)
        .where(Shift.status == "open", Shift.ends_at <= clock.now())
        .values(status="done")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
