"""Check-ins: plans, asking on schedule, answers, silence, pauses, and what staff see of it.

A plan asks one person a short question ("Hvordan har du det i dag? Svar 1 til 5") at a local
time they agreed to. An answer is thanked; a low score goes to the person's contact staff at
once. Silence gets one nudge; ``escalate_after_missed`` missed rounds in a row put a "not
reached" item in the inbox, and the plan simply keeps going. Only staff, or the person's own
STOPP, end a plan.

The pure rules (:func:`asks_on`, :func:`next_occurrence`, :func:`nudge_is_due`,
:func:`register_missed`, :func:`is_worrying`) take plain values and plan objects, so they can be
tested without a database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, outbox, questions
from handlers.clock import Clock
from handlers.context import Conversation, Rules, site_quiet_hours
from handlers.errors import InputError
from handlers.keywords import Answer, parse_scale
from handlers.localtime import in_quiet_hours, quiet_hours_end, to_utc
from handlers.texts import t
from storage.models import (
    CheckinPlan,
    CheckinRound,
    InboxItem,
    Message,
    OpenQuestion,
    Person,
    Site,
)
from storage.models.checkins import EVERY, SCHEDULES

# A transition plan: daily for the first week, these weekdays (Monday and Thursday) until the
# end of week four, then weekly.
TRANSITION_DAILY_DAYS = 7
TRANSITION_TWICE_WEEKLY_UNTIL = 28
TRANSITION_TWICE_WEEKLY_DAYS = (0, 3)
# Inbox kinds this feature creates.
LOW_SCORE_KIND = "checkin_low"
NOT_REACHED_KIND = "not_reached"
CRISIS_KIND = "crisis"
MAX_PLANS_PER_RUN = 500


# --- the pure rules -----------------------------------------------------------------------------


def parse_at(value: str) -> time:
    """``"HH:MM"`` as a time; InputError naming ``at`` otherwise."""
    if not re.fullmatch(r"\d{2}:\d{2}", value or ""):
        raise InputError({"at": "use HH:MM, e.g. 10:00"})
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InputError({"at": "use HH:MM, e.g. 10:00"}) from None


def asks_on(plan: CheckinPlan, day: date) -> bool:
    """Whether the plan asks on local ``day``."""
    if day < plan.starts_on:
        return False
    weekday = plan.weekday if plan.weekday is not None else plan.starts_on.weekday()
    if plan.schedule == "transition":
        since = (day - plan.starts_on).days
        if since < TRANSITION_DAILY_DAYS:
            return True
        if since < TRANSITION_TWICE_WEEKLY_UNTIL:
            return day.weekday() in TRANSITION_TWICE_WEEKLY_DAYS
        return day.weekday() == weekday
    if plan.every == "weekly":
        return day.weekday() == weekday
    return True


def next_occurrence(plan: CheckinPlan, tz: ZoneInfo, after: datetime) -> datetime:
    """The first time strictly after ``after`` (UTC) that the plan asks, from the local date and
    ``at``, so it stays at the same wall-clock time across daylight-saving changes."""
    at = parse_at(plan.at)
    day = max(after.astimezone(tz).date(), plan.starts_on)
    while True:
        if asks_on(plan, day):
            candidate = to_utc(day, at, tz)
            if candidate > after:
                return candidate
        day += timedelta(days=1)


def nudge_is_due(
    asked_at: datetime,
    nudge_after_minutes: int,
    now: datetime,
    tz: ZoneInfo,
    quiet: tuple[time, time] | None,
) -> bool:
    """One nudge once the wait is over, but never in quiet hours (it then waits for morning)."""
    if nudge_after_minutes <= 0:
        return False
    if now < asked_at + timedelta(minutes=nudge_after_minutes):
        return False
    return not in_quiet_hours(now, tz, quiet)


def register_missed(plan: CheckinPlan) -> bool:
    """Count one more missed round in a row; True when staff should hear "not reached" now
    (after ``escalate_after_missed`` in a row, and again after each further run of that many)."""
    plan.missed_in_row = (plan.missed_in_row or 0) + 1
    limit = max(1, plan.escalate_after_missed)
    return plan.missed_in_row % limit == 0


def register_answer(plan: CheckinPlan) -> None:
    plan.missed_in_row = 0


def is_worrying(plan: CheckinPlan, score: int) -> bool:
    return score <= plan.low_score_threshold


def question_text(plan: CheckinPlan, language: str) -> str:
    return plan.question or t(language, "checkin_question")


# --- plans --------------------------------------------------------------------------------------


def check_plan(plan: CheckinPlan) -> None:
    """Raise InputError naming every field that does not make sense."""
    fields: dict[str, str] = {}
    if plan.schedule not in SCHEDULES:
        fields["schedule"] = f"use one of {', '.join(SCHEDULES)}"
    if plan.every not in EVERY:
        fields["every"] = f"use one of {', '.join(EVERY)}"
    if plan.weekday is not None and not 0 <= plan.weekday <= 6:
        fields["weekday"] = "use 0 (Monday) to 6 (Sunday)"
    try:
        parse_at(plan.at)
    except InputError as exc:
        fields.update(exc.fields)
    if plan.escalate_after_missed < 1:
        fields["escalate_after_missed"] = "must be at least 1"
    if not 0 <= plan.low_score_threshold <= 4:
        fields["low_score_threshold"] = "use 0 (never) to 4"
    if plan.nudge_after_minutes < 0:
        fields["nudge_after_minutes"] = "must not be negative (0: no nudge)"
    if plan.question is not None and not plan.question.strip():
        fields["question"] = "must not be empty; leave it out for the standard question"
    if fields:
        raise InputError(fields)


async def site_of(session: AsyncSession, person: Person) -> Site:
    site = await session.get(Site, person.site_id)
    assert site is not None
    return site


async def create_plan(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    *,
    at: str,
    every: str = "daily",
    schedule: str = "fixed",
    weekday: int | None = None,
    starts_on: date | None = None,
    question: str | None = None,
    escalate_after_missed: int = 3,
    low_score_threshold: int = 2,
    nudge_after_minutes: int = 240,
) -> CheckinPlan:
    site = await site_of(session, person)
    tz = ZoneInfo(site.timezone)
    now = clock.now()
    start = starts_on or now.astimezone(tz).date()
    plan = CheckinPlan(
        person_id=person.id,
        question=question.strip() if question else None,
        schedule=schedule,
        every=every,
        weekday=weekday if weekday is not None else start.weekday(),
        at=at,
        starts_on=start,
        escalate_after_missed=escalate_after_missed,
        low_score_threshold=low_score_threshold,
        nudge_after_minutes=nudge_after_minutes,
        status="active",
        missed_in_row=0,
        created_at=now,
    )
    check_plan(plan)
    # A plan made at 10:00 for 10:00 asks at once.
    plan.next_due_at = next_occurrence(plan, tz, now - timedelta(seconds=1))
    session.add(plan)
    await session.flush()
    return plan


async def reschedule(session: AsyncSession, clock: Clock, plan: CheckinPlan) -> None:
    """After staff changed the schedule or resumed the plan: the next time from now."""
    check_plan(plan)
    if plan.status != "active":
        return
    person = await session.get(Person, plan.person_id)
    assert person is not None
    tz = ZoneInfo((await site_of(session, person)).timezone)
    plan.next_due_at = next_occurrence(plan, tz, clock.now())


async def end_plan(session: AsyncSession, clock: Clock, plan: CheckinPlan, reason: str) -> None:
    """Stop asking. Rounds stay (figures); an unanswered question is closed."""
    plan.status = "ended"
    plan.ended_reason = reason
    plan.ended_at = clock.now()
    plan.next_due_at = None
    open_rounds = await session.scalars(
        select(CheckinRound.id).where(
            CheckinRound.plan_id == plan.id, CheckinRound.answered_at.is_(None)
        )
    )
    for round_id in list(open_rounds):
        await questions.close_questions(session, kind="checkin", ref_id=round_id)


async def set_plan_status(
    session: AsyncSession, clock: Clock, plan: CheckinPlan, status: str
) -> None:
    """Staff pause, resume or end a plan (the API and the Innsjekk page share this)."""
    if plan.ended_reason == "erased":
        raise InputError({"status": "the person has been erased"})
    if status == "ended":
        if plan.status != "ended":
            await end_plan(session, clock, plan, "staff")
        return
    if status not in ("active", "paused"):
        raise InputError({"status": "use active, paused or ended"})
    plan.status = status
    plan.ended_reason = None
    plan.ended_at = None
    if status == "paused":
        plan.next_due_at = None
    await reschedule(session, clock, plan)


# --- asking, on schedule ------------------------------------------------------------------------


async def ask_due(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: ask every plan that has come due, and move it to its next time."""
    now = clock.now()
    plans = list(
        await session.scalars(
            select(CheckinPlan)
            .where(CheckinPlan.status == "active", CheckinPlan.next_due_at <= now)
            .order_by(CheckinPlan.next_due_at, CheckinPlan.id)
            .limit(MAX_PLANS_PER_RUN)
        )
    )
    asked = 0
    sites: dict[int, Site] = {}
    for plan in plans:
        person = await session.get(Person, plan.person_id)
        assert person is not None and plan.next_due_at is not None
        if person.site_id not in sites:
            sites[person.site_id] = await site_of(session, person)
        site = sites[person.site_id]
        tz = ZoneInfo(site.timezone)
        due = plan.next_due_at
        plan.next_due_at = next_occurrence(plan, tz, now)
        if person.erased_at is not None:
            await end_plan(session, clock, plan, "erased")
            continue
        if person.contacts and all(c.opted_out_at is not None for c in person.contacts):
            await end_plan(session, clock, plan, "opted_out")  # their own STOPP
            continue
        if person.status == "paused":
            continue  # no check-ins while paused; nor does the pause count as silence
        await close_unanswered(session, clock, plan, person, site)
        if await ask_round(session, clock, rules, plan, person, site, due):
            asked += 1
    return asked


