"""Everyday reminders: NAV meldekort every 14 days, the rent on a day of the month, a weekly
pickup, "open your mailbox" on a weekday, or staff's own words, at a local time.

A series is one row with ``next_due_at``; the periodic job sends what is due and moves it on, in
local time across daylight-saving changes. The person answers OK or FERDIG; a reminder nobody
answered within a day counts as missed (and, if staff asked for it, makes an inbox item).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox, questions
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.errors import InputError
from handlers.followup import phones
from handlers.keywords import Answer
from handlers.localtime import format_when, to_utc
from handlers.texts import t
from storage.models import (
    OpenQuestion,
    Person,
    ReminderOccurrence,
    ReminderSeries,
    ReminderTemplate,
    Site,
)

ANSWER_WINDOW = timedelta(days=1)
DONE_WORDS = frozenset({"ferdig", "done", "gjort", "ok", "okay", "ja", "yes"})
# How far ahead a rule is searched (a day of the month is found within two months).
SEARCH_DAYS = 400


def parse_at(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InputError({"at": "expected HH:MM"}) from None


def check_rule(series: ReminderSeries) -> None:
    """One rule per series, and the one its kind needs."""
    rules = [series.every_days, series.day_of_month, series.weekday]
    if sum(r is not None for r in rules) != 1:
        raise InputError({"every_days": "give exactly one of every_days, day_of_month, weekday"})
    if series.kind == "own" and not (series.text or "").strip():
        raise InputError({"text": "write the reminder in your own words"})
    parse_at(series.at)


def falls_on(series: ReminderSeries, day: date) -> bool:
    if day < series.starts_on:
        return False
    if series.every_days is not None:
        return (day - series.starts_on).days % series.every_days == 0
    if series.day_of_month is not None:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(series.day_of_month, last)
    return day.weekday() == series.weekday


def next_due(series: ReminderSeries, tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first reminder time after ``after``: the wall-clock time on the next day the rule
    names, so 09:00 stays 09:00 on both sides of a daylight-saving change."""
    at = parse_at(series.at)
    day = max(series.starts_on, after.astimezone(tz).date())
    for _ in range(SEARCH_DAYS):
        if falls_on(series, day):
            moment = to_utc(day, at, tz)
            if moment > after:
                return moment
        day += timedelta(days=1)
    return None


async def template_text(session: AsyncSession, site_id: int, kind: str, language: str) -> str:
    """The site's own wording of a kind, else the catalogue's."""
    own = await session.scalar(
        select(ReminderTemplate).where(
            ReminderTemplate.site_id == site_id, ReminderTemplate.kind == kind
        )
    )
    if own is not None:
        return (own.text_en if language == "en" and own.text_en else own.text_nb).strip()
    return t(language, f"reminder_{kind}")


async def reminder_text(session: AsyncSession, series: ReminderSeries, language: str) -> str:
    base = (
        series.text.strip()
        if series.kind == "own" and series.text
        else (await template_text(session, series.site_id, series.kind, language))
    )
    return t(language, "reminder_answer_hint", text=base)


async def create_series(
    session: AsyncSession, clock: Clock, person: Person, series: ReminderSeries
) -> ReminderSeries:
    check_rule(series)
    site = await session.get(Site, person.site_id)
    assert site is not None
    series.person_id = person.id
    series.site_id = person.site_id
    series.status = "active"
    series.created_at = clock.now()
    series.next_due_at = next_due(series, ZoneInfo(site.timezone), clock.now())
    session.add(series)
    await session.flush()
    return series


