"""``los demo``: one realistic site, so a newcomer sees Los alive at once.

Names are invented; phone numbers are in the +47 400 00 xxx range, which the console channel
uses (no real person is texted).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo_followup import demo_followup
from bot.demo_history import add_demo_history
from bot.staff_users import add_staff
from handlers import appointments
from handlers.checkins import create_plan
from handlers.clock import Clock
from handlers.context import Rules
from handlers.people import create_person
from handlers.sites import ensure_default_site
from storage.models import Person, PersonRole, Site

FIRST = [
    "Ole",
    "Kari",
    "Per",
    "Anne",
    "Jon",
    "Lise",
    "Arne",
    "Tone",
    "Geir",
    "Mona",
    "Rune",
    "Hilde",
    "Terje",
    "Nina",
    "Odd",
    "Siv",
    "Bjørn",
    "Eva",
    "Knut",
    "Randi",
    "Ali",
    "Fatima",
    "Tomasz",
    "Agnieszka",
    "Svein",
    "Grete",
    "Roy",
    "Wenche",
    "Jan",
    "Berit",
]
LAST = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Berg",
    "Haugen",
    "Hagen",
    "Eriksen",
    "Bakke",
]
DEMO_DAY_CENTRE = {str(d): [["08:00", "16:30"]] for d in range(5)} | {"5": [["08:30", "12:30"]]}


def demo_phone(n: int) -> str:
    return f"+4740000{n:03d}"


async def fill_demo(session: AsyncSession, clock: Clock) -> str:
    """Fill an empty database; a database with people in it is left alone."""
    if await session.scalar(select(func.count()).select_from(Person)):
        return "the database already has people; demo data not added"
    rng = random.Random(7)
    site = await ensure_default_site(session, clock, timezone="Europe/Oslo")
    site.name = "Dagsenteret (demo)"
    site.opening_hours = DEMO_DAY_CENTRE
    staff = [
        ("Ingrid Solberg", "coordinator"),
        ("Marius Dahl", "social worker"),
        ("Camilla Ruud", "volunteer coordinator"),
    ]
    staff_people = []
    for n, (name, _title) in enumerate(staff, start=1):
        staff_people.append(
            await create_person(
                session, clock, site_id=site.id, name=name, roles=["staff"], phone=demo_phone(n)
            )
        )
    for n in range(30):
        name = f"{FIRST[n]} {rng.choice(LAST)}"
        person = await create_person(
            session,
            clock,
            site_id=site.id,
            name=name,
            roles=["participant"],
            phone=demo_phone(100 + n),
            language="en" if FIRST[n] in ("Tomasz", "Agnieszka") else "nb",
        )
        person.contact_staff_id = staff_people[n % 2].id
    for n in range(15):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        roles = ["volunteer", "participant"] if n == 0 else ["volunteer"]
        await create_person(
            session, clock, site_id=site.id, name=name, roles=roles, phone=demo_phone(200 + n)
        )
    await add_demo_appointments(session, clock, site.id)
    await add_demo_checkins(session, clock)
    await demo_activities(session, clock, site.id)
    rota_summary = await demo_rota(session, clock, site)
    followup_summary = await demo_followup(session, clock, site)
    await add_demo_history(session, clock, site.id)
    _, token = await add_staff(
        session, clock, name="Demo Koordinator", email="demo@los.invalid", role="admin"
    )
    return (
        "demo site filled: 3 staff, 30 participants (+4740000100…129), 15 volunteers "
        "(+4740000200…214).\n"
        f"{rota_summary}\n"
        f"{followup_summary}\n"
        f"Staff API token (demo@los.invalid):\n{token}"
    )


def next_steps(los: str, url: str) -> str:
    """What to do next, printed on every ``los demo`` (``los`` is how the command was run):
    how to text Los, and how to get a staff token when the first one has scrolled away."""
    return (
        f"Text Los as a participant (Los must be running at {url}):\n"
        f"  {los} chat +4740000100        a volunteer: {los} chat +4740000200\n"
        "A staff API token any time (a new staff user; the token is the last line):\n"
        f'  {los} staff add --name "Your Name" --email you@example.org --role admin\n'
        "A new set-up link for the demo's staff user (sign-in on the staff pages):\n"
        f"  {los} staff reset --email demo@los.invalid"
    )


async def add_demo_checkins(session: AsyncSession, clock: Clock) -> None:
    """Check-in plans for a few participants: daily, a tapering plan after a discharge, weekly
    with the staff's own question; one participant paused (admitted for ten days)."""
    is_participant = select(PersonRole.person_id).where(PersonRole.role == "participant")
    participants = list(
        await session.scalars(
            select(Person).where(Person.id.in_(is_participant)).order_by(Person.id).limit(4)
        )
    )
    if len(participants) < 4:
        return
    daily, discharged, weekly, admitted = participants
    await create_plan(session, clock, daily, at="10:00", every="daily")
    await create_plan(session, clock, discharged, at="11:00", schedule="transition")
    await create_plan(
        session,
        clock,
        weekly,
        at="12:00",
        every="weekly",
        weekday=0,
        question="Hvordan gikk uka? Svar 1 (dårlig) til 5 (bra).",
    )
    await create_plan(session, clock, admitted, at="10:00", every="weekly", weekday=3)
    admitted.status = "paused"
    admitted.paused_until = clock.now() + timedelta(days=10)


