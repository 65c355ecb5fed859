"""The volunteer rota: templates make shifts, the planner picks people, offers go out by text,
and declined, unanswered or cancelled places pass on by themselves.

The chain for one place: an offer (a JA/NEI question with an answer window) -> JA confirms it
and queues reminders; NEI declines it and the next candidate is asked at once; silence gets one
nudge halfway through the window, then the offer expires and the next candidate is asked. When
no candidate is left, the coordinator gets an inbox item and every eligible volunteer gets an
open call: the first JA wins, later ones are told the shift is taken.

Every change to a shift's places happens with the shift row locked (``SELECT ... FOR UPDATE``
on PostgreSQL; SQLite has one writer at a time anyway), so two JAs at the same moment never
both get the last place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox, questions
from handlers.clock import Clock
from handlers.context import Conversation, Rules, site_quiet_hours
from handlers.errors import Conflict, InputError
from handlers.keywords import Answer, parse_yes_no
from handlers.localtime import (
    format_day,
    format_when,
    in_quiet_hours,
    local_day,
    quiet_hours_end,
    quiet_hours_start_before,
    to_utc,
)
from handlers.rota_plan import Existing, PlanShift, Volunteer, open_call_candidates, plan
from handlers.texts import t
from storage.models import (
    Assignment,
    CalendarToken,
    OpenQuestion,
    Person,
    PersonRole,
    Shift,
    ShiftTemplate,
    Site,
    VolunteerTerms,
)
from storage.models.rota import ACTIVE_STATUSES

DEFAULT_RESPOND_MINUTES = 24 * 60
# Reminders before a confirmed shift: the day before and three hours before.
REMINDER_MINUTES = (1440, 180)
# How far back confirmed shifts count for fairness and continuity.
HISTORY = timedelta(days=90)
# An offer needs at least this long to be answered; closer to the shift an open call goes out.
MIN_WINDOW = timedelta(minutes=15)
# Shifts an inbox item about a gap is urgent for: starting within this.
URGENT_WITHIN = timedelta(hours=24)
# 1 full-time equivalent (årsverk) = 1695 working hours a year: 37.5 hours a week over 52 weeks
# less holidays and public holidays, the figure Norwegian yearly reports commonly use.
FTE_HOURS_PER_YEAR = 1695.0
MAX_LISTED = 10


def site_tz(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


# --- words ------------------------------------------------------------------------------------
def shift_words(shift: Shift, tz: ZoneInfo, language: str) -> dict[str, str]:
    start = shift.starts_at.astimezone(tz)
    end = shift.ends_at.astimezone(tz)
    return {
        "title": shift.title,
        "day": format_day(start.date(), language),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def shift_label(shift: Shift, tz: ZoneInfo, language: str) -> str:
    """``kafévakt torsdag 5. mars 16:00-20:00``: for lists, "which?" questions and the inbox."""
    return t(language, "shift_label", **shift_words(shift, tz, language))[:120]


def parse_hhmm(value: str, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InputError({name: "use HH:MM"}) from None


# --- templates and shifts ---------------------------------------------------------------------
def check_weekdays(weekdays: list[int], name: str = "weekdays") -> list[int]:
    if any(d < 0 or d > 6 for d in weekdays):
        raise InputError({name: "use 0-6, Monday=0"})
    return sorted(set(weekdays))


async def create_template(
    session: AsyncSession,
    clock: Clock,
    site: Site,
    *,
    title: str,
    weekdays: list[int],
    start: str,
    end: str,
    needed: int,
    role: str | None = None,
    qualification: str | None = None,
) -> ShiftTemplate:
    if not weekdays:
        raise InputError({"weekdays": "give at least one weekday"})
    if parse_hhmm(start, "start") == parse_hhmm(end, "end"):
        raise InputError({"end": "must differ from start"})
    if needed < 1:
        raise InputError({"needed": "must be at least 1"})
    template = ShiftTemplate(
        site_id=site.id,
        title=title.strip(),
        weekdays=check_weekdays(weekdays),
        start_time=parse_hhmm(start, "start").strftime("%H:%M"),
        end_time=parse_hhmm(end, "end").strftime("%H:%M"),
        needed=needed,
        role=role,
        qualification=qualification,
        active=True,
        created_at=clock.now(),
    )
    session.add(template)
    await session.flush()
    return template


def template_times(template: ShiftTemplate, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of the template's shift on ``day`` (local), as UTC; a shift whose end is
    before its start ends the next day."""
    start_t, end_t = time.fromisoformat(template.start_time), time.fromisoformat(template.end_time)
    end_day = day + timedelta(days=1) if end_t <= start_t else day
    return to_utc(day, start_t, tz), to_utc(end_day, end_t, tz)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def generate_shifts(
    session: AsyncSession, clock: Clock, template: ShiftTemplate, first: date, last: date
) -> list[Shift]:
    """The template's shifts from ``first`` to ``last`` (local dates, inclusive). Shifts made
    before (also ones staff cancelled) are not made again."""
    if last < first:
        raise InputError({"to": "must not be before from"})
    if (last - first).days > 366:
        raise InputError({"to": "at most one year at a time"})
    site = await session.get(Site, template.site_id)
    assert site is not None
    tz = site_tz(site)
    wanted = [
        template_times(template, day, tz)
        for day in days_between(first, last)
        if day.weekday() in template.weekdays
    ]
    if not wanted:
        return []
    made = set(
        await session.scalars(
            select(Shift.starts_at).where(
                Shift.template_id == template.id,
                Shift.starts_at >= wanted[0][0],
                Shift.starts_at <= wanted[-1][0],
            )
        )
    )
    created = []
    for starts_at, ends_at in wanted:
        if starts_at in made:
            continue
        shift = Shift(
            site_id=template.site_id,
            title=template.title,
            role=template.role,
            qualification=template.qualification,
            starts_at=starts_at,
            ends_at=ends_at,
            needed=template.needed,
            template_id=template.id,
            status="open",
            call_round=0,
            created_at=clock.now(),
        )
        session.add(shift)
        created.append(shift)
    await session.flush()
    return created


