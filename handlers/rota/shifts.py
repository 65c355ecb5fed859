"""Shifts and who may take them: the words for a shift, templates and the shifts they make,
locking a shift and counting its places, volunteers' terms, and the pool of volunteers the
planner chooses from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import Conflict, InputError
from handlers.localtime import format_day, to_utc
from handlers.rota.plan import Existing, PlanShift, Volunteer
from handlers.texts import t
from storage.models import (
    Assignment,
    ContactPoint,
    Person,
    PersonRole,
    Shift,
    ShiftTemplate,
    Site,
    VolunteerTerms,
)
from storage.models.rota import ACTIVE_STATUSES

# How far back confirmed shifts count for fairness and continuity.
HISTORY = timedelta(days=90)


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


async def change_shift(
    session: AsyncSession,
    clock: Clock,
    shift: Shift,
    *,
    title: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    needed: int | None = None,
) -> list[str]:
    """Staff change an open shift (``PATCH /api/shifts/{id}`` and the Vaktplan page).

    The time may move only while nobody has been offered or given the shift (otherwise call it
    off, which tells them, and make a new one); the places may not go below those confirmed.
    Returns the names of the fields that changed.
    """
    if shift.status != "open":
        raise Conflict("the shift is not open", {"shift_id": f"status is {shift.status}"})
    changed: list[str] = []
    new_start = starts_at or shift.starts_at
    new_end = ends_at or shift.ends_at
    if new_end <= new_start:
        raise InputError({"ends_at": "must be after starts_at"})
    if (new_start, new_end) != (shift.starts_at, shift.ends_at):
        if new_start <= clock.now():
            raise InputError({"starts_at": "is in the past"})
        if await count_status(session, shift.id, ACTIVE_STATUSES):
            raise Conflict(
                "volunteers are asked or booked",
                {"starts_at": "call the shift off and make a new one to move it"},
            )
        shift.starts_at, shift.ends_at = new_start, new_end
        changed += ["starts_at", "ends_at"]
    if needed is not None and needed != shift.needed:
        if needed < 1:
            raise InputError({"needed": "must be at least 1"})
        if needed < await count_status(session, shift.id, ("confirmed",)):
            raise Conflict("more are booked", {"needed": "fewer than those already confirmed"})
        shift.needed = needed
        changed.append("needed")
    if title is not None and title.strip() and title.strip() != shift.title:
        shift.title = title.strip()[:120]
        changed.append("title")
    await session.flush()
    return changed


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
    return slot_at(shift.starts_at, shift.template_id, shift.title, tz)


def slot_at(starts_at: datetime, template_id: int | None, title: str, tz: ZoneInfo) -> Hashable:
    start = starts_at.astimezone(tz)
    if template_id is not None:
        return ("template", template_id, start.weekday())
    return (title, start.weekday(), start.strftime("%H:%M"))


def volunteer_of(person_id: int, terms: VolunteerTerms | None) -> Volunteer:
    """The planner's view of a volunteer. Without terms: any day, no cap, no qualifications."""
    if terms is None:
        return Volunteer(id=person_id)
    window = None
    if terms.from_time and terms.to_time:
        window = (time.fromisoformat(terms.from_time), time.fromisoformat(terms.to_time))
    return Volunteer(
        id=person_id,
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
    """:func:`volunteer_pool` for every volunteer, with the people to text."""
    volunteers, existing = await volunteer_pool(session, site, now, start, end)
    people = await session.scalars(
        select(Person).where(Person.id.in_([v.id for v in volunteers])).order_by(Person.id)
    )
    return Pool(volunteers, {p.id: p for p in people}, existing)


async def volunteer_pool(
    session: AsyncSession,
    site: Site,
    now: datetime,
    start: datetime,
    end: datetime,
    only: Callable[[Volunteer], bool] | None = None,
) -> tuple[list[Volunteer], list[Existing]]:
    """Active, reachable volunteers of ``site`` with their terms, fairness history (confirmed in
    the last :data:`HISTORY` plus everything booked from now on) and continuity slots, and the
    assignments of shifts in the months around [start, end). ``only`` keeps the volunteers whose
    terms pass it (and their assignments): asking who is next for one shift reads only those
    who could take it. Reachable: a contact point not opted out, as
    :func:`handlers.outbox.preferred_contact` needs."""
    tz = site_tz(site)
    usable = (
        select(ContactPoint.id)
        .where(ContactPoint.person_id == Person.id, ContactPoint.opted_out_at.is_(None))
        .exists()
    )
    ids = list(
        await session.scalars(
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == "volunteer",
                Person.site_id == site.id,
                Person.erased_at.is_(None),
                Person.status == "active",
                usable,
            )
            .order_by(Person.id)
        )
    )
    terms = {
        t.person_id: t
        for t in await session.scalars(
            select(VolunteerTerms).where(VolunteerTerms.person_id.in_(ids))
        )
    }
    bases = [volunteer_of(pid, terms.get(pid)) for pid in ids]
    if only is not None:
        bases = [v for v in bases if only(v)]
        ids = [v.id for v in bases]
    history: Counter[int] = Counter()
    slots: dict[int, set[Hashable]] = {pid: set() for pid in ids}
    rows = await session.execute(
        select(
            Assignment.person_id,
            Assignment.status,
            Shift.starts_at,
            Shift.template_id,
            Shift.title,
        )
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Shift.site_id == site.id,
            Shift.starts_at >= now - HISTORY,
            Assignment.status.in_(ACTIVE_STATUSES),
            *([Assignment.person_id.in_(ids)] if only is not None else []),
        )
    )
    for person_id, status, starts_at, template_id, title in rows.all():
        if starts_at >= now or status == "confirmed":
            history[person_id] += 1
        if status == "confirmed" and starts_at < now and person_id in slots:
            slots[person_id].add(slot_at(starts_at, template_id, title, tz))
    volunteers = [
        Volunteer(
            id=base.id,
            weekdays=base.weekdays,
            window=base.window,
            away=base.away,
            max_per_month=base.max_per_month,
            qualifications=base.qualifications,
            history=history[base.id],
            slots=frozenset(slots[base.id]),
        )
        for base in bases
    ]
    # The months the period touches, for the monthly cap, with a day's margin for overlaps.
    first = start.astimezone(tz).date().replace(day=1)
    last_local = end.astimezone(tz).date()
    after = (last_local.replace(day=28) + timedelta(days=4)).replace(day=1)
    window_start = to_utc(first, time(0), tz) - timedelta(days=1)
    window_end = to_utc(after, time(0), tz) + timedelta(days=1)
    existing_rows = await session.execute(
        select(
            Assignment.shift_id,
            Assignment.person_id,
            Assignment.status,
            Shift.starts_at,
            Shift.ends_at,
        )
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Shift.starts_at >= window_start,
            Shift.starts_at < window_end,
            *([Assignment.person_id.in_(ids)] if only is not None else []),
        )
    )
    existing = [
        Existing(
            shift_id=shift_id,
            person_id=person_id,
            starts_at=starts_at,
            ends_at=ends_at,
            active=status in ACTIVE_STATUSES,
        )
        for shift_id, person_id, status, starts_at, ends_at in existing_rows.all()
    ]
    return volunteers, existing


def plan_shift(shift: Shift, places: int, tz: ZoneInfo) -> PlanShift:
    return PlanShift(
        id=shift.id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        places=places,
        qualification=shift.qualification,
        slot=slot_of(shift, tz),
    )