async def demo_activities(session: AsyncSession, clock: Clock, site_id: int) -> None:
    """A quiz, a capped trip to Gressholmen with a waiting line, a theme evening, and the weekly
    "Første Steg" open house with no sign-up."""
    from handlers import activities, signups
    from handlers.localtime import to_utc

    tz = ZoneInfo("Europe/Oslo")
    today = clock.now().astimezone(tz).date()

    def at(days: int, hour: int) -> datetime:
        return to_utc(today + timedelta(days=days), time(hour, 0), tz)

    quiz = await activities.create_activity(
        session,
        clock,
        site_id,
        activities.ActivityFields(
            title="Quiz og bingo",
            description="Vi spiller i lag på 2-4. Kaffe og vafler. Alle kan være med.",
            starts_at=at(2, 18),
            ends_at=at(2, 20),
            location="Kafeen",
            audience="participants",
        ),
    )
    trip = await activities.create_activity(
        session,
        clock,
        site_id,
        activities.ActivityFields(
            title="Tur til Gressholmen",
            description="Båt fra Vippetangen kl. 10, grilling og bading. Vi har med mat.",
            starts_at=at(5, 10),
            ends_at=at(5, 16),
            location="Vippetangen",
            capacity=8,
            signup_deadline=at(3, 12),
            audience="all",
        ),
    )
    await activities.create_activity(
        session,
        clock,
        site_id,
        activities.ActivityFields(
            title="Temakveld: hverdagsøkonomi",
            description="En rolig prat om regninger og budsjett. Ingen må si noe.",
            starts_at=at(9, 17),
            ends_at=at(9, 19),
            location="Peisestua",
            audience="all",
        ),
    )
    friday = (4 - today.weekday()) % 7 or 7
    await activities.create_series(
        session,
        clock,
        site_id,
        activities.ActivityFields(
            title="Første Steg",
            description="Åpent hus med enkel lunsj. Her lager vi nye avtaler.",
            starts_at=at(friday, 12),
            ends_at=at(friday, 14),
            location="Storsalen",
            signup_required=False,
            audience="all",
        ),
    )
    people = list(
        await session.scalars(
            select(Person)
            .where(
                Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == "participant"))
            )
            .order_by(Person.id)
        )
    )
    for person in people[:6]:
        await signups.sign_up(session, clock, quiz.id, person)
    for person in people[6:16]:  # 8 places: the last two wait in line
        await signups.sign_up(session, clock, trip.id, person)


