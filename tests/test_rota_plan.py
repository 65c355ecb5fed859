"""The pure rota planner: no rule is ever broken (property tests), places spread evenly, and
continuity only breaks ties."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.rota.plan import (
    Existing,
    PlanShift,
    Volunteer,
    fits_terms,
    month_of,
    open_call_candidates,
    overlaps,
    plan,
)

OSLO = ZoneInfo("Europe/Oslo")
# Monday 23 March 2026: the period crosses a month end and the change to summer time (29 March).
BASE = date(2026, 3, 23)
QUALIFICATIONS = ("førstehjelp", "kurs modul 1")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(BASE + timedelta(days=day), time(hour, minute), tzinfo=OSLO)


@st.composite
def shifts(draw: st.DrawFn) -> list[PlanShift]:
    count = draw(st.integers(1, 25))
    made = []
    for n in range(count):
        day = draw(st.integers(0, 13))
        hour = draw(st.integers(6, 20))
        minute = draw(st.sampled_from([0, 30]))
        length = draw(st.sampled_from([60, 120, 180, 240, 330]))
        start = at(day, hour, minute)
        made.append(
            PlanShift(
                id=n + 1,
                starts_at=start,
                ends_at=start + timedelta(minutes=length),
                places=draw(st.integers(0, 3)),
                qualification=draw(st.sampled_from([None, None, *QUALIFICATIONS])),
                slot=("slot", start.weekday(), hour),
            )
        )
    return made


@st.composite
def volunteers(draw: st.DrawFn) -> list[Volunteer]:
    count = draw(st.integers(0, 12))
    made = []
    for n in range(count):
        window = None
        if draw(st.booleans()):
            low = draw(st.integers(6, 14))
            window = (time(low), time(draw(st.integers(low + 1, 23))))
        made.append(
            Volunteer(
                id=100 + n,
                weekdays=frozenset(draw(st.sets(st.integers(0, 6), max_size=7))),
                window=window,
                away=frozenset(
                    BASE + timedelta(days=d) for d in draw(st.sets(st.integers(0, 13), max_size=4))
                ),
                max_per_month=draw(st.none() | st.integers(0, 4)),
                qualifications=frozenset(draw(st.sets(st.sampled_from(QUALIFICATIONS)))),
                history=draw(st.integers(0, 6)),
                slots=frozenset(draw(st.sets(st.sampled_from([("slot", d, 8) for d in range(7)])))),
            )
        )
    return made


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[PlanShift], list[Volunteer], list[Existing]]:
    planned = draw(shifts())
    people = draw(volunteers())
    existing: list[Existing] = []
    if people:
        for _ in range(draw(st.integers(0, 8))):
            person = draw(st.sampled_from(people))
            if draw(st.booleans()) and planned:
                shift = draw(st.sampled_from(planned))
                start, end, shift_id = shift.starts_at, shift.ends_at, shift.id
            else:
                start = at(draw(st.integers(-3, 20)), draw(st.integers(6, 20)))
                end, shift_id = start + timedelta(hours=3), 10_000 + len(existing)
            existing.append(Existing(shift_id, person.id, start, end, active=draw(st.booleans())))
    return planned, people, existing


def check_every_rule(
    planned: list[PlanShift], people: list[Volunteer], existing: list[Existing], result
) -> None:
    by_shift = {s.id: s for s in planned}
    by_person = {v.id: v for v in people}
    busy: dict[int, list[tuple[datetime, datetime]]] = {v.id: [] for v in people}
    months: Counter[tuple[int, tuple[int, int]]] = Counter()
    asked = {(e.shift_id, e.person_id) for e in existing}
    for e in existing:
        if e.active:
            busy[e.person_id].append((e.starts_at, e.ends_at))
            months[(e.person_id, month_of(e.starts_at, OSLO))] += 1
    per_shift: Counter[int] = Counter()
    for offer in result.offers:
        shift, person = by_shift[offer.shift_id], by_person[offer.person_id]
        local = shift.starts_at.astimezone(OSLO)
        local_end = shift.ends_at.astimezone(OSLO)
        assert local.weekday() in person.weekdays, "weekday"
        last_day = (local_end - timedelta(microseconds=1)).date()
        touched = {
            local.date() + timedelta(days=n) for n in range((last_day - local.date()).days + 1)
        }
        assert not touched & person.away, "away"
        if person.window is not None:
            assert local.date() == local_end.date(), "window: crosses midnight"
            assert person.window[0] <= local.time(), "window: starts too early"
            assert local_end.time() <= person.window[1], "window: ends too late"
        if shift.qualification is not None:
            assert shift.qualification in person.qualifications, "qualification"
        assert (shift.id, person.id) not in asked, "asked twice about one shift"
        asked.add((shift.id, person.id))
        assert not overlaps(busy[person.id], shift.starts_at, shift.ends_at), "overlap"
        busy[person.id].append((shift.starts_at, shift.ends_at))
        months[(person.id, month_of(shift.starts_at, OSLO))] += 1
        if person.max_per_month is not None:
            assert months[(person.id, month_of(shift.starts_at, OSLO))] <= person.max_per_month
        per_shift[shift.id] += 1
    for shift in planned:
        assert per_shift[shift.id] + result.unfilled.get(shift.id, 0) == max(0, shift.places)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_plan_never_breaks_a_rule(scenario) -> None:
    planned, people, existing = scenario
    result = plan(planned, people, existing, tz=OSLO)
    check_every_rule(planned, people, existing, result)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_an_unfilled_place_really_had_nobody(scenario) -> None:
    """Greedy, but never lazy: for a place left open, every volunteer breaks some rule even
    with the plan's own offers taken into account."""
    planned, people, existing = scenario
    result = plan(planned, people, existing, tz=OSLO)
    taken = existing + [
        Existing(o.shift_id, o.person_id, s.starts_at, s.ends_at)
        for o in result.offers
        for s in planned
        if s.id == o.shift_id
    ]
    for shift in planned:
        if result.unfilled.get(shift.id):
            left = [
                v
                for v in people
                if fits_terms(v, shift, OSLO)
                and v.id in open_call_candidates(shift, [v], taken, tz=OSLO)
                and (
                    v.max_per_month is None
                    or sum(
                        1
                        for e in taken
                        if e.person_id == v.id
                        and e.active
                        and month_of(e.starts_at, OSLO) == month_of(shift.starts_at, OSLO)
                    )
                    < v.max_per_month
                )
            ]
            assert left == []


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 15), st.integers(1, 60), st.integers(1, 3))
def test_equally_available_volunteers_get_an_even_share(people: int, count: int, places: int):
    everyone = [Volunteer(id=n) for n in range(1, people + 1)]
    planned = [
        PlanShift(
            n,
            at(n % 14, 8 + n // 14 % 10),
            at(n % 14, 8 + n // 14 % 10) + timedelta(hours=1),
            places,
        )
        for n in range(count)
    ]
    result = plan(planned, everyone, tz=OSLO)
    load = Counter(o.person_id for o in result.offers)
    shares = [load[v.id] for v in everyone]
    assert max(shares) - min(shares) <= 1


def test_history_counts_for_fairness() -> None:
    """Someone who did many shifts in the last months waits until the others catch up."""
    busy_bee = Volunteer(id=1, history=4)
    others = [Volunteer(id=2, history=0), Volunteer(id=3, history=1)]
    planned = [PlanShift(n, at(n, 10), at(n, 12), 1) for n in range(5)]
    result = plan(planned, [busy_bee, *others], tz=OSLO)
    load = Counter(o.person_id for o in result.offers)
    assert load == {2: 3, 3: 2}
    assert result.unfilled == {}


def test_continuity_breaks_ties_but_never_fairness() -> None:
    monday_cafe = ("cafe", 0, 16)
    ann = Volunteer(id=1)
    bob = Volunteer(id=2, slots=frozenset({monday_cafe}))
    week = [PlanShift(1, at(0, 16), at(0, 20), 1, slot=monday_cafe)]
    assert plan(week, [ann, bob], tz=OSLO).offers[0].person_id == 2  # tie: Bob's usual slot
    bob_busier = Volunteer(id=2, slots=frozenset({monday_cafe}), history=1)
    assert plan(week, [ann, bob_busier], tz=OSLO).offers[0].person_id == 1  # fairness first
    # Over four weeks with two equal volunteers, each keeps "their" slot.
    tuesday_kitchen = ("kitchen", 1, 8)
    weeks = []
    for w in range(4):
        weeks.append(PlanShift(10 + w, at(7 * w, 16), at(7 * w, 20), 1, slot=monday_cafe))
        weeks.append(
            PlanShift(20 + w, at(7 * w + 1, 8), at(7 * w + 1, 12), 1, slot=tuesday_kitchen)
        )
    result = plan(weeks, [ann, bob], tz=OSLO)
    on_cafe = {o.person_id for o in result.offers if o.shift_id < 20}
    on_kitchen = {o.person_id for o in result.offers if o.shift_id >= 20}
    assert on_cafe == {2} and on_kitchen == {1}


def test_each_rule_on_its_own() -> None:
    cafe = PlanShift(1, at(3, 16), at(3, 20), 1)  # Thursday 26 March 16-20
    assert plan([cafe], [Volunteer(1, weekdays=frozenset({0, 1}))], tz=OSLO).unfilled == {1: 1}
    late = Volunteer(1, window=(time(8), time(15)))
    assert plan([cafe], [late], tz=OSLO).unfilled == {1: 1}
    away = Volunteer(1, away=frozenset({date(2026, 3, 26)}))
    assert plan([cafe], [away], tz=OSLO).unfilled == {1: 1}
    first_aid = PlanShift(1, at(3, 16), at(3, 20), 1, qualification="førstehjelp")
    assert plan([first_aid], [Volunteer(1)], tz=OSLO).unfilled == {1: 1}
    assert plan(
        [first_aid], [Volunteer(1, qualifications=frozenset({"førstehjelp"}))], tz=OSLO
    ).offers
    capped = Volunteer(1, max_per_month=1)
    other_day = Existing(99, 1, at(0, 10), at(0, 12))
    assert plan([cafe], [capped], [other_day], tz=OSLO).unfilled == {1: 1}
    # Next month the cap is fresh: 1 April.
    april = PlanShift(2, at(9, 16), at(9, 20), 1)
    assert plan([april], [capped], [other_day], tz=OSLO).offers
    clash = Existing(98, 1, at(3, 19), at(3, 22))
    assert plan([cafe], [Volunteer(1)], [clash], tz=OSLO).unfilled == {1: 1}
    declined = Existing(1, 1, cafe.starts_at, cafe.ends_at, active=False)
    assert plan([cafe], [Volunteer(1)], [declined], tz=OSLO).unfilled == {1: 1}
    # The open call ignores the monthly cap, nothing else.
    assert open_call_candidates(cafe, [capped], [other_day], tz=OSLO) == [1]
    assert open_call_candidates(cafe, [Volunteer(1)], [clash], tz=OSLO) == []
