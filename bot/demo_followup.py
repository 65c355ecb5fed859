"""Demo data for follow-up: three volunteer assignments (one with meetings, one gone quiet, one
handed over to the key worker), consent, everyday reminders, a hostel phone shared by two people
and a man without any phone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox
from handlers.clock import Clock
from handlers.followup import assignments, phones, reminders, signs
from handlers.localtime import local_day
from handlers.people import create_person
from handlers.texts import t
from storage.models import (
    AssignmentMeeting,
    Consent,
    MatchingProfile,
    Person,
    PersonRole,
    ReminderSeries,
    SignOfLife,
    Site,
)


async def people_with(session: AsyncSession, role: str, limit: int) -> list[Person]:
    ids = select(PersonRole.person_id).where(PersonRole.role == role)
    return list(
        await session.scalars(
            select(Person).where(Person.id.in_(ids)).order_by(Person.id).limit(limit)
        )
    )


async def demo_followup(session: AsyncSession, clock: Clock, site: Site) -> str:
    now = clock.now()
    today = local_day(now, ZoneInfo(site.timezone))
    participants = (await people_with(session, "participant", 12))[5:11]
    volunteers = [
        v for v in await people_with(session, "volunteer", 6) if "participant" not in v.role_names
    ]
    if len(participants) < 6 or len(volunteers) < 3:
        return "follow-up demo skipped (too few people)"
    walker, quiet, meldekort, renter, hostel_a, relapsed = participants
    areas = ["Grünerløkka", "Sagene", "Grünerløkka"]
    for volunteer, area, gender in zip(volunteers, areas, ["woman", "man", "woman"], strict=False):
        session.add(
            MatchingProfile(
                person_id=volunteer.id,
                area=area,
                gender=gender,
                age_band="40-49",
                interests="turer,sjakk",
                languages="nb,en",
                max_assignments=2,
            )
        )
    for person in (walker, quiet, meldekort):
        session.add(MatchingProfile(person_id=person.id, area="Grünerløkka", interests="turer"))
    first = await assignments.start(
        session,
        clock,
        volunteers[0],
        walker,
        goal="Gå tur sammen hver uke og komme seg ut av leiligheten",
        starts_on=today - timedelta(days=60),
        review_on=today + timedelta(days=30),
    )
    for weeks, minutes in ((8, 90), (6, 120), (3, 60), (1, 120)):
        session.add(
            AssignmentMeeting(
                assignment_id=first.id, met_at=now - timedelta(weeks=weeks), minutes=minutes
            )
        )
    await assignments.start(
        session,
        clock,
        volunteers[1],
        quiet,
        goal="Følge til NAV-møter og handle mat",
        starts_on=today - timedelta(days=85),
        review_on=today + timedelta(days=5),
    )
    await handed_over(session, clock, volunteers[2], relapsed)
    # Not heard from in 17 days: on I dag's "not seen", texted, key worker not yet told.
    session.add(
        SignOfLife(
            person_id=quiet.id,
            last_seen_at=now - timedelta(days=17),
            last_signal="text",
            threshold_days=14,
            step=1,
            step_at=now - timedelta(days=2),
        )
    )
    await outbox.queue_to_person(
        session, clock, quiet, t(quiet.language, "not_heard"), kind="not_heard"
    )
    session.add_all(
        [
            Consent(
                person_id=quiet.id, scope="texts", how="written", given_at=now - timedelta(days=85)
            ),
            Consent(
                person_id=quiet.id,
                scope="partner",
                party="NAV Grünerløkka",
                how="oral",
                given_at=now - timedelta(days=85),
            ),
            Consent(
                person_id=walker.id,
                scope="relative",
                party="søster Anne",
                how="written",
                given_at=now - timedelta(days=200),
                withdrawn_at=now - timedelta(days=20),
            ),
        ]
    )
    await reminders.create_series(
        session,
        clock,
        meldekort,
        ReminderSeries(
            kind="meldekort", every_days=14, starts_on=today + timedelta(days=3), at="09:00"
        ),
    )
    await reminders.create_series(
        session,
        clock,
        renter,
        ReminderSeries(
            kind="rent", day_of_month=20, starts_on=today, at="10:00", missed_to_inbox=True
        ),
    )
    # A hostel phone: the owner of the number and one more, who begins his texts with "Ørn".
    hostel_b = await create_person(
        session, clock, site_id=site.id, name="Leif Ørnes", roles=["participant"], phone=None
    )
    contact = next(c for c in hostel_a.contacts if c.channel == "sms")
    await phones.share(session, hostel_b, contact, "Ørn")
    for person in (hostel_a, hostel_b):
        await reminders.create_series(
            session,
            clock,
            person,
            ReminderSeries(kind="mailbox", weekday=2, starts_on=today, at="11:00"),
        )
    # No phone at all: what Los would have texted waits on the desk list.
    bjorn = await create_person(
        session,
        clock,
        site_id=site.id,
        name="Bjørn Uten Telefon",
        roles=["participant"],
        phone=None,
    )
    await reminders.create_series(
        session,
        clock,
        bjorn,
        ReminderSeries(kind="pickup", weekday=3, starts_on=today, at="10:00"),
    )
    await outbox.queue_to_person(
        session, clock, bjorn, t("nb", "reminder_answer_hint", text=t("nb", "reminder_pickup"))
    )
    await start_counting(session, now)
    return (
        "follow-up: 3 volunteer assignments, consent, 6 everyday reminders, a shared hostel "
        "phone, 1 person without a phone"
    )


async def handed_over(
    session: AsyncSession, clock: Clock, volunteer: Person, participant: Person
) -> None:
    """Started in the spring, five meetings, handed over to the key worker after a relapse in
    the autumn (the volunteer was "coupled off")."""
    now = clock.now()
    key_worker = await session.get(Person, participant.contact_staff_id or 0)
    if key_worker is None:
        return
    assignment = await assignments.start(
        session,
        clock,
        volunteer,
        participant,
        goal="Komme i gang med trening to ganger i uken",
        starts_on=(now - timedelta(days=250)).date(),
        review_on=(now - timedelta(days=160)).date(),
    )
    for weeks in (34, 32, 30, 27, 24):
        session.add(
            AssignmentMeeting(
                assignment_id=assignment.id, met_at=now - timedelta(weeks=weeks), minutes=120
            )
        )
    await assignments.hand_over(session, clock, assignment, key_worker)
    assignment.ended_at = now - timedelta(days=150)


async def start_counting(session: AsyncSession, now: datetime) -> None:
    """What the signs-of-life job does on its first run: each followed person's "last seen"
    from their newest signal, or from now when they have none and none was recorded."""
    await session.flush()
    followed = await signs.followed_people(session)
    latest = await signs.latest_signals(session, followed, now)
    for person_id in followed:
        row = await signs.row_for(session, person_id)
        if person_id in latest:
            signs.note(row, *latest[person_id])
        if row.last_seen_at is None:
            signs.note(row, now, "followed")