async def generate_for_site(
    session: AsyncSession, clock: Clock, site: Site, first: date, last: date
) -> list[Shift]:
    templates = await session.scalars(
        select(ShiftTemplate)
        .where(ShiftTemplate.site_id == site.id, ShiftTemplate.active.is_(True))
        .order_by(ShiftTemplate.id)
    )
    created: list[Shift] = []
    for template in list(templates):
        created += await generate_shifts(session, clock, template, first, last)
    return created


async def create_shift(
    session: AsyncSession,
    clock: Clock,
    site: Site,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    needed: int,
    role: str | None = None,
    qualification: str | None = None,
) -> Shift:
    if ends_at <= starts_at:
        raise InputError({"ends_at": "must be after starts_at"})
    if needed < 1:
        raise InputError({"needed": "must be at least 1"})
    shift = Shift(
        site_id=site.id,
        title=title.strip(),
        role=role,
        qualification=qualification,
        starts_at=starts_at,
        ends_at=ends_at,
        needed=needed,
        status="open",
        call_round=0,
        created_at=clock.now(),
    )
    session.add(shift)
    await session.flush()
    return shift


async def lock_shift(session: AsyncSession, shift_id: int) -> Shift | None:
    """The shift row, locked until the transaction ends, and read fresh.

    Nothing pending is flushed first: an answered question must not lock its row before the
    shift is ours, or a winner closing the other calls and a loser waiting here would deadlock.
    """
    with session.no_autoflush:
        return await session.scalar(
            select(Shift)
            .where(Shift.id == shift_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )


async def count_status(session: AsyncSession, shift_id: int, statuses: tuple[str, ...]) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.shift_id == shift_id, Assignment.status.in_(statuses))
    )
    return int(found or 0)


