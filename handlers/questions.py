"""Open questions: a JA/NEI or 1-5 the person owes us, and which one an answer belongs to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Update, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, paging
from handlers.clock import Clock
from handlers.context import Conversation
from handlers.keywords import Answer
from handlers.texts import t
from storage.models import OpenQuestion, Person

AnswerHandler = Callable[[Conversation, OpenQuestion, Answer], Awaitable[None]]

# How long after a question closed an answer to it is still recognised as "too late".
LATE_WINDOW = timedelta(hours=24)


def buttons_for(answer_type: str, language: str) -> list[list[str]]:
    """Telegram buttons as (label, answer) pairs."""
    if answer_type == "text":
        return []
    if answer_type == "scale":
        return [[str(n), str(n)] for n in range(1, 6)]
    return [[t(language, "yes"), "yes"], [t(language, "no"), "no"]]


async def ask(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    *,
    kind: str,
    text: str,
    ref_id: int | None = None,
    label: str | None = None,
    answer_type: str = "yesno",
    expires_at: datetime | None = None,
    send_after: datetime | None = None,
    key: str | None = None,
    message_kind: str = "question",
    urgent: bool = False,
    broadcast_id: int | None = None,
    buttons: list[list[str]] | None = None,
) -> OpenQuestion | None:
    """Queue ``text`` to ``person`` and open a question it asks. None if ``key`` was used before.

    The question counts as asked from ``send_after``, so an answer is never matched to a
    reminder that has not gone out yet. ``broadcast_id`` counts the text in a broadcast's
    progress; ``buttons`` replaces the default Telegram buttons (e.g. to add KANSKJE).
    """
    if key is not None and await outbox.key_exists(session, key):
        return None
    question = OpenQuestion(
        person_id=person.id,
        kind=kind,
        ref_id=ref_id,
        answer_type=answer_type,
        label=label,
        asked_at=send_after or clock.now(),
        expires_at=expires_at,
        status="open",
    )
    session.add(question)
    await session.flush()
    message = await outbox.queue_to_person(
        session,
        clock,
        person,
        text,
        kind=message_kind,
        send_after=send_after,
        key=key,
        urgent=urgent,
        buttons=buttons or buttons_for(answer_type, person.language),
        question_id=question.id,
        broadcast_id=broadcast_id,
    )
    if message is None:  # lost a race on the key: nothing was asked
        await session.delete(question)
        return None
    return question


async def open_questions(
    session: AsyncSession, person_id: int, now: datetime, answer_type: str | None = None
) -> list[OpenQuestion]:
    """The person's questions that have been asked and not answered or expired, oldest first."""
    query = select(OpenQuestion).where(
        OpenQuestion.person_id == person_id,
        OpenQuestion.status == "open",
        OpenQuestion.asked_at <= now,
        or_(OpenQuestion.expires_at.is_(None), OpenQuestion.expires_at > now),
    )
    if answer_type is not None:
        query = query.where(OpenQuestion.answer_type == answer_type)
    result = await session.scalars(query.order_by(OpenQuestion.asked_at, OpenQuestion.id))
    return list(result)


async def open_for(
    conv: Conversation, now: datetime, answer_type: str | None = None
) -> list[OpenQuestion]:
    """``open_questions`` for the person of the text at hand, read at most once per text.

    The interceptors and the answer path each ask (by type) before anything is answered; one
    read of the person's questions with status "open" serves them all, filtered here as
    ``open_questions`` filters in SQL. None at all when the router's first read found nothing
    open (``Conversation.asked``)."""
    person = conv.person
    assert person is not None
    if conv.asked is None or conv.asked[0] != person.id:
        rows = await conv.session.scalars(_OPEN_OF, {"person_id": person.id})
        conv.asked = (person.id, list(rows))
    return [
        q
        for q in conv.asked[1]
        if q.status == "open"
        and q.asked_at <= now
        and (q.expires_at is None or q.expires_at > now)
        and (answer_type is None or q.answer_type == answer_type)
    ]


_OPEN_OF = (
    select(OpenQuestion)
    .where(OpenQuestion.person_id == bindparam("person_id"), OpenQuestion.status == "open")
    .order_by(OpenQuestion.asked_at, OpenQuestion.id)
)


async def recently_closed(
    session: AsyncSession, person_id: int, now: datetime, answer_type: str
) -> OpenQuestion | None:
    """A question of this type that expired unanswered within the last day, if any."""
    return await session.scalar(
        select(OpenQuestion)
        .where(
            OpenQuestion.person_id == person_id,
            OpenQuestion.answer_type == answer_type,
            OpenQuestion.answered_at.is_(None),
            OpenQuestion.expires_at <= now,
            OpenQuestion.expires_at > now - LATE_WINDOW,
        )
        .order_by(OpenQuestion.expires_at.desc())
        .limit(1)
    )


async def close_questions(
    session: AsyncSession, *, kind: str, ref_id: int, person_id: int | None = None
) -> None:
    """Close the open questions about one thing (a cancelled appointment, a filled shift)."""
    await session.execute(
        closing(kind, ref_id, person_id).execution_options(synchronize_session=False)
    )


def closing(kind: str, ref_id: int, person_id: int | None) -> Update:
    """The statement that closes them, read through ``ix_open_questions_kind_ref``."""
    query = update(OpenQuestion).where(
        OpenQuestion.kind == kind, OpenQuestion.ref_id == ref_id, OpenQuestion.status == "open"
    )
    if person_id is not None:
        query = query.where(OpenQuestion.person_id == person_id)
    return query.values(status="closed")


async def number_questions(
    session: AsyncSession, person_id: int, open_now: list[OpenQuestion], now: datetime
) -> None:
    """Give each open question without a list number the next one after those in use.

    A number, once shown, keeps its meaning until its question closes, and is not given to
    another question within a day after that: "3 NEI" from the first list still answers
    question 3 after "2 JA" closed question 2, and a late "2 JA" answers nothing new.
    """
    if all(q.list_number is not None for q in open_now):
        return
    recent = or_(
        OpenQuestion.status == "open",
        OpenQuestion.answered_at >= now - LATE_WINDOW,
        OpenQuestion.expires_at.between(now - LATE_WINDOW, now),
    )
    highest = await session.scalar(
        select(func.max(OpenQuestion.list_number)).where(
            OpenQuestion.person_id == person_id, recent
        )
    )
    following = (highest or 0) + 1
    for question in sorted(open_now, key=lambda q: (q.asked_at, q.id)):
        if question.list_number is None:
            question.list_number = following
            following += 1


async def question_listing(conv: Conversation) -> paging.Listing:
    """The "which question?" list, by the numbers the questions keep until they close."""
    assert conv.person is not None
    now = conv.clock.now()
    open_now = await open_questions(conv.session, conv.person.id, now, "yesno")
    await number_questions(conv.session, conv.person.id, open_now, now)
    ordered = sorted(open_now, key=lambda q: q.list_number or 0)
    lines = [f"{q.list_number}: {q.label or q.kind}" for q in ordered]
    example = ordered[0].list_number if ordered else 1
    return paging.Listing("which_question", lines, "no_open_question", {"example": example})


def mark_answered(question: OpenQuestion, answer: Answer, now: datetime) -> None:
    question.status = "answered"
    question.answer = answer.value
    question.answered_at = now
