"""The rota planner at scale: 4 weeks, 500 volunteers, 300 shifts a week.

Prints the time the plan took and the fairness spread: within each group of volunteers with the
same terms (equally available), the most shifts one got minus the fewest; the worst group counts.

    python -m bench.rota_plan
"""

from __future__ import annotations

import random
import time as timer
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.rota.plan import PlanShift, Volunteer, plan

OSLO = ZoneInfo("Europe/Oslo")
START = date(2026, 3, 2)  # a Monday
WEEKS = 4
VOLUNTEERS = 500
SHIFTS_PER_WEEK = 300

# (name, weekdays, time window, monthly cap, qualifications): the kinds of commitment a site sees,
# from one evening a week to five days a week.
PROFILES = [
    ("weekdays", range(5), None, None, ()),
    ("mon-wed", (0, 1, 2), None, 8, ()),
    ("thu-sun", (3, 4, 5, 6), None, 8, ("førstehjelp",)),
    ("evenings", range(7), (time(15), time(22)), 6, ()),
    ("tuesdays", (1,), None, 4, ()),
    ("every day, first aid", range(7), None, 12, ("førstehjelp", "kurs modul 1")),
    ("weekends", (5, 6), None, 4, ()),
]
# (title, start, end, needed, qualification)
KINDS = [
    ("kjøkken", time(7, 30), time(13, 0), 2, None),
    ("motivasjon", time(10, 0), time(14, 0), 1, "kurs modul 1"),
    ("kafé", time(16, 0), time(20, 0), 2, None),
    ("quiz", time(18, 0), time(21, 0), 1, None),
    ("tur", time(9, 0), time(17, 0), 2, "førstehjelp"),
]


def make_volunteers(rng: random.Random) -> tuple[list[Volunteer], dict[int, str]]:
    volunteers, profile_of = [], {}
    for n in range(VOLUNTEERS):
        name, days, window, cap, quals = PROFILES[n % len(PROFILES)]
        volunteers.append(
            Volunteer(
                id=n + 1,
                weekdays=frozenset(days),
                window=window,
                max_per_month=cap,
                qualifications=frozenset(quals),
            )
        )
        profile_of[n + 1] = name
    rng.shuffle(volunteers)
    return volunteers, profile_of


def make_shifts(rng: random.Random) -> list[PlanShift]:
    shifts = []
    for n in range(SHIFTS_PER_WEEK * WEEKS):
        week, index = divmod(n, SHIFTS_PER_WEEK)
        day = START + timedelta(days=7 * week + index % 7)
        title, start, end, needed, qualification = KINDS[rng.randrange(len(KINDS))]
        starts_at = datetime.combine(day, start, tzinfo=OSLO)
        shifts.append(
            PlanShift(
                id=n + 1,
                starts_at=starts_at,
                ends_at=datetime.combine(day, end, tzinfo=OSLO),
                places=needed,
                qualification=qualification,
                slot=(title, day.weekday(), start),
            )
        )
    return shifts


def main() -> None:
    rng = random.Random(2026)
    volunteers, profile_of = make_volunteers(rng)
    shifts = make_shifts(rng)
    places = sum(s.places for s in shifts)
    began = timer.perf_counter()
    result = plan(shifts, volunteers, tz=OSLO)
    took = timer.perf_counter() - began
    load = Counter(o.person_id for o in result.offers)
    groups: dict[str, list[int]] = defaultdict(list)
    for volunteer in volunteers:
        groups[profile_of[volunteer.id]].append(load[volunteer.id])
    print(
        f"planned {WEEKS} weeks: {len(volunteers)} volunteers, {len(shifts)} shifts, "
        f"{places} places in {took:.2f} s"
    )
    print(f"offers {len(result.offers)}, places unfilled {sum(result.unfilled.values())}")
    for name, counts in groups.items():
        print(
            f"  {name:<22} {len(counts):>3} volunteers  shifts min {min(counts)} "
            f"max {max(counts)}  spread {max(counts) - min(counts)}"
        )
    spread = max(max(c) - min(c) for c in groups.values())
    print(f"fairness spread (max - min among the equally available, worst group): {spread}")


if __name__ == "__main__":
    main()