async def assignments_of(session: AsyncSession, shift_id: int) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment)
        .where(Assignment.shift_id == shift_id)
        .order_by(Assignment.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


# --- volunteers' terms ------------------------------------------------------------------------
async def set_terms(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    *,
    weekdays: list[int],
    max_shifts_per_month: int | None = None,
    unavailable_dates: list[date] | None = None,
    from_time: str | None = None,
    to_time: str | None = None,
    qualifications: list[str] | None = None,
) -> VolunteerTerms:
    if "volunteer" not in person.role_names:
        raise InputError({"person_id": "this person does not have the volunteer role"})
    if (from_time is None) != (to_time is None):
        raise InputError({"to_time": "give both from_time and to_time, or neither"})
    if from_time is not None and to_time is not None:
        if parse_hhmm(from_time, "from_time") >= parse_hhmm(to_time, "to_time"):
            raise InputError({"to_time": "must be after from_time"})
        from_time = parse_hhmm(from_time, "from_time").strftime("%H:%M")
        to_time = parse_hhmm(to_time, "to_time").strftime("%H:%M")
    if max_shifts_per_month is not None and max_shifts_per_month < 0:
        raise InputError({"max_shifts_per_month": "must not be negative"})
    terms = await session.get(VolunteerTerms, person.id)
    if terms is None:
        terms = VolunteerTerms(person_id=person.id)
        session.add(terms)
    terms.weekdays = check_weekdays(weekdays)
    terms.max_shifts_per_month = max_shifts_per_month
    terms.unavailable_dates = sorted({d.isoformat() for d in unavailable_dates or []})
    terms.from_time = from_time
    terms.to_time = to_time
    terms.qualifications = sorted({q.strip() for q in qualifications or [] if q.strip()})
    terms.updated_at = clock.now()
    await session.flush()
    return terms


def slot_of(shift: Shift, tz: ZoneInfo) -> Hashable:
    """The weekly slot a shift belongs to: its template, or its title, weekday and start."""
    start = shift.starts_at.astimezone(tz)
    if shift.template_id is not None:
        return ("template", shift.template_id, start.weekday())
    return (shift.title, start.weekday(), start.strftime("%H:%M"))


def volunteer_of(person: Person, terms: VolunteerTerms | None) -> Volunteer:
    """The planner's view of a volunteer. Without terms: any day, no cap, no qualifications."""
    if terms is None:
        return Volunteer(id=person.id)
    window = None
    if terms.from_time and terms.to_time:
        window = (time.fromisoformat(terms.from_time), time.fromisoformat(terms.to_time))
    return Volunteer(
        id=person.id,
        weekdays=frozenset(terms.weekdays),
        window=window,
        away=frozenset(date.fromisoformat(d) for d in terms.unavailable_dates),
        max_per_month=terms.max_shifts_per_month,
        qualifications=frozenset(terms.qualifications),
    )


@dataclass
class Pool:
    """Everything the planner needs about a site's volunteers, and the people to text."""

    volunteers: list[Volunteer]
    people: dict[int, Person]
    existing: list[Existing]


async def pool_for(
    session: AsyncSession, site: Site, now: datetime, start: datetime, end: datetime
) -> Pool:
    """Active, reachable volunteers of ``site`` with their terms, fairness history (confirmed in
    the last :data:`HISTORY` plus everything booked from now on) and continuity slots, and the
    assignments of shifts in the months around [start, end)."""
    tz = site_tz(site)
    people = list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == "volunteer",
                Person.site_id == site.id,
                Person.erased_at.is_(None),
                Person.status == "active",
            )
            .order_by(Person.id)
        )
    )
    people = [p for p in people if outbox.preferred_contact(p) is not None]
    ids = [p.id for p in people]
    terms = {
        t.person_id: t
        for t in await session.scalars(
            select(VolunteerTerms).where(VolunteerTerms.person_id.in_(ids))
        )
    }
    history: Counter[int] = Counter()
    slots: dict[int, set[Hashable]] = {pid: set() for pid in ids}
    rows = await session.execute(
        select(Assignment.person_id, Assignment.status, Shift)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Shift.site_id == site.id,
            Shift.starts_at >= now - HISTORY,
            Assignment.status.in_(ACTIVE_STATUSES),
        )
    )
    for person_id, status, shift in rows.all():
        if shift.starts_at >= now or status == "confirmed":
            history[person_id] += 1
        if status == "confirmed" and shift.starts_at < now and person_id in slots:
            slots[person_id].add(slot_of(shift, tz))
    volunteers = []
    for person in people:
        base = volunteer_of(person, terms.get(person.id))
        volunteers.append(
            Volunteer(
                id=base.id,
                weekdays=base.weekdays,
                window=base.window,
                away=base.away,
                max_per_month=base.max_per_month,
                qualifications=base.qualifications,
                history=history[person.id],
                slots=frozenset(slots[person.id]),
            )
        )
    # The months the period touches, for the monthly cap, with a day's margin for overlaps.
    first = start.astimezone(tz).date().replace(day=1)
    last_local = end.astimezone(tz).date()
    after = (last_local.replace(day=28) + timedelta(days=4)).replace(day=1)
    window_start = to_utc(first, time(0), tz) - timedelta(days=1)
    window_end = to_utc(after, time(0), tz) + timedelta(days=1)
    existing_rows = await session.execute(
        select(Assignment.shift_id, Assignment.person_id, Assignment.status, Shift)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(Shift.starts_at >= window_start, Shift.starts_at < window_end)
    )
    existing = [
        Existing(
            shift_id=shift_id,
            person_id=person_id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            active=status in ACTIVE_STATUSES,
        )
        for shift_id, person_id, status, shift in existing_rows.all()
    ]
    return Pool(volunteers, {p.id: p for p in people}, existing)