async def send_due(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Send every reminder that has come due and move its series on; returns how many."""
    now = clock.now()
    due = list(
        await session.scalars(
            select(ReminderSeries)
            .where(ReminderSeries.status == "active", ReminderSeries.next_due_at <= now)
            .order_by(ReminderSeries.next_due_at)
            .limit(500)
        )
    )
    sent = 0
    for series in due:
        person = await session.get(Person, series.person_id)
        site = await session.get(Site, series.site_id)
        assert site is not None and series.next_due_at is not None
        due_at = series.next_due_at
        tz = ZoneInfo(site.timezone)
        series.next_due_at = next_due(series, tz, max(now, due_at))
        if person is None or person.erased_at is not None:
            series.status = "ended"
            continue
        if now - due_at > ANSWER_WINDOW:
            continue  # the service was down for a day: a stale reminder helps nobody
        occurrence = ReminderOccurrence(series_id=series.id, due_at=due_at)
        try:
            async with session.begin_nested():
                session.add(occurrence)
        except IntegrityError:
            continue  # another process sent it
        await questions.ask(
            session,
            clock,
            person,
            kind="reminder",
            ref_id=occurrence.id,
            label=t(person.language, f"reminder_{series.kind}")[:120]
            if series.kind != "own"
            else (series.text or "")[:120],
            text=await reminder_text(session, series, person.language),
            expires_at=due_at + ANSWER_WINDOW,
            key=f"reminder:series:{series.id}:{due_at:%Y%m%d%H%M}",
            message_kind="reminder",
        )
        sent += 1
    return sent


async def mark_missed(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Reminders nobody answered within a day are missed; an inbox item if staff asked."""
    now = clock.now()
    rows = await session.execute(
        select(ReminderOccurrence, ReminderSeries)
        .join(ReminderSeries, ReminderSeries.id == ReminderOccurrence.series_id)
        .where(
            ReminderOccurrence.done_at.is_(None),
            ReminderOccurrence.missed_at.is_(None),
            ReminderOccurrence.due_at <= now - ANSWER_WINDOW,
        )
        .limit(1000)
    )
    count = 0
    for occurrence, series in rows:
        occurrence.missed_at = now
        count += 1
        if series.missed_to_inbox:
            site = await session.get(Site, series.site_id)
            person = await session.get(Person, series.person_id)
            assert site is not None and person is not None
            when = format_when(occurrence.due_at, ZoneInfo(site.timezone), "nb")
            await inbox.add_item(
                session,
                clock,
                site_id=series.site_id,
                kind="reminder_missed",
                summary=t("nb", "reminder_missed_inbox", when=when),
                person_id=person.id,
                assigned_to=person.contact_staff_id,
            )
    return count


async def answer_reminder(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """OK or JA to a reminder: done."""
    occurrence = await conv.session.get(ReminderOccurrence, question.ref_id)
    if occurrence is not None and occurrence.done_at is None:
        occurrence.done_at = conv.clock.now()
    await phones.reply_named(conv, "reminder_done")


async def open_reminders(
    session: AsyncSession, person_id: int, now: datetime
) -> list[OpenQuestion]:
    found = await questions.open_questions(session, person_id, now, "yesno")
    return [q for q in found if q.kind == "reminder"]


async def mark_done(conv: Conversation) -> bool:
    """FERDIG: the person's latest open reminder is done. False when none is open."""
    assert conv.person is not None
    now = conv.clock.now()
    found = await open_reminders(conv.session, conv.person.id, now)
    if not found:
        return False
    question = found[-1]
    questions.mark_answered(question, Answer("yes"), now)
    await answer_reminder(conv, question, Answer("yes"))
    return True


async def done_command(conv: Conversation, args: list[str]) -> None:
    """FERDIG / DONE."""
    if not await mark_done(conv):
        await phones.reply_named(conv, "reminder_nothing_open")


async def reminder_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, int]:
    """Everyday reminders sent, done and missed in the period."""
    query = (
        select(ReminderOccurrence)
        .join(ReminderSeries, ReminderSeries.id == ReminderOccurrence.series_id)
        .where(ReminderOccurrence.due_at >= start, ReminderOccurrence.due_at < end)
    )
    if site_id is not None:
        query = query.where(ReminderSeries.site_id == site_id)
    rows = list(await session.scalars(query))
    return {
        "sent": len(rows),
        "done": sum(1 for r in rows if r.done_at is not None),
        "missed": sum(1 for r in rows if r.missed_at is not None),
    }
