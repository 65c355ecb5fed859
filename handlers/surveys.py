"""Surveys by text: one question at a time, one reminder, STOPP respected, anonymous answers.

An anonymous survey stores that a person was asked and how far they came
(``survey_recipients``), and the answers apart from them: a count per answer and one shuffled
list of free-text answers per question. The incoming text that carried an answer is blanked and
the open question forgets the answer, so no row, time, id or order ties an answer to a person.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import questions
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.errors import InputError
from handlers.keywords import HELP_WORDS, Answer, parse_yes_no, words
from handlers.texts import t
from storage.loading import load
from storage.models import (
    Appointment,
    OpenQuestion,
    Person,
    Survey,
    SurveyAnswer,
    SurveyFreeText,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTally,
)
from storage.models.states import RecipientStatus, SurveyStatus

MAX_QUESTIONS = 6
KINDS = ("scale", "yesno", "text")
REMIND_AFTER = timedelta(hours=24)
GIVE_UP_AFTER = timedelta(hours=48)  # after the reminder
# Anonymous results are shown once this many people have answered every question.
ANONYMOUS_MINIMUM = 5
TRIGGERS = ("appointment_attended",)
_RANDOM = random.SystemRandom()


@dataclass(frozen=True)
class Template:
    key: str
    title: dict[str, str]
    questions: tuple[tuple[str, str, str], ...]  # (kind, bokmål, English)
    trigger: str | None = None


# The yearly user survey on the five items day centres report, and a session feedback in our own
# words (the named clinical session scales are licensed; these are not copies of them).
TEMPLATES: dict[str, Template] = {
    "yearly": Template(
        "yearly",
        {"nb": "Brukerundersøkelse", "en": "User survey"},
        (
            ("scale", "Hvor fornøyd er du med maten?", "How happy are you with the food?"),
            (
                "scale",
                "Hvor fornøyd er du med hjelpen fra de ansatte (sosialt arbeid)?",
                "How happy are you with the help from staff (social work)?",
            ),
            ("scale", "Hvor fornøyd er du med aktivitetene?", "How happy are you with activities?"),
            (
                "scale",
                "Hvordan er livskvaliteten din nå?",
                "How is your quality of life now?",
            ),
            (
                "scale",
                "Hvor vennlige er de ansatte og frivillige?",
                "How friendly are staff and volunteers?",
            ),
        ),
    ),
    "session": Template(
        "session",
        {"nb": "Etter samtalen", "en": "After the meeting"},
        (
            ("scale", "Følte du deg lyttet til i dag?", "Did you feel listened to today?"),
            (
                "scale",
                "Snakket vi om det som var viktig for deg?",
                "Did we talk about what mattered to you?",
            ),
            (
                "scale",
                "Passet måten vi jobbet på for deg?",
                "Did the way we worked suit you?",
            ),
            ("text", "Er det noe vi bør gjøre annerledes?", "Anything we should do differently?"),
        ),
        trigger="appointment_attended",
    ),
}


def check_questions(items: Sequence[tuple[str, str]]) -> None:
    """1-6 questions, each of a known kind with a text."""
    if not items:
        raise InputError({"questions": "write at least one question"})
    if len(items) > MAX_QUESTIONS:
        raise InputError({"questions": f"at most {MAX_QUESTIONS} questions"})
    for n, (kind, text) in enumerate(items):
        if kind not in KINDS:
            raise InputError({f"questions.{n}.kind": "scale, yesno or text"})
        if not text.strip():
            raise InputError({f"questions.{n}.text": "write the question"})


async def create_survey(
    session: AsyncSession,
    clock: Clock,
    *,
    site_id: int,
    title: str,
    anonymous: bool,
    items: Sequence[tuple[str, str, str | None]],
    template: str | None = None,
    trigger: str | None = None,
) -> Survey:
    """A draft survey with its questions, in order."""
    check_questions([(kind, text) for kind, text, _ in items])
    if trigger is not None and trigger not in TRIGGERS:
        raise InputError({"trigger": "appointment_attended or none"})
    survey = Survey(
        site_id=site_id,
        title=title.strip(),
        anonymous=anonymous,
        template=template,
        trigger=trigger,
        status=SurveyStatus.DRAFT,
        created_at=clock.now(),
    )
    session.add(survey)
    await session.flush()
    for position, (kind, text, text_en) in enumerate(items):
        session.add(
            SurveyQuestion(
                survey_id=survey.id, position=position, kind=kind, text=text, text_en=text_en
            )
        )
    await session.flush()
    return survey


def from_template(key: str, language: str = "nb") -> tuple[str, list[tuple[str, str, str | None]]]:
    template = TEMPLATES.get(key)
    if template is None:
        raise InputError({"template": f"one of {', '.join(TEMPLATES)}"})
    items: list[tuple[str, str, str | None]] = [(k, nb, en) for k, nb, en in template.questions]
    return template.title.get(language, template.title["nb"]), items


async def questions_of(session: AsyncSession, survey_id: int) -> list[SurveyQuestion]:
    rows = await session.scalars(
        select(SurveyQuestion)
        .where(SurveyQuestion.survey_id == survey_id)
        .order_by(SurveyQuestion.position)
    )
    return list(rows)


def reachable(person: Person) -> bool:
    """Someone we may text: not erased, not paused, and some address without STOPP."""
    if person.erased_at is not None or person.status == "paused":
        return False
    return any(c.opted_out_at is None for c in person.contacts)


async def open_survey(session: AsyncSession, clock: Clock, survey: Survey) -> None:
    """Draft -> open, with an empty free-text list for each text question."""
    if survey.status == SurveyStatus.CLOSED:
        raise InputError({"status": "the survey is closed"})
    if survey.status == SurveyStatus.DRAFT:
        survey.status = SurveyStatus.OPEN
        survey.sent_at = clock.now()
        for q in await questions_of(session, survey.id):
            if q.kind == "text":
                session.add(SurveyFreeText(question_id=q.id, answers=[]))
            else:
                for value in values_of(q.kind):
                    session.add(SurveyTally(question_id=q.id, value=value, count=0))
        await session.flush()


async def send_survey(
    session: AsyncSession, clock: Clock, survey: Survey, people: Sequence[Person]
) -> dict[str, int]:
    """Ask each reachable person the first question; nobody is asked the same survey twice."""
    await open_survey(session, clock, survey)
    already = set(
        await session.scalars(
            select(SurveyRecipient.person_id).where(SurveyRecipient.survey_id == survey.id)
        )
    )
    asked = skipped = 0
    for person in people:
        await load(session, person, "contacts")
        if person.id in already or not reachable(person):
            skipped += 1
            continue
        await invite(session, clock, survey, person)
        asked += 1
    return {"asked": asked, "skipped": skipped}


async def invite(
    session: AsyncSession, clock: Clock, survey: Survey, person: Person, ref_id: int | None = None
) -> SurveyRecipient:
    recipient = SurveyRecipient(
        survey_id=survey.id,
        person_id=person.id,
        ref_id=ref_id,
        status=RecipientStatus.ASKED,
        position=0,
        reminded=False,
    )
    session.add(recipient)
    await session.flush()
    await ask_next(session, clock, survey, recipient, person)
    return recipient


def question_text(
    survey: Survey, question: SurveyQuestion, count: int, language: str, reminder: bool
) -> str:
    body = question.text_en if language == "en" and question.text_en else question.text
    how = t(language, f"survey_answer_{question.kind}")
    text = t(
        language, "survey_question", n=question.position + 1, count=count, question=body, how=how
    )
    if reminder:
        return t(language, "survey_reminder", text=text)
    if question.position == 0:
        return t(language, "survey_intro", title=survey.title, count=count) + "\n" + text
    return text


async def ask_next(
    session: AsyncSession,
    clock: Clock,
    survey: Survey,
    recipient: SurveyRecipient,
    person: Person,
    *,
    reminder: bool = False,
) -> None:
    all_questions = await questions_of(session, survey.id)
    question = all_questions[recipient.position]
    answer_type = "yesno" if question.kind == "yesno" else question.kind
    await questions.ask(
        session,
        clock,
        person,
        kind="survey",
        ref_id=recipient.id,
        label=survey.title[:120],
        answer_type=answer_type,
        text=question_text(survey, question, len(all_questions), person.language, reminder),
        key=f"survey:{recipient.id}:{question.position}:{'r' if reminder else 'q'}",
        message_kind="survey",
        buttons=questions.buttons_for(answer_type, person.language) or [],
    )


def anonymised(text: str) -> str:
    """Free text without phone numbers or e-mail addresses, at most 300 characters."""
    text = re.sub(r"\S+@\S+", "[…]", text)
    text = re.sub(r"\+?\d[\d \-]{6,}\d", "[…]", text)
    return " ".join(text.split())[:300]


def values_of(kind: str) -> list[str]:
    return ["1", "2", "3", "4", "5"] if kind == "scale" else ["yes", "no"]


async def add_tally(session: AsyncSession, question_id: int, value: str) -> None:
    """count + 1 for one answer. Every row of the question is rewritten, and the rows were all
    made when the survey opened, so neither which row is newest nor the rows' order on disk
    says which answer was the last one."""
    await session.execute(
        update(SurveyTally)
        .where(SurveyTally.question_id == question_id)
        .values(count=SurveyTally.count + case((SurveyTally.value == value, 1), else_=0))
        .execution_options(synchronize_session=False)
    )


async def add_free_text(session: AsyncSession, question_id: int, text: str) -> None:
    """Put the answer at a random place in the question's one list (locked while changed)."""
    row = await session.scalar(
        select(SurveyFreeText).where(SurveyFreeText.question_id == question_id).with_for_update()
    )
    if row is None:
        row = SurveyFreeText(question_id=question_id, answers=[])
        session.add(row)
    answers = list(row.answers or [])
    answers.insert(_RANDOM.randint(0, len(answers)), text)
    row.answers = answers