def plan_shift(shift: Shift, places: int, tz: ZoneInfo) -> PlanShift:
    return PlanShift(
        id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        places=places,
        qualification=shift.qualification,
        slot=slot_of(shift, tz),
    )


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
    """Make the templates' shifts for [first, last], plan every open place of every shift that
    has not started, and send the offers."""
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
    by_id = {s.id: s for s in shifts}
    wanted = [
        plan_shift(s, s.needed - taken.get(s.id, 0), tz)
        for s in shifts
        if s.needed > taken.get(s.id, 0)
    ]
    pool = await pool_for(session, site, now, start, end)
    result = plan(wanted, pool.volunteers, pool.existing, tz=tz)
    offers: list[Assignment] = []
    unfilled = dict(result.unfilled)
    for offer in result.offers:
        shift = by_id[offer.shift_id]
        made = await send_offer(
            session, clock, rules, site, shift, pool.people[offer.person_id], window=respond_within
        )
        if made is None:
            unfilled[shift.id] = unfilled.get(shift.id, 0) + 1
        else:
            offers.append(made)
    return PlanResult(offers, unfilled, len(generated))


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
async def with_contacts(session: AsyncSession, person: Person) -> Person:
    """Make sure ``person.contacts`` is loaded (a person reached through a contact point may
    not have it), so choosing where to text them does no lazy load."""
    if "contacts" in inspect(person).unloaded:
        await session.refresh(person, ["contacts"])
    return person


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
    await with_contacts(session, person)
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


# --- answers ----------------------------------------------------------------------------------
async def reopen(conv: Conversation, question: OpenQuestion, shift: Shift) -> None:
    """KANSKJE is no answer: keep the question open and ask for JA or NEI."""
    question.status, question.answer, question.answered_at = "open", None, None
    words = shift_words(shift, conv.tz, conv.language)
    await conv.reply("shift_yes_or_no", **words)