async def close_unanswered(
    session: AsyncSession, clock: Clock, plan: CheckinPlan, person: Person, site: Site
) -> None:
    """A new round is due: the earlier unanswered one counts as missed."""
    rounds = await session.scalars(
        select(CheckinRound)
        .where(
            CheckinRound.plan_id == plan.id,
            CheckinRound.answered_at.is_(None),
            CheckinRound.missed.is_(False),
        )
        .order_by(CheckinRound.asked_at)
    )
    for round_ in list(rounds):
        round_.missed = True
        await questions.close_questions(session, kind="checkin", ref_id=round_.id)
        if register_missed(plan):
            round_.escalation = "not_reached"
            await inbox.add_item(
                session,
                clock,
                site_id=site.id,
                kind=NOT_REACHED_KIND,
                summary=f"Ikke nådd: {plan.missed_in_row} innsjekker på rad uten svar.",
                person_id=person.id,
                assigned_to=person.contact_staff_id,
            )


async def ask_round(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    plan: CheckinPlan,
    person: Person,
    site: Site,
    due: datetime,
) -> bool:
    """Queue the question for the round due at ``due``; False if it was asked before."""
    tz = ZoneInfo(site.timezone)
    key = f"checkin:{plan.id}:{due.astimezone(tz).date().isoformat()}"
    if await outbox.key_exists(session, key):
        return False
    now = clock.now()
    quiet = site_quiet_hours(site, rules)
    # Asked in quiet hours (a late "at"), it goes out when they end: the nudge counts from then.
    send_at = quiet_hours_end(now, tz, quiet) if quiet and in_quiet_hours(now, tz, quiet) else now
    round_ = CheckinRound(plan_id=plan.id, person_id=person.id, asked_at=send_at, missed=False)
    session.add(round_)
    await session.flush()
    question = await questions.ask(
        session,
        clock,
        person,
        kind="checkin",
        text=question_text(plan, person.language),
        ref_id=round_.id,
        label=t(person.language, "checkin_label"),
        answer_type="scale",
        send_after=send_at,
        key=key,
        message_kind="checkin",
    )
    if question is None:
        await session.delete(round_)
        return False
    return True