async def record(conv: Conversation, question: OpenQuestion, value: str) -> None:
    """Store one answer and ask the next question, or thank them after the last."""
    recipient = await conv.session.get(SurveyRecipient, question.ref_id)
    survey = await conv.session.get(Survey, recipient.survey_id) if recipient else None
    if recipient is None or survey is None or conv.person is None:
        return
    all_questions = await questions_of(conv.session, survey.id)
    asked = all_questions[recipient.position]
    if asked.kind == "text":
        value = anonymised(value)
        if value:
            await add_free_text(conv.session, asked.id, value)
    else:
        await add_tally(conv.session, asked.id, value)
    if survey.anonymous:
        forget(conv, question)
    elif value:
        conv.session.add(SurveyAnswer(question_id=asked.id, recipient_id=recipient.id, value=value))
    recipient.position += 1
    if recipient.position < len(all_questions):
        await ask_next(conv.session, conv.clock, survey, recipient, conv.person)
        return
    recipient.status = RecipientStatus.ANSWERED
    await conv.reply("survey_thanks")


def forget(conv: Conversation, question: OpenQuestion) -> None:
    """Nothing of an anonymous answer stays with the person: not the text that carried it, not
    the button, not the open question's answer."""
    question.answer = None
    conv.message.text = None
    conv.message.kind = "survey_answer"
    conv.message.button_answer = None
    conv.message.question_id = None