async def answer_offer(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA/NEI to one offer (``question.ref_id`` is the assignment)."""
    session, now = conv.session, conv.clock.now()
    with session.no_autoflush:  # see lock_shift
        assignment = await session.get(Assignment, question.ref_id or 0)
    if assignment is None or conv.person is None:
        await conv.reply("thanks_answer")
        return
    shift = await lock_shift(session, assignment.shift_id)
    assert shift is not None
    await session.refresh(assignment)
    if answer.value not in ("yes", "no"):
        await reopen(conv, question, shift)
        return
    if assignment.status != "offered":
        await conv.reply("shift_taken" if answer.value == "yes" else "thanks_answer")
        return
    assignment.answered_at = now
    if answer.value == "no":
        assignment.status = "declined"
        await conv.reply("shift_declined")
        await pass_on(session, conv.clock, conv.rules, shift, window=window_of(assignment))
        return
    if shift.status != "open" or shift.starts_at <= now:
        assignment.status = "expired"
        await conv.reply("answer_too_late")
        return
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        assignment.status = "cancelled"
        await conv.reply("shift_taken")
        return
    await confirm(session, conv.clock, conv.rules, shift, assignment, conv.person)
    await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
    await settle_if_full(session, shift, now)


async def answer_call(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA/NEI to an open call (``question.ref_id`` is the shift): the first JA gets it."""
    session, now = conv.session, conv.clock.now()
    shift = await lock_shift(session, question.ref_id or 0)
    if shift is None or conv.person is None:
        await conv.reply("thanks_answer")
        return
    if answer.value == "no":
        await conv.reply("thanks_answer")
        return
    if answer.value != "yes":
        await reopen(conv, question, shift)
        return
    if shift.status != "open" or shift.starts_at <= now:
        await conv.reply("answer_too_late")
        return
    mine = await session.scalar(
        select(Assignment)
        .where(Assignment.shift_id == shift.id, Assignment.person_id == conv.person.id)
        .execution_options(populate_existing=True)
    )
    if mine is not None and mine.status == "confirmed":
        await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
        return
    if await count_status(session, shift.id, ("confirmed",)) >= shift.needed:
        await conv.reply("shift_taken")
        return
    if mine is None:
        rounds = await session.scalar(
            select(func.max(Assignment.round)).where(Assignment.shift_id == shift.id)
        )
        mine = Assignment(
            shift_id=shift.id,
            person_id=conv.person.id,
            status="confirmed",
            round=int(rounds or 0) + 1,
            offered_at=question.asked_at,
            created_at=now,
        )
        session.add(mine)
    mine.source = "call"
    await confirm(session, conv.clock, conv.rules, shift, mine, conv.person)
    await conv.reply("shift_confirmed", **shift_words(shift, conv.tz, conv.language))
    await settle_if_full(session, shift, now)


async def late_answer(conv: Conversation) -> bool:
    """Interceptor: a JA to a shift offer that has passed on, or to an open call that is filled,
    gets "it is taken" (a NEI a plain thanks) rather than the general "too late". Only when no
    question is open."""
    if conv.person is None:
        return False
    answer = parse_yes_no(conv.message.text or "")
    if answer is None or answer.value not in ("yes", "no"):
        return False
    now = conv.clock.now()
    if await questions.open_questions(conv.session, conv.person.id, now, "yesno"):
        return False
    late = await questions.recently_closed(conv.session, conv.person.id, now, "yesno")
    if late is None or late.kind not in ("shift", "shift_call"):
        return False
    if answer.value == "no":
        await conv.reply("thanks_answer")
        return True
    shift_id = late.ref_id or 0
    if late.kind == "shift":
        assignment = await conv.session.get(Assignment, shift_id)
        shift_id = assignment.shift_id if assignment else 0
    shift = await conv.session.get(Shift, shift_id)
    called_off = shift is not None and shift.status == "cancelled"
    await conv.reply("shift_gone" if called_off else "shift_taken")
    return True


# --- what volunteers text ---------------------------------------------------------------------
async def upcoming(session: AsyncSession, person_id: int, now: datetime) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.person_id == person_id,
            Assignment.status == "confirmed",
            Shift.status == "open",
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at, Shift.id)
        .limit(MAX_LISTED)
    )
    return list(rows)


async def listed(conv: Conversation, assignments: list[Assignment]) -> str:
    lines = []
    for n, assignment in enumerate(assignments, start=1):
        shift = await conv.session.get(Shift, assignment.shift_id)
        assert shift is not None
        lines.append(f"{n}: {shift_label(shift, conv.tz, conv.language)}")
    return "\n".join(lines)


async def list_shifts(conv: Conversation, args: list[str]) -> None:
    """VAKTER / SHIFTS: my upcoming confirmed shifts."""
    assert conv.person is not None
    mine = await upcoming(conv.session, conv.person.id, conv.clock.now())
    if not mine:
        await conv.reply("shift_list_empty")
        return
    await conv.reply("shift_list", lines=await listed(conv, mine))


