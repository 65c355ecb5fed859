"""The rota planner: a pure function from shifts and volunteers to offers. No database, no clock.

Rules that are never broken (the property tests check each one):

* a volunteer is only put on a shift that starts on one of their weekdays, lies inside their
  daily time window (when they gave one) and touches none of their away dates;
* a shift that needs a qualification only goes to volunteers who hold it;
* nobody gets more shifts in a calendar month (local time) than their monthly cap, counting the
  offers and confirmations they already have;
* nobody is on two shifts that overlap in time, counting what they already have;
* nobody is put twice on one shift or asked again about a shift they were already asked about;
* a shift never gets more people than it has open places.

Within those rules each place goes to the candidate with the lowest load (their recent and
already booked shifts plus what this plan has given them so far), so shifts spread evenly.
Continuity (the same volunteer on the same weekly slot) only breaks ties between equal loads.
The most constrained shifts (fewest possible candidates) are filled first, then by start time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class PlanShift:
    """A shift with ``places`` still to fill. Times are timezone-aware."""

    id: int
    starts_at: datetime
    ends_at: datetime
    places: int
    qualification: str | None = None
    # The weekly slot for continuity (a template id, or title + weekday + time); None: no slot.
    slot: Hashable | None = None


@dataclass(frozen=True)
class Volunteer:
    id: int
    weekdays: frozenset[int] = frozenset(range(7))  # Monday=0, local time
    window: tuple[time, time] | None = None  # the shift must lie within it, local time
    away: frozenset[date] = frozenset()
    max_per_month: int | None = None
    qualifications: frozenset[str] = frozenset()
    # Shifts already counted for fairness: confirmed in the last months and already booked.
    history: int = 0
    # Weekly slots they have had recently (continuity tie-breaker).
    slots: frozenset[Hashable] = frozenset()


@dataclass(frozen=True)
class Existing:
    """An assignment that already exists. Active ones (offered, confirmed) hold time and count
    against the cap; every one, active or not, means "do not ask this person about this shift"."""

    shift_id: int
    person_id: int
    starts_at: datetime
    ends_at: datetime
    active: bool = True


@dataclass(frozen=True)
class Offer:
    shift_id: int
    person_id: int


@dataclass
class Plan:
    offers: list[Offer] = field(default_factory=list)
    unfilled: dict[int, int] = field(default_factory=dict)  # shift id -> places left open


def fits_terms(volunteer: Volunteer, shift: PlanShift, tz: ZoneInfo) -> bool:
    """Weekday, time window, away dates and qualification: the rules that need no state."""
    start = shift.starts_at.astimezone(tz)
    end = shift.ends_at.astimezone(tz)
    if start.weekday() not in volunteer.weekdays:
        return False
    if shift.qualification is not None and shift.qualification not in volunteer.qualifications:
        return False
    if volunteer.away and days_touched(start, end) & volunteer.away:
        return False
    if volunteer.window is not None:
        low, high = volunteer.window
        if end.date() != start.date() or start.time() < low or end.time() > high:
            return False
    return True


def days_touched(start: datetime, end: datetime) -> set[date]:
    """The local dates a shift touches; one that ends at midnight does not touch the next."""
    last = (end - timedelta(microseconds=1)).date() if end > start else start.date()
    return {start.date() + timedelta(days=n) for n in range((last - start.date()).days + 1)}


def overlaps(busy: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)


def month_of(moment: datetime, tz: ZoneInfo) -> tuple[int, int]:
    local = moment.astimezone(tz)
    return local.year, local.month


class _State:
    """What the plan has committed so far: per volunteer busy times, month counts and load."""

    def __init__(self, volunteers: list[Volunteer], existing: list[Existing], tz: ZoneInfo) -> None:
        self.tz = tz
        self.busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.months: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        self.asked: set[tuple[int, int]] = set()
        self.load = {v.id: v.history for v in volunteers}
        self.slots = {v.id: set(v.slots) for v in volunteers}
        for e in existing:
            self.asked.add((e.shift_id, e.person_id))
            if e.active:
                self.busy[e.person_id].append((e.starts_at, e.ends_at))
                self.months[(e.person_id, month_of(e.starts_at, tz))] += 1

    def allows(self, volunteer: Volunteer, shift: PlanShift, *, cap: bool = True) -> bool:
        if (shift.id, volunteer.id) in self.asked:
            return False
        if cap and volunteer.max_per_month is not None:
            taken = self.months[(volunteer.id, month_of(shift.starts_at, self.tz))]
            if taken >= volunteer.max_per_month:
                return False
        return not overlaps(self.busy[volunteer.id], shift.starts_at, shift.ends_at)

    def take(self, volunteer: Volunteer, shift: PlanShift) -> None:
        self.asked.add((shift.id, volunteer.id))
        self.busy[volunteer.id].append((shift.starts_at, shift.ends_at))
        self.months[(volunteer.id, month_of(shift.starts_at, self.tz))] += 1
        self.load[volunteer.id] += 1
        if shift.slot is not None:
            self.slots[volunteer.id].add(shift.slot)


def plan(
    shifts: list[PlanShift],
    volunteers: list[Volunteer],
    existing: list[Existing] | None = None,
    *,
    tz: ZoneInfo,
) -> Plan:
    """Choose a volunteer for every open place that one can be found for (see module doc)."""
    state = _State(volunteers, existing or [], tz)
    candidates = {s.id: [v for v in volunteers if fits_terms(v, s, tz)] for s in shifts}
    order = sorted(shifts, key=lambda s: (len(candidates[s.id]), s.starts_at, s.id))
    result = Plan()
    for shift in order:
        pool = candidates[shift.id]
        for _ in range(max(0, shift.places)):
            best: Volunteer | None = None
            best_key: tuple[int, int, int] | None = None
            for volunteer in pool:
                key = (
                    state.load[volunteer.id],
                    0 if shift.slot is not None and shift.slot in state.slots[volunteer.id] else 1,
                    volunteer.id,
                )
                if best_key is not None and key >= best_key:
                    continue
                if state.allows(volunteer, shift):
                    best, best_key = volunteer, key
            if best is None:
                result.unfilled[shift.id] = result.unfilled.get(shift.id, 0) + 1
                continue
            state.take(best, shift)
            result.offers.append(Offer(shift.id, best.id))
    return result


def open_call_candidates(
    shift: PlanShift,
    volunteers: list[Volunteer],
    existing: list[Existing],
    *,
    tz: ZoneInfo,
) -> list[int]:
    """Who may be asked in an open call: everyone the terms and time allow who was not asked
    about this shift already (``existing`` lists those). The monthly cap is not applied: the call
    asks, and answering JA beyond one's own cap is the volunteer's choice."""
    state = _State(volunteers, existing, tz)
    return [
        v.id for v in volunteers if fits_terms(v, shift, tz) and state.allows(v, shift, cap=False)
    ]