async def answer_survey(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """A 1-5 or JA/NEI to a survey question (ANSWER_HANDLERS["survey"])."""
    if answer.value not in ("1", "2", "3", "4", "5", "yes", "no"):
        await conv.reply("survey_not_understood")
        question.status = "open"
        question.answer = None
        question.answered_at = None
        return
    await record(conv, question, answer.value)


async def take_text_answer(conv: Conversation) -> bool:
    """An interceptor: the text is the answer when a free-text survey question is open."""
    if conv.person is None or conv.message.kind == "button":
        return False
    found = words(conv.message.text or "")
    if not found or found[0] in HELP_WORDS:
        return False
    now = conv.clock.now()
    open_text = await questions.open_for(conv, now, "text")
    survey_questions = [q for q in open_text if q.kind == "survey"]
    if not survey_questions:
        return False
    if parse_yes_no(conv.message.text or "") is not None and await questions.open_questions(
        conv.session, conv.person.id, now, "yesno"
    ):
        return False  # "JA" while an appointment asks: that question's answer, not feedback
    question = survey_questions[-1]
    questions.mark_answered(question, Answer("text"), now)
    await record(conv, question, conv.message.text or "")
    return True


async def open_survey_question(session: AsyncSession, recipient_id: int) -> OpenQuestion | None:
    return await session.scalar(
        select(OpenQuestion)
        .where(
            OpenQuestion.kind == "survey",
            OpenQuestion.ref_id == recipient_id,
            OpenQuestion.status == "open",
        )
        .order_by(OpenQuestion.id.desc())
        .limit(1)
    )


async def remind_and_expire(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: one reminder a day after a question went unanswered; give up two days after that;
    a person who said STOPP (or was paused or erased) is asked nothing more."""
    now = clock.now()
    rows = await session.execute(
        select(SurveyRecipient, Survey)
        .join(Survey, Survey.id == SurveyRecipient.survey_id)
        .where(SurveyRecipient.status == RecipientStatus.ASKED)
    )
    done = 0
    for recipient, survey in rows.all():
        person = await session.get(Person, recipient.person_id)
        if person is not None:
            await load(session, person, "contacts")
        question = await open_survey_question(session, recipient.id)
        if person is None or question is None or question.asked_at > now:
            continue
        if survey.status == SurveyStatus.CLOSED or not reachable(person):
            recipient.status = (
                RecipientStatus.EXPIRED
                if survey.status == SurveyStatus.CLOSED
                else RecipientStatus.STOPPED
            )
            question.status = "closed"
            done += 1
        elif not recipient.reminded and question.asked_at <= now - REMIND_AFTER:
            question.status = "closed"
            recipient.reminded = True
            await ask_next(session, clock, survey, recipient, person, reminder=True)
            done += 1
        elif recipient.reminded and question.asked_at <= now - GIVE_UP_AFTER:
            question.status = "closed"
            recipient.status = RecipientStatus.EXPIRED
            done += 1
    return done


async def ask_after_events(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: a survey with a trigger asks each person whose appointment was marked attended after
    the survey opened (within the last two days), once per appointment."""
    now = clock.now()
    surveys = await session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.OPEN, Survey.trigger.is_not(None))
    )
    asked = 0
    for survey in list(surveys):
        since = max(survey.sent_at or now, now - timedelta(days=2))
        done = select(SurveyRecipient.ref_id).where(
            SurveyRecipient.survey_id == survey.id, SurveyRecipient.ref_id.is_not(None)
        )
        appointments = await session.scalars(
            select(Appointment).where(
                Appointment.site_id == survey.site_id,
                Appointment.status == "attended",
                Appointment.outcome_at >= since,
                Appointment.id.not_in(done),
            )
        )
        for appointment in list(appointments):
            person = await session.get(Person, appointment.person_id)
            if person is not None:
                await load(session, person, "contacts")
            if person is not None and reachable(person):
                await invite(session, clock, survey, person, ref_id=appointment.id)
                asked += 1
    return asked