async def cancel_shift(conv: Conversation, args: list[str]) -> None:
    """AVBUD / CANCEL [n]: give back a confirmed shift; the replacement chain starts at once."""
    assert conv.person is not None
    session, now = conv.session, conv.clock.now()
    mine = await upcoming(session, conv.person.id, now)
    if not mine:
        await conv.reply("shift_cancel_none")
        return
    number = next((int(a) for a in args if a.isdigit()), None)
    if number is None and len(mine) == 1:
        number = 1
    if number is None or not 1 <= number <= len(mine):
        await conv.reply("shift_cancel_which", lines=await listed(conv, mine))
        return
    assignment = mine[number - 1]
    shift = await lock_shift(session, assignment.shift_id)
    assert shift is not None
    await session.refresh(assignment)
    if assignment.status != "confirmed":
        await conv.reply("shift_cancel_none")
        return
    await release(session, assignment, "cancelled")
    assignment.answered_at = now
    await session.flush()
    words = shift_words(shift, conv.tz, conv.language)
    await conv.reply("shift_cancelled", **words)
    await conv.to_inbox(
        "shift_cancelled",
        t("nb", "shift_cancelled_inbox", label=shift_label(shift, conv.tz, "nb")),
        urgent=shift.starts_at - now < URGENT_WITHIN,
    )
    await pass_on(session, conv.clock, conv.rules, shift, window=window_of(assignment))


# --- staff actions ----------------------------------------------------------------------------
async def assign_by_hand(
    session: AsyncSession, clock: Clock, rules: Rules, shift_id: int, person: Person
) -> Assignment:
    """Staff put a volunteer on a shift: confirmed at once, told, and reminded."""
    shift = await lock_shift(session, shift_id)
    if shift is None:
        raise InputError({"shift_id": "no such shift"})
    if shift.status != "open":
        raise Conflict("the shift is not open", {"shift_id": f"status is {shift.status}"})
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
    site = await session.get(Site, shift.site_id)
    assert site is not None
    words = shift_words(shift, site_tz(site), person.language)
    await outbox.queue_to_person(
        session,
        clock,
        await with_contacts(session, person),
        t(person.language, "shift_assigned", **words),
        kind="shift",
        key=f"assigned:assignment:{mine.id}:{now.isoformat()}",
    )
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
        site = await session.get(Site, shift.site_id)
        assert site is not None
        if was_confirmed and shift.starts_at > now:
            words = shift_words(shift, site_tz(site), person.language)
            await outbox.queue_to_person(
                session,
                clock,
                await with_contacts(session, person),
                t(person.language, "shift_unassigned", **words),
                kind="shift",
                key=f"unassigned:assignment:{assignment.id}:{now.isoformat()}",
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
    site = await session.get(Site, shift.site_id)
    assert site is not None
    await questions.close_questions(session, kind="shift_call", ref_id=shift.id)
    for assignment in await assignments_of(session, shift.id):
        if assignment.status not in ACTIVE_STATUSES:
            continue
        was_confirmed = assignment.status == "confirmed"
        await release(session, assignment, "cancelled")
        await close_offer_question(session, assignment.id, "closed", now)
        person = await session.get(Person, assignment.person_id)
        if was_confirmed and person is not None and shift.starts_at > now:
            words = shift_words(shift, site_tz(site), person.language)
            await outbox.queue_to_person(
                session,
                clock,
                await with_contacts(session, person),
                t(person.language, "shift_called_off", **words),
                kind="shift",
                key=f"called_off:assignment:{assignment.id}",
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
        await with_contacts(session, person),
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


async def erase_volunteer(session: AsyncSession, person: Person) -> None:
    """Erasure: terms and calendar tokens go; pending offers and shifts not yet held are given
    up (the rows stay for the counts)."""
    await session.execute(delete(VolunteerTerms).where(VolunteerTerms.person_id == person.id))
    await session.execute(delete(CalendarToken).where(CalendarToken.person_id == person.id))
    await session.execute(
        update(Assignment)
        .where(
            Assignment.person_id == person.id,
            Assignment.status.in_(ACTIVE_STATUSES),
            Assignment.shift_id.in_(select(Shift.id).where(Shift.status == "open")),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