async def add_demo_appointments(session: AsyncSession, clock: Clock, site_id: int) -> None:
    """A week of appointments with partners, some with a volunteer going along (følge)."""
    tz = ZoneInfo("Europe/Oslo")
    participants = list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.site_id == site_id, PersonRole.role == "participant")
            .order_by(Person.id)
        )
    )
    volunteers = list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.site_id == site_id, PersonRole.role == "volunteer")
            .order_by(Person.id)
        )
    )
    plans = [
        # (days ahead, local time, title, location, with a volunteer)
        (1, time(10, 0), None, "NAV Grünerløkka, Thorvald Meyers gate 40", True),
        (1, time(13, 30), "Time hos fastlegen", "Legesenteret, Storgata 10", False),
        (2, time(9, 0), None, "Boligkontoret, Tøyen torg 1", True),
        (3, time(11, 0), "Møte med Gatejuristen", "Kirkens Bymisjon, Tøyengata 12", False),
        (4, time(14, 0), None, "Tannlegevakten, Schweigaards gate 6", False),
        (6, time(12, 0), "Første Steg", "Dagsenteret", True),
    ]
    today = clock.now().astimezone(tz).date()
    for n, (days, at, title, location, escorted) in enumerate(plans):
        starts_at = datetime.combine(today + timedelta(days=days), at, tzinfo=tz)
        await appointments.create(
            session,
            clock,
            Rules(),
            person=participants[n % len(participants)],
            starts_at=starts_at.astimezone(ZoneInfo("UTC")),
            title=title,
            location=location,
            companion=volunteers[n % len(volunteers)] if escorted and volunteers else None,
        )


async def demo_rota(session: AsyncSession, clock: Clock, site: Site) -> str:
    """Shift templates, volunteers' terms, four weeks of held shifts (so the hours show in the
    statistics), and offers for the coming week."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from handlers.context import Rules
    from handlers.rota import offers, shifts
    from handlers.rota.plan import plan
    from storage.models import Assignment, PersonRole

    rng = random.Random(11)
    templates = [
        ("kjøkkenvakt", [0, 1, 2, 3, 4], "07:30", "13:00", 2, "kjøkken", None),
        ("kafévakt", [3], "16:00", "20:00", 2, "kafé", None),
        ("motivasjonsteam", [1, 3], "10:00", "14:00", 1, None, "kurs modul 1"),
        ("quizkveld", [2], "18:00", "21:00", 1, None, None),
    ]
    for title, weekdays, start, end, needed, role, qualification in templates:
        await shifts.create_template(
            session,
            clock,
            site,
            title=title,
            weekdays=weekdays,
            start=start,
            end=end,
            needed=needed,
            role=role,
            qualification=qualification,
        )
    volunteers = list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == "volunteer")
            .order_by(Person.id)
        )
    )
    for person in volunteers:
        days = rng.choice([[0, 1, 2, 3, 4], [0, 2], [1, 3], [3], [2, 3, 4], [0, 1, 2, 3, 4, 5]])
        await shifts.set_terms(
            session,
            clock,
            person,
            weekdays=days,
            max_shifts_per_month=rng.choice([None, 4, 8, 12]),
            qualifications=rng.sample(["kurs modul 1", "førstehjelp"], rng.randint(0, 2)),
        )
    tz = ZoneInfo(site.timezone)
    today = clock.now().astimezone(tz).date()
    past = await shifts.generate_for_site(session, clock, site, today - timedelta(days=28), today)
    held = [s for s in past if s.ends_at <= clock.now()]
    pool = await shifts.pool_for(session, site, clock.now(), held[0].starts_at, clock.now())
    history = plan(
        [shifts.plan_shift(s, s.needed, tz) for s in held], pool.volunteers, pool.existing, tz=tz
    )
    for offer in history.offers:
        session.add(
            Assignment(
                shift_id=offer.shift_id,
                person_id=offer.person_id,
                status="confirmed",
                source="plan",
                round=1,
                created_at=clock.now(),
            )
        )
    for shift in held:
        shift.status = "done"
    await session.flush()
    coming = await offers.plan_period(
        session,
        clock,
        Rules(timezone=site.timezone),
        site,
        today,
        today + timedelta(days=6),
        respond_within=timedelta(hours=24),
    )
    return (
        f"rota: {len(templates)} shift templates, {len(held)} shifts held in the last 4 weeks, "
        f"{len(coming.offers)} offers sent for the coming week."
    )