async def close_survey(session: AsyncSession, clock: Clock, survey: Survey) -> None:
    """No more questions: open ones are closed and those half-way are counted as expired."""
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = clock.now()
    recipients = await session.scalars(
        select(SurveyRecipient).where(
            SurveyRecipient.survey_id == survey.id,
            SurveyRecipient.status == RecipientStatus.ASKED,
        )
    )
    for recipient in list(recipients):
        recipient.status = RecipientStatus.EXPIRED
        await questions.close_questions(session, kind="survey", ref_id=recipient.id)


async def recipient_counts(session: AsyncSession, survey_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(SurveyRecipient.status, func.count())
        .where(SurveyRecipient.survey_id == survey_id)
        .group_by(SurveyRecipient.status)
    )
    counts = {status.value: 0 for status in RecipientStatus}
    counts.update({status: int(n) for status, n in rows.all()})
    counts["total"] = sum(counts[s.value] for s in RecipientStatus)
    return counts


async def results(session: AsyncSession, survey: Survey) -> dict[str, Any]:
    """Per question: n, mean (1-5), the distribution, the free-text answers. An anonymous survey
    shows them only once ``ANONYMOUS_MINIMUM`` people have answered it all."""
    counts = await recipient_counts(session, survey.id)
    withheld = survey.anonymous and counts["answered"] < ANONYMOUS_MINIMUM
    out: list[dict[str, Any]] = []
    for q in await questions_of(session, survey.id):
        item: dict[str, Any] = {"position": q.position, "kind": q.kind, "text": q.text}
        if not withheld:
            item.update(await question_figures(session, q))
        out.append(item)
    return {"recipients": counts, "withheld": withheld, "questions": out}


async def question_figures(session: AsyncSession, q: SurveyQuestion) -> dict[str, Any]:
    if q.kind == "text":
        row = await session.get(SurveyFreeText, q.id)
        answers = list(row.answers) if row else []
        return {"n": len(answers), "mean": None, "distribution": {}, "answers": answers}
    tallies = await session.scalars(select(SurveyTally).where(SurveyTally.question_id == q.id))
    found = {tally.value: tally.count for tally in tallies}
    distribution = {v: found.get(v, 0) for v in values_of(q.kind)}
    n = sum(distribution.values())
    mean = (
        round(sum(int(v) * c for v, c in distribution.items()) / n, 2)
        if q.kind == "scale" and n
        else None
    )
    return {"n": n, "mean": mean, "distribution": distribution, "answers": []}


async def erase_answers(session: AsyncSession, clock: Clock, rules: Rules, person: Person) -> None:
    """Erasure: the named answers of the person go; anonymous ones were never theirs to find."""
    recipients = select(SurveyRecipient.id).where(SurveyRecipient.person_id == person.id)
    rows = await session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.recipient_id.in_(recipients))
    )
    for row in list(rows):
        await session.delete(row)


async def survey_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Surveys sent in [start, end): how many, people asked and people who answered it all."""
    query = select(Survey).where(Survey.sent_at >= start, Survey.sent_at < end)
    if site_id is not None:
        query = query.where(Survey.site_id == site_id)
    items = []
    for survey in await session.scalars(query.order_by(Survey.sent_at)):
        counts = await recipient_counts(session, survey.id)
        items.append(
            {
                "id": survey.id,
                "title": survey.title,
                "asked": counts["total"],
                "answered": counts["answered"],
            }
        )
    return {
        "surveys": len(items),
        "asked": sum(i["asked"] for i in items),
        "answered": sum(i["answered"] for i in items),
        "items": items,
    }
