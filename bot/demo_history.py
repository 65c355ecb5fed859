"""A year of history for ``los demo``, so the yearly report has something to show.

Counted to be checked by hand (tests/test_yearly_report.py): over the last year, activities held
by type as Blå Kors gatenært Oslo reported them (quiz and bingo 17, hairdresser 6, football 4,
culture trips 9, talk group 14), 20 past appointments (12 confirmed by JA: 10 attended, 2
missed; 8 not confirmed: 4 attended, 4 missed), intakes of the 30 participants (24 taken in, 3
short-term, 3 referred), gender and municipality where recorded, and a finished anonymous user
survey answered by 12 of 15 asked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import activity_types, surveys
from handlers.clock import Clock
from handlers.localtime import to_utc
from storage.models import (
    Activity,
    Appointment,
    Person,
    PersonRole,
    SurveyRecipient,
    SurveyTally,
)
from storage.models.states import RecipientStatus, SurveyStatus

# type key -> (times held in the year, people at each)
HELD: dict[str, tuple[int, int]] = {
    "quiz_bingo": (17, 12),
    "hairdresser": (6, 5),
    "football": (4, 9),
    "culture_trip": (9, 11),
    "talk_group": (14, 4),
}
TITLES = {
    "quiz_bingo": "Quiz og bingo",
    "hairdresser": "Frisør",
    "football": "Fotballkamp",
    "culture_trip": "Museumstur",
    "talk_group": "Samtalegruppe",
}
MUNICIPALITIES = ("Oslo", "Oslo", "Oslo", "Bærum", "Oslo", "Lørenskog", "Oslo")
# The five items of the yearly survey: each (score -> how many of the 12 gave it).
SURVEY_ANSWERS: tuple[dict[str, int], ...] = (
    {"3": 1, "4": 6, "5": 5},  # food 4.33
    {"3": 1, "4": 5, "5": 6},  # social work 4.42
    {"4": 4, "5": 8},  # activities 4.67
    {"2": 1, "3": 3, "4": 6, "5": 2},  # quality of life 3.75
    {"4": 4, "5": 8},  # staff friendliness 4.67
)
SURVEY_ASKED, SURVEY_ANSWERED = 15, 12


async def add_demo_history(session: AsyncSession, clock: Clock, site_id: int) -> None:
    tz = ZoneInfo("Europe/Oslo")
    today = clock.now().astimezone(tz).date()

    def days_ago(days: int, hour: int = 12) -> datetime:
        return to_utc(today - timedelta(days=days), time(hour, 0), tz)

    participants = list(
        await session.scalars(
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.site_id == site_id, PersonRole.role == "participant")
            .order_by(Person.id)
        )
    )
    for n, person in enumerate(participants[:30]):
        person.gender = "woman" if n % 3 == 0 else "man"
        person.municipality = MUNICIPALITIES[n % len(MUNICIPALITIES)] if n % 10 != 9 else None
        person.intake_outcome = "taken_in" if n < 24 else "short_term" if n < 27 else "referred"
        person.intake_on = today - timedelta(days=10 + n * 11)

    await activity_types.types_of(session, site_id)
    code = 0
    for key, (times, people) in HELD.items():
        for _ in range(times):
            code += 1
            starts = days_ago(15 + (code * 7) % 340, 18)
            session.add(
                Activity(
                    site_id=site_id,
                    title=TITLES[key],
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    audience="all",
                    signup_required=False,
                    code=f"H{code:03d}",
                    status="held",
                    head_count=people,
                    activity_type=key,
                    reminders_minutes_before=[],
                    created_at=starts - timedelta(days=7),
                )
            )

    for n in range(20):
        starts = days_ago(20 + n * 15, 10)
        confirmed = n < 12
        attended = n < 10 or 12 <= n < 16
        session.add(
            Appointment(
                site_id=site_id,
                person_id=participants[n % len(participants)].id,
                starts_at=starts,
                title="Avtale",
                location="NAV Grünerløkka" if n % 2 else "Legekontoret",
                reminders_minutes_before=[1440],
                status="attended" if attended else "missed",
                version=1,
                created_at=starts - timedelta(days=10),
                updated_at=starts + timedelta(hours=2),
                confirmed_at=starts - timedelta(hours=20) if confirmed else None,
                outcome_at=starts + timedelta(hours=2),
            )
        )
    await add_finished_survey(session, clock, site_id, participants, days_ago)


async def add_finished_survey(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    participants: list[Person],
    days_ago: Callable[..., datetime],
) -> None:
    """The autumn user survey: anonymous, sent two months ago, closed; tallies as answered."""
    title, items = surveys.from_template("yearly")
    survey = await surveys.create_survey(
        session, clock, site_id=site_id, title=title, anonymous=True, items=items, template="yearly"
    )
    await surveys.open_survey(session, clock, survey)
    survey.sent_at = days_ago(60)
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = days_ago(45)
    questions = await surveys.questions_of(session, survey.id)
    for question, answers in zip(questions, SURVEY_ANSWERS, strict=True):
        for value, count in answers.items():
            await session.execute(
                update(SurveyTally)
                .where(SurveyTally.question_id == question.id, SurveyTally.value == value)
                .values(count=count)
            )
    for n, person in enumerate(participants[:SURVEY_ASKED]):
        session.add(
            SurveyRecipient(
                survey_id=survey.id,
                person_id=person.id,
                status=RecipientStatus.ANSWERED if n < SURVEY_ANSWERED else RecipientStatus.EXPIRED,
                position=len(questions) if n < SURVEY_ANSWERED else 1,
                reminded=n >= 8,
            )
        )
    await session.flush()