async def nudge_silent(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: one nudge for a round still unanswered after the plan's wait (not in quiet hours)."""
    now = clock.now()
    rows = await session.execute(
        select(CheckinRound, CheckinPlan, Person, OpenQuestion)
        .join(CheckinPlan, CheckinPlan.id == CheckinRound.plan_id)
        .join(Person, Person.id == CheckinRound.person_id)
        .join(
            OpenQuestion,
            (OpenQuestion.kind == "checkin") & (OpenQuestion.ref_id == CheckinRound.id),
        )
        .where(
            CheckinRound.answered_at.is_(None),
            CheckinRound.nudged_at.is_(None),
            CheckinRound.missed.is_(False),
            CheckinRound.asked_at <= now,
            CheckinPlan.status == "active",
            CheckinPlan.nudge_after_minutes > 0,
            Person.status == "active",
            Person.erased_at.is_(None),
            OpenQuestion.status == "open",
        )
        .order_by(CheckinRound.asked_at)
        .limit(MAX_PLANS_PER_RUN)
    )
    sites: dict[int, Site] = {}
    nudged = 0
    for round_, plan, person, question in rows.all():
        if person.site_id not in sites:
            sites[person.site_id] = await site_of(session, person)
        site = sites[person.site_id]
        tz = ZoneInfo(site.timezone)
        if not nudge_is_due(
            round_.asked_at, plan.nudge_after_minutes, now, tz, site_quiet_hours(site, rules)
        ):
            continue
        language = person.language
        text = f"{t(language, 'checkin_nudge')} {question_text(plan, language)}"
        await outbox.queue_to_person(
            session,
            clock,
            person,
            text,
            kind="checkin_nudge",
            key=f"checkin_nudge:{round_.id}",
            buttons=questions.buttons_for("scale", language),
            question_id=question.id,
        )
        round_.nudged_at = now
        nudged += 1
    return nudged


async def resume_paused(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: people whose pause has run out are active again (reminders and check-ins resume)."""
    result = await session.execute(
        update(Person)
        .where(
            Person.status == "paused",
            Person.paused_until.is_not(None),
            Person.paused_until <= clock.now(),
        )
        .values(status="active", paused_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- answers ------------------------------------------------------------------------------------

_LEADING_SCORE = re.compile(r"\s*\d+\s*[.,!:;)\-]*\s*")


def free_text_of(message_text: str | None, answer: Answer) -> str | None:
    """What the person wrote beside the score, as they wrote it ("4 Ok i dag" -> "Ok i dag")."""
    if not answer.rest:
        return None
    raw = message_text or ""
    found = _LEADING_SCORE.match(raw)
    text = raw[found.end() :].strip() if found else answer.rest
    return text or None


async def record_answer(
    conv: Conversation, question: OpenQuestion, answer: Answer
) -> tuple[CheckinRound, CheckinPlan] | None:
    """Store the score and any words on the question's round; None if it is not a check-in."""
    round_ = await conv.session.get(CheckinRound, question.ref_id) if question.ref_id else None
    plan = await conv.session.get(CheckinPlan, round_.plan_id) if round_ else None
    if round_ is None or plan is None or not answer.value.isdigit():
        return None
    round_.score = int(answer.value)
    round_.answered_at = conv.clock.now()
    round_.free_text = (
        None if conv.message.kind == "button" else free_text_of(conv.message.text, answer)
    )
    register_answer(plan)
    return round_, plan


async def answer_checkin(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """A 1-5: record it with any words, thank them; a low score goes to their contact staff."""
    recorded = await record_answer(conv, question, answer)
    if recorded is None:
        await conv.reply("thanks_answer")
        return
    round_, plan = recorded
    assert round_.score is not None
    if is_worrying(plan, round_.score):
        round_.escalation = "low_score"
        said = f" «{round_.free_text}»" if round_.free_text else ""
        await conv.to_inbox(LOW_SCORE_KIND, f"Innsjekk: {round_.score} av 5.{said}")
        await conv.reply("checkin_low_reply")
        return
    await conv.reply("checkin_thanks")


async def answer_within_crisis(conv: Conversation) -> None:
    """A crisis text that also answers an open check-in ("1 vil ikke leve"): keep the score, so
    the round is not later counted as silence. The crisis reply and urgent item say the rest."""
    answer = parse_scale(conv.message.text or "")
    if answer is None or conv.person is None:
        return
    now = conv.clock.now()
    open_scale = await questions.open_questions(conv.session, conv.person.id, now, "scale")
    checkins = [q for q in open_scale if q.kind == "checkin"]
    if not checkins:
        return
    questions.mark_answered(checkins[-1], answer, now)
    await record_answer(conv, checkins[-1], answer)


# --- erasure, figures and the weekly contact report ---------------------------------------------


async def erase_checkins(session: AsyncSession, clock: Clock, rules: Rules, person: Person) -> None:
    """The person's words go; scores stay as counts. Their plans end."""
    await session.execute(
        update(CheckinRound).where(CheckinRound.person_id == person.id).values(free_text=None)
    )
    await session.execute(
        update(CheckinPlan)
        .where(CheckinPlan.person_id == person.id, CheckinPlan.status != "ended")
        .values(status="ended", ended_reason="erased", next_due_at=None)
    )
    await session.execute(
        update(CheckinPlan).where(CheckinPlan.person_id == person.id).values(question=None)
    )


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def checkin_figures(
    session: AsyncSession,
    site_id: int | None,
    start: datetime,
    end: datetime,
    *,
    trend: bool = True,
) -> dict[str, Any]:
    """Check-ins sent, answered, missed and nudged; escalations; average score per person and
    week (for a trend graph), all in [start, end). Without ``trend`` (the yearly report) the
    average is summed in SQL and no answer is read."""

    def in_site(query: Any) -> Any:
        if site_id is None:
            return query
        return query.join(Person, Person.id == CheckinRound.person_id).where(
            Person.site_id == site_id
        )

    async def count_rounds(*conditions: Any) -> int:
        query = select(func.count()).select_from(CheckinRound).where(*conditions)
        return int(await session.scalar(in_site(query)) or 0)

    asked = (CheckinRound.asked_at >= start, CheckinRound.asked_at < end)
    escalations: dict[str, int] = {}
    for kind in (LOW_SCORE_KIND, NOT_REACHED_KIND, CRISIS_KIND):
        query = (
            select(func.count())
            .select_from(InboxItem)
            .where(
                InboxItem.kind == kind, InboxItem.created_at >= start, InboxItem.created_at < end
            )
        )
        if site_id is not None:
            query = query.where(InboxItem.site_id == site_id)
        escalations[kind] = int(await session.scalar(query) or 0)

    scored = (
        CheckinRound.score.is_not(None),
        CheckinRound.answered_at >= start,
        CheckinRound.answered_at < end,
    )
    trend_rows: list[dict[str, Any]] = []
    if trend:
        scores = await session.execute(
            select(
                CheckinRound.person_id, CheckinRound.answered_at, CheckinRound.score, Site.timezone
            )
            .join(Person, Person.id == CheckinRound.person_id)
            .join(Site, Site.id == Person.site_id)
            .where(*scored, *((Person.site_id == site_id,) if site_id is not None else ()))
        )
        weekly: dict[tuple[int, str], list[int]] = defaultdict(list)
        for person_id, answered_at, score, timezone in scores.all():
            if answered_at is None or score is None:
                continue
            week = iso_week(answered_at.astimezone(ZoneInfo(timezone)).date())
            weekly[(person_id, week)].append(score)
        trend_rows = [
            {
                "person_id": person_id,
                "week": week,
                "average": round(sum(values) / len(values), 2),
                "answers": len(values),
            }
            for (person_id, week), values in sorted(weekly.items())
        ]
        total, n = 0, 0
        for values in weekly.values():
            total, n = total + sum(values), n + len(values)
    else:
        total, n = (
            await session.execute(
                in_site(select(func.sum(CheckinRound.score), func.count()).where(*scored))
            )
        ).one()
    figures: dict[str, Any] = {
        "sent": await count_rounds(*asked),
        "answered": await count_rounds(
            CheckinRound.answered_at >= start, CheckinRound.answered_at < end
        ),
        "missed": await count_rounds(*asked, CheckinRound.missed.is_(True)),
        "nudged": await count_rounds(CheckinRound.nudged_at >= start, CheckinRound.nudged_at < end),
        "escalations": {
            "low_score": escalations[LOW_SCORE_KIND],
            "not_reached": escalations[NOT_REACHED_KIND],
            "crisis": escalations[CRISIS_KIND],
        },
        "average_score": round(int(total or 0) / n, 2) if n else None,
    }
    if trend:
        figures["trend"] = trend_rows
    return figures


async def not_reached(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """People with an active check-in plan who neither answered one nor wrote anything in
    [start, end): the list for the weekly team meeting. Paused people are left out (staff
    know where they are)."""
    answered = select(CheckinRound.person_id).where(
        CheckinRound.answered_at >= start, CheckinRound.answered_at < end
    )
    wrote = select(Message.person_id).where(
        Message.direction == "in",
        Message.person_id.is_not(None),
        Message.created_at >= start,
        Message.created_at < end,
    )
    query = (
        select(Person)
        .where(
            Person.id.in_(
                select(CheckinPlan.person_id).where(
                    CheckinPlan.status == "active", CheckinPlan.created_at < end
                )
            ),
            Person.status == "active",
            Person.erased_at.is_(None),
            Person.id.not_in(answered),
            Person.id.not_in(wrote),
        )
        .order_by(Person.id)
    )
    if site_id is not None:
        query = query.where(Person.site_id == site_id)
    people = list(await session.scalars(query))
    ids = [p.id for p in people]
    last_answer: dict[int, datetime] = {}
    last_message: dict[int, datetime] = {}
    asked: dict[int, int] = {}
    for part in range(0, len(ids), 500):  # three grouped queries, not three per person
        chunk = ids[part : part + 500]
        rows = await session.execute(
            select(CheckinRound.person_id, func.max(CheckinRound.answered_at))
            .where(CheckinRound.person_id.in_(chunk))
            .group_by(CheckinRound.person_id)
        )
        last_answer.update({pid: at for pid, at in rows.all() if at is not None})
        wrote_at = await session.execute(
            select(Message.person_id, func.max(Message.created_at))
            .where(Message.person_id.in_(chunk), Message.direction == "in")
            .group_by(Message.person_id)
        )
        last_message.update({pid: at for pid, at in wrote_at.all() if pid is not None and at})
        counted = await session.execute(
            select(CheckinRound.person_id, func.count())
            .where(
                CheckinRound.person_id.in_(chunk),
                CheckinRound.asked_at >= start,
                CheckinRound.asked_at < end,
            )
            .group_by(CheckinRound.person_id)
        )
        asked.update({pid: int(n) for pid, n in counted.all()})
    result = []
    for person in people:
        heard = [d for d in (last_answer.get(person.id), last_message.get(person.id)) if d]
        result.append(
            {
                "person_id": person.id,
                "name": person.name,
                "contact_staff_id": person.contact_staff_id,
                "checkins_asked": asked.get(person.id, 0),
                "last_heard_at": max(heard) if heard else None,
            }
        )
    return result
