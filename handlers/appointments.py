"""Appointments: reminders before, the participant's answer, the escort, changes and outcomes.

Every reminder is an outbox row queued when the appointment is made (or changed), keyed
``reminder:appointment:<id>:<minutes>`` (``...:v<n>:<minutes>`` once it has been rescheduled,
``...:companion:<minutes>`` for the escort). Whenever what the reminders say or when they go
changes, every still-queued one is cancelled by that prefix and a fresh set is queued under the
next version, so a stale reminder never goes out.

A participant's reminders ask JA/NEI through one open question (kind ``appointment``), asked
by the first reminder and open until the appointment starts; after a JA the remaining reminders
go out without a question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, questions
from handlers.clock import Clock
from handlers.context import Rules, site_quiet_hours
from handlers.errors import InputError
from handlers.localtime import (
    format_day,
    format_when,
    in_quiet_hours,
    local_day,
    quiet_hours_end,
    quiet_hours_start_before,
)
from handlers.texts import t
from storage.models import Appointment, OpenQuestion, Person, PersonRole, Site

DEFAULT_TITLE = "Avtale"
ACTIVE = ("scheduled", "confirmed")
MAX_REMINDER_MINUTES = 20160  # two weeks
MAX_REMINDERS = 10
QUESTION_KIND = "appointment"
MISSED_KIND = "appointment_missed"
MISSED_FOLLOWUP_AT = time(9, 0)  # local, the morning after a missed appointment
MISSED_QUESTION_DAYS = 3  # how long "Vil du ha en ny time?" stays open

REMINDER_KIND = "appointment_reminder"
ESCORT_KIND = "appointment_escort"
NOTICE_KIND = "appointment_notice"
FOLLOWUP_KIND = "appointment_followup"


# --- validation --------------------------------------------------------------------------------


def check_reminders(minutes: list[int], field: str = "reminders_minutes_before") -> list[int]:
    """Distinct minutes, largest first; each 0 < m <= two weeks. A site's defaults use the same
    rule under its own ``field`` name."""
    if len(minutes) > MAX_REMINDERS:
        raise InputError({field: f"at most {MAX_REMINDERS} reminders"})
    for m in minutes:
        if not 0 < m <= MAX_REMINDER_MINUTES:
            raise InputError(
                {field: f"each must be more than 0 and at most {MAX_REMINDER_MINUTES} minutes"}
            )
    return sorted(set(minutes), reverse=True)


def check_times(
    clock: Clock, starts_at: datetime, ends_at: datetime | None, *, start_changed: bool = True
) -> None:
    if start_changed and starts_at <= clock.now():
        raise InputError({"starts_at": "is in the past"})
    if ends_at is not None and ends_at <= starts_at:
        raise InputError({"ends_at": "must be after starts_at"})


async def load_participant(session: AsyncSession, person_id: int) -> Person:
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise InputError({"person_id": "no such person"})
    return person


async def load_companion(
    session: AsyncSession, companion_id: int | None, person_id: int
) -> Person | None:
    """The escort: a volunteer or a staff member, not the participant themself."""
    if companion_id is None:
        return None
    companion = await session.get(Person, companion_id)
    if companion is None or companion.erased_at is not None:
        raise InputError({"companion_id": "no such person"})
    if companion_id == person_id:
        raise InputError({"companion_id": "must be someone else than person_id"})
    roles = set(
        await session.scalars(select(PersonRole.role).where(PersonRole.person_id == companion_id))
    )
    if not roles & {"volunteer", "staff"}:
        raise InputError({"companion_id": "must be a volunteer or a staff member"})
    return companion


# --- words -------------------------------------------------------------------------------------


def title_for(appointment: Appointment, language: str) -> str:
    title = appointment.title or DEFAULT_TITLE
    return t(language, "appointment_default_title") if title == DEFAULT_TITLE else title


def place_for(appointment: Appointment) -> str:
    return f", {appointment.location}" if appointment.location else ""


def when_for(appointment: Appointment, tz: ZoneInfo, language: str, at: datetime) -> str:
    """The start as a person reads it at ``at``: "i morgen kl. 10:00"."""
    return format_when(appointment.starts_at, tz, language, today=local_day(at, tz))


def label_for(appointment: Appointment, tz: ZoneInfo, language: str) -> str:
    """Short and neutral, for "which question?": "Avtale tirsdag 3. mars 10:00"."""
    local = appointment.starts_at.astimezone(tz)
    label = t(
        language,
        "appointment_label",
        title=title_for(appointment, language),
        day=format_day(local.date(), language),
        clock=local.strftime("%H:%M"),
    )
    return label[:120]


def delivery_time(now: datetime, site: Site, rules: Rules) -> datetime:
    """When a non-urgent text queued now will go out: now, or when quiet hours end."""
    quiet = site_quiet_hours(site, rules)
    tz = ZoneInfo(site.timezone)
    if quiet is not None and in_quiet_hours(now, tz, quiet):
        return quiet_hours_end(now, tz, quiet)
    return now


# --- when reminders go -------------------------------------------------------------------------


def minutes_before(starts_at: datetime, minutes: int, tz: ZoneInfo) -> datetime:
    """``minutes`` before the start; whole days count in local calendar days.

    1440 is "the day before at the same local time" even across a daylight-saving change, and
    the rest is counted in real minutes (120 is always two hours before).
    """
    days, rest = divmod(minutes, 1440)
    local = starts_at.astimezone(tz)
    moved = datetime.combine(local.date() - timedelta(days=days), local.time(), tzinfo=tz)
    return moved.astimezone(ZoneInfo("UTC")) - timedelta(minutes=rest)


def reminder_times(
    appointment: Appointment, site: Site, rules: Rules, now: datetime, *, catch_up: bool
) -> list[tuple[int, datetime]]:
    """(minutes, send time) for each reminder still to go, earliest first.

    A reminder in quiet hours moves earlier, to the last minute before they begin. One whose
    time has passed is skipped; with ``catch_up`` (a new appointment) one that only passed
    because it moved earlier goes out now instead, unless now is itself in quiet hours.
    """
    tz = ZoneInfo(site.timezone)
    quiet = site_quiet_hours(site, rules)
    found: dict[datetime, int] = {}
    for minutes in sorted(set(appointment.reminders_minutes_before), reverse=True):
        planned = minutes_before(appointment.starts_at, minutes, tz)
        if planned <= now:
            continue
        at = planned
        if quiet is not None and in_quiet_hours(at, tz, quiet):
            at = quiet_hours_start_before(at, tz, quiet)
        if at <= now:
            if not catch_up or (quiet is not None and in_quiet_hours(now, tz, quiet)):
                continue
            at = now
        if at >= appointment.starts_at:
            continue
        found.setdefault(at, minutes)
    return sorted(((m, at) for at, m in found.items()), key=lambda pair: pair[1])


def reminder_key(appointment: Appointment, part: str) -> str:
    version = "" if appointment.version <= 1 else f"v{appointment.version}:"
    return f"{reminder_prefix(appointment.id)}{version}{part}"


def reminder_prefix(appointment_id: int) -> str:
    return f"reminder:appointment:{appointment_id}:"


# --- queueing ----------------------------------------------------------------------------------


@dataclass
class Scene:
    """What every text about one appointment needs."""

    session: AsyncSession
    clock: Clock
    rules: Rules
    site: Site
    appointment: Appointment
    person: Person
    companion: Person | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)


async def scene_for(
    session: AsyncSession, clock: Clock, rules: Rules, appointment: Appointment
) -> Scene:
    site = await session.get(Site, appointment.site_id)
    person = await session.get(Person, appointment.person_id)
    assert site is not None and person is not None
    companion = None
    if appointment.companion_id is not None:
        companion = await session.get(Person, appointment.companion_id)
        if companion is not None and companion.erased_at is not None:
            companion = None
    return Scene(session, clock, rules, site, appointment, person, companion)


async def queue_reminders(scene: Scene, *, catch_up: bool = False) -> int:
    """Queue the reminders of the current version; returns how many were queued."""
    appointment, person = scene.appointment, scene.person
    now = scene.clock.now()
    if appointment.status not in ACTIVE or appointment.starts_at <= now:
        return 0
    if person.erased_at is not None:
        return 0
    times = reminder_times(appointment, scene.site, scene.rules, now, catch_up=catch_up)
    lang = person.language
    values = {"title": title_for(appointment, lang), "place": place_for(appointment)}
    queued = 0
    question: OpenQuestion | None = None
    for minutes, at in times:
        when = when_for(appointment, scene.tz, lang, at)
        key = reminder_key(appointment, str(minutes))
        if appointment.status == "scheduled" and question is None:
            # One question per appointment, asked by the first reminder and open until the
            # start; later reminders ask it again (with its buttons) rather than a new one.
            question = await questions.ask(
                scene.session,
                scene.clock,
                person,
                kind=QUESTION_KIND,
                ref_id=appointment.id,
                label=label_for(appointment, scene.tz, lang),
                text=t(lang, "appointment_reminder", when=when, **values),
                expires_at=appointment.starts_at,
                send_after=at,
                key=key,
                message_kind=REMINDER_KIND,
            )
            queued += question is not None
            continue
        asking = question is not None
        message = await outbox.queue_to_person(
            scene.session,
            scene.clock,
            person,
            t(
                lang,
                "appointment_reminder" if asking else "appointment_reminder_confirmed",
                when=when,
                **values,
            ),
            kind=REMINDER_KIND,
            send_after=at,
            key=key,
            buttons=questions.buttons_for("yesno", lang) if asking else None,
            question_id=question.id if question is not None else None,
        )
        queued += message is not None
    if scene.companion is not None:
        for minutes, at in times:
            await tell_companion(
                scene,
                "appointment_escort_reminder",
                f"companion:{minutes}",
                at=at,
                kind=ESCORT_KIND,
            )
    return queued


async def tell_companion(
    scene: Scene, key: str, part: str, *, at: datetime | None = None, kind: str = NOTICE_KIND
) -> None:
    """A text to the escort naming the participant by first name only.

    Notices, too, are keyed under the appointment's reminder prefix, so a later change cancels
    one that has not gone out yet.
    """
    companion = scene.companion
    if companion is None:
        return
    send_at = at or delivery_time(scene.clock.now(), scene.site, scene.rules)
    lang = companion.language
    await outbox.queue_to_person(
        scene.session,
        scene.clock,
        companion,
        t(
            lang,
            key,
            name=scene.person.first_name,
            when=when_for(scene.appointment, scene.tz, lang, send_at),
            place=place_for(scene.appointment),
        ),
        kind=kind,
        send_after=at,
        key=reminder_key(scene.appointment, part),
    )


async def tell_person(scene: Scene, key: str, part: str) -> None:
    """One notice to the participant (moved, cancelled), read as of when it will go out."""
    person = scene.person
    lang = person.language
    send_at = delivery_time(scene.clock.now(), scene.site, scene.rules)
    await outbox.queue_to_person(
        scene.session,
        scene.clock,
        person,
        t(
            lang,
            key,
            title=title_for(scene.appointment, lang),
            when=when_for(scene.appointment, scene.tz, lang, send_at),
            place=place_for(scene.appointment),
        ),
        kind=NOTICE_KIND,
        key=reminder_key(scene.appointment, f"notice:{part}"),
    )


async def withdraw_reminders(scene: Scene) -> None:
    """Cancel every queued reminder and close the open questions of this appointment."""
    appointment = scene.appointment
    await outbox.cancel_queued(scene.session, key_prefix=reminder_prefix(appointment.id))
    await questions.close_questions(scene.session, kind=QUESTION_KIND, ref_id=appointment.id)
    appointment.version += 1


async def requeue(scene: Scene) -> None:
    """Reminders anew for the appointment as it is now; nothing stale stays queued."""
    await withdraw_reminders(scene)
    await queue_reminders(scene)


# --- what staff do -----------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    *,
    person: Person,
    starts_at: datetime,
    ends_at: datetime | None = None,
    title: str | None = None,
    location: str | None = None,
    companion: Person | None = None,
    reminders_minutes_before: list[int] | None = None,
) -> Appointment:
    """Register an appointment and queue its reminders."""
    check_times(clock, starts_at, ends_at)
    site = await session.get(Site, person.site_id)
    assert site is not None
    minutes = check_reminders(
        list(site.default_reminders)
        if reminders_minutes_before is None
        else reminders_minutes_before
    )
    now = clock.now()
    appointment = Appointment(
        site_id=site.id,
        person_id=person.id,
        companion_id=companion.id if companion else None,
        starts_at=starts_at,
        ends_at=ends_at,
        title=(title or "").strip() or DEFAULT_TITLE,
        location=(location or "").strip() or None,
        reminders_minutes_before=minutes,
        status="scheduled",
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(appointment)
    await session.flush()
    scene = Scene(session, clock, rules, site, appointment, person, companion)
    await queue_reminders(scene, catch_up=True)
    return appointment


async def change(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    appointment: Appointment,
    *,
    old_starts_at: datetime,
    old_location: str | None,
    old_companion_id: int | None,
) -> None:
    """After staff changed fields: fresh reminders, and a notice if the time or place moved."""
    appointment.updated_at = clock.now()
    scene = await scene_for(session, clock, rules, appointment)
    moved = appointment.starts_at != old_starts_at or appointment.location != old_location
    if moved and appointment.status in ("confirmed", "declined"):
        appointment.status = "scheduled"  # a new time needs a new answer
    await requeue(scene)
    if appointment.status not in ACTIVE or appointment.starts_at <= clock.now():
        return
    if old_companion_id is not None and appointment.companion_id != old_companion_id:
        released = await session.get(Person, old_companion_id)
        if released is not None and released.erased_at is None:
            await tell_companion(
                replace(scene, companion=released),
                "appointment_escort_released",
                f"companion:released:{old_companion_id}",
            )
    if not moved:
        return
    await tell_person(scene, "appointment_moved", "moved")
    if scene.companion is not None and appointment.companion_id == old_companion_id:
        await tell_companion(scene, "appointment_escort_moved", "companion:moved")


_UNSET: Any = object()


async def edit(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    appointment: Appointment,
    *,
    starts_at: datetime = _UNSET,
    ends_at: datetime | None = _UNSET,
    title: str = _UNSET,
    location: str | None = _UNSET,
    companion: Person | None = _UNSET,
    reminders_minutes_before: list[int] = _UNSET,
) -> list[str]:
    """Staff change an appointment's details (times already in UTC); what is left out stays.

    Shared by ``PATCH /api/appointments/{id}`` and the Avtaler page; returns the changed names.
    """
    given = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "title": title,
        "location": location,
        "companion_id": companion,
        "reminders_minutes_before": reminders_minutes_before,
    }
    changed = sorted(name for name, value in given.items() if value is not _UNSET)
    if not changed:
        return []
    old = (appointment.starts_at, appointment.location, appointment.companion_id)
    new_start = appointment.starts_at if starts_at is _UNSET else starts_at
    new_end = appointment.ends_at if ends_at is _UNSET else ends_at
    check_times(clock, new_start, new_end, start_changed=new_start != appointment.starts_at)
    if reminders_minutes_before is not _UNSET:
        appointment.reminders_minutes_before = check_reminders(reminders_minutes_before)
    appointment.starts_at = new_start
    appointment.ends_at = new_end
    if title is not _UNSET:
        appointment.title = title.strip() or DEFAULT_TITLE
    if location is not _UNSET:
        appointment.location = (location or "").strip() or None
    if companion is not _UNSET:
        appointment.companion_id = companion.id if companion is not None else None
    await change(
        session,
        clock,
        rules,
        appointment,
        old_starts_at=old[0],
        old_location=old[1],
        old_companion_id=old[2],
    )
    return changed


async def set_status(
    session: AsyncSession, clock: Clock, rules: Rules, appointment: Appointment, status: str
) -> None:
    """Staff record a status: an outcome (attended, missed), a cancellation or an answer."""
    if status == appointment.status:
        return
    now = clock.now()
    previous = appointment.status
    appointment.status = status
    appointment.updated_at = now
    scene = await scene_for(session, clock, rules, appointment)
    if status == "cancelled":
        await cancel(scene, previous)
        return
    if status in ("attended", "missed"):
        appointment.outcome_at = now
        await withdraw_reminders(scene)
        if status == "missed":
            await queue_missed_followup(scene)
        else:
            await withdraw_missed_followup(scene)
        return
    if previous in ("attended", "missed"):
        appointment.outcome_at = None
        await withdraw_missed_followup(scene)
    if status == "confirmed":
        appointment.confirmed_at = now
    elif status == "declined":
        appointment.declined_at = now
    await requeue(scene)
    if status == "declined" and appointment.starts_at > now:
        await tell_companion(scene, "appointment_escort_declined", "companion:declined")


async def cancel(scene: Scene, previous_status: str) -> None:
    """Cancelled: no more reminders; one notice to each who expected to go."""
    appointment = scene.appointment
    appointment.status = "cancelled"
    appointment.updated_at = scene.clock.now()
    await withdraw_reminders(scene)
    await withdraw_missed_followup(scene)
    if appointment.starts_at <= scene.clock.now():
        return
    if previous_status in ACTIVE:
        await tell_person(scene, "appointment_cancelled", "cancelled")
    if previous_status in ACTIVE or previous_status == "declined":
        await tell_companion(scene, "appointment_escort_cancelled", "companion:cancelled")


async def cancel_appointment(
    session: AsyncSession, clock: Clock, rules: Rules, appointment: Appointment
) -> None:
    if appointment.status == "cancelled":
        return
    await cancel(await scene_for(session, clock, rules, appointment), appointment.status)


def followup_prefix(appointment_id: int) -> str:
    return f"followup:appointment:{appointment_id}:"


async def queue_missed_followup(scene: Scene) -> None:
    """The morning after a missed appointment, one gentle question whose JA goes to staff."""
    appointment, person = scene.appointment, scene.person
    tz = scene.tz
    now = scene.clock.now()
    day_after = local_day(appointment.starts_at, tz) + timedelta(days=1)
    at = datetime.combine(day_after, MISSED_FOLLOWUP_AT, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    lang = person.language
    day = format_day(day_after - timedelta(days=1), lang)
    if at < now:
        at = delivery_time(now, scene.site, scene.rules)
    if local_day(at, tz) == day_after:
        text = t(lang, "appointment_missed_yesterday")
    else:
        text = t(lang, "appointment_missed_day", day=day)
    await questions.ask(
        scene.session,
        scene.clock,
        person,
        kind=MISSED_KIND,
        ref_id=appointment.id,
        label=t(lang, "appointment_missed_label", day=day),
        text=text,
        send_after=at,
        expires_at=at + timedelta(days=MISSED_QUESTION_DAYS),
        key=f"{followup_prefix(appointment.id)}v{appointment.version}",
        message_kind=FOLLOWUP_KIND,
    )


async def withdraw_missed_followup(scene: Scene) -> None:
    await outbox.cancel_queued(scene.session, key_prefix=followup_prefix(scene.appointment.id))
    await questions.close_questions(scene.session, kind=MISSED_KIND, ref_id=scene.appointment.id)
