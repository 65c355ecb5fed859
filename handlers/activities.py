"""Activities: codes people can type, weekly series, changes and cancellations, invitations,
reminders, and the figures for the yearly report.

Sign-ups and what people text about them live in :mod:`handlers.signups`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, questions
from handlers.clock import Clock
from handlers.context import Rules
from handlers.errors import Conflict, InputError
from handlers.localtime import format_when, local_day, to_utc
from handlers.texts import t
from storage.loading import PERSON_LOADS, load
from storage.models import (
    Activity,
    ActivitySeries,
    Broadcast,
    Person,
    PersonRole,
    Signup,
    Site,
)
from storage.models.activities import AUDIENCES, SIGNUP_STATUSES

AUDIENCE_ROLES = {
    "participants": ["participant"],
    "volunteers": ["volunteer"],
    "all": ["participant", "volunteer"],
}
# Statuses that hold a place (attended/no_show only exist once it has happened).
HOLDS_PLACE = ("signed_up", "attended", "no_show")
# Who hears about a change or a cancellation.
TOLD_OF_CHANGES = ("signed_up", "waitlisted")
DEFAULT_REMINDERS = [1440]
CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,8}$")
# How far ahead a weekly series has its occurrences as rows.
SERIES_HORIZON = timedelta(weeks=8)
# An activity without an end counts as over this long after it starts.
DEFAULT_LENGTH = timedelta(hours=2)


# --- codes ---------------------------------------------------------------------------------


def fold_code(text: str) -> str:
    """Upper case ASCII letters and digits only: "Første steg" -> "FORSTESTEG"."""
    upper = text.upper().replace("Æ", "AE").replace("Ø", "O").replace("Å", "A")
    ascii_only = unicodedata.normalize("NFKD", upper).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", ascii_only)


def code_base(title: str) -> str:
    """The first real word of the title, at most five letters: "Quiz og bingo" -> "QUIZ"."""
    found = [fold_code(w) for w in title.split()]
    found = [w for w in found if w]
    word = next((w for w in found if len(w) >= 3 and not w.isdigit()), found[0] if found else "")
    base = word[:5]
    return base if len(base) >= 2 else (base + "AKT")[:5]


async def codes_in_use(session: AsyncSession, now: datetime, *, but: int | None = None) -> set[str]:
    """Codes of planned activities that have not started yet."""
    query = select(Activity.code).where(Activity.status == "planned", Activity.starts_at > now)
    if but is not None:
        query = query.where(Activity.id != but)
    return set(await session.scalars(query))


async def new_code(
    session: AsyncSession, now: datetime, base: str, *, first_suffix: str = ""
) -> str:
    """``base`` (or ``base + first_suffix``) if free among upcoming activities, else base2..."""
    used = await codes_in_use(session, now)
    if first_suffix:  # a series: QUIZ4, then QUIZ4B (never QUIZ2, which reads as another day)
        candidates = [base + first_suffix] + [f"{base}{first_suffix}{c}" for c in "BCDEFGH"]
    else:
        candidates = [base]
    candidates += [f"{base}{n}" for n in range(2, 1000)]
    for code in candidates:
        if len(code) <= 8 and code not in used:
            return code
    raise Conflict("no free code", {"code": "give a code of your own"})


async def check_code(session: AsyncSession, now: datetime, code: str, but: int | None) -> str:
    code = code.strip().upper()
    if not CODE_PATTERN.match(code):
        raise InputError({"code": "2-8 letters A-Z or digits, no æøå"})
    if code in await codes_in_use(session, now, but=but):
        raise Conflict("code in use", {"code": "another upcoming activity has this code"})
    return code


# --- reading --------------------------------------------------------------------------------


def ends(activity: Activity) -> datetime:
    return activity.ends_at or activity.starts_at + DEFAULT_LENGTH


def deadline(activity: Activity) -> datetime:
    return activity.signup_deadline or activity.starts_at


def in_audience(activity: Activity, person: Person) -> bool:
    return bool(set(AUDIENCE_ROLES[activity.audience]) & set(person.role_names))


def where_text(activity: Activity) -> str:
    return f", {activity.location}" if activity.location else ""


def activity_values(
    activity: Activity, tz: ZoneInfo, language: str, now: datetime
) -> dict[str, str]:
    """What texts about an activity are filled with."""
    return {
        "title": activity.title,
        "when": format_when(activity.starts_at, tz, language, today=local_day(now, tz)),
        "where": where_text(activity),
        "code": activity.code,
        "description": f"{activity.description.strip()} " if activity.description else "",
    }


async def site_tz(session: AsyncSession, site_id: int) -> ZoneInfo:
    site = await session.get(Site, site_id)
    return ZoneInfo(site.timezone if site else "Europe/Oslo")


async def signups_with(
    session: AsyncSession, activity_id: int, statuses: Sequence[str]
) -> list[Signup]:
    return list(
        await session.scalars(
            select(Signup)
            .where(Signup.activity_id == activity_id, Signup.status.in_(statuses))
            .order_by(Signup.position, Signup.id)
        )
    )


async def counts(session: AsyncSession, activity_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Signup.status, func.count())
        .where(Signup.activity_id == activity_id)
        .group_by(Signup.status)
    )
    found = {status: int(n) for status, n in rows.all()}
    return {s: found.get(s, 0) for s in SIGNUP_STATUSES}


async def upcoming_for(
    session: AsyncSession,
    person: Person,
    now: datetime,
    limit: int = 8,
    role_names: list[str] | None = None,
) -> list[Activity]:
    """Planned activities of the person's site and audience that have not started
    (``role_names``: the person's, when the caller knows them already)."""
    if role_names is None:
        await load(session, person, "roles")
        role_names = person.role_names
    audiences = [a for a, roles in AUDIENCE_ROLES.items() if set(roles) & set(role_names)]
    params = {"site_id": person.site_id, "now": now, "limit": limit}
    return list(await session.scalars(_upcoming(tuple(audiences)), params))


@cache
def _upcoming(audiences: tuple[str, ...]) -> Any:
    """:func:`upcoming_for`'s query, built once per set of audiences (every AKTIVITETER asks
    it): only the values change, and no IN list is expanded at each run."""
    return (
        select(Activity)
        .where(
            Activity.site_id == bindparam("site_id"),
            Activity.status == "planned",
            Activity.starts_at > bindparam("now"),
            or_(false(), *(Activity.audience == audience for audience in audiences)),
        )
        .order_by(Activity.starts_at, Activity.id)
        .limit(bindparam("limit"))
    )


# --- creating and changing ------------------------------------------------------------------


@dataclass
class ActivityFields:
    title: str
    starts_at: datetime
    description: str | None = None
    ends_at: datetime | None = None
    location: str | None = None
    capacity: int | None = None
    signup_deadline: datetime | None = None
    audience: str = "all"
    signup_required: bool = True
    code: str | None = None
    reminders_minutes_before: list[int] | None = None
    activity_type: str | None = None


def check_fields(fields: ActivityFields) -> None:
    errors: dict[str, str] = {}
    if not fields.title.strip():
        errors["title"] = "must not be empty"
    if fields.ends_at is not None and fields.ends_at <= fields.starts_at:
        errors["ends_at"] = "must be after starts_at"
    if fields.signup_deadline is not None and fields.signup_deadline > fields.starts_at:
        errors["signup_deadline"] = "must not be after starts_at"
    if fields.audience not in AUDIENCES:
        errors["audience"] = f"use one of {', '.join(AUDIENCES)}"
    if fields.capacity is not None and fields.capacity < 1:
        errors["capacity"] = "must be at least 1"
    if any(m < 0 for m in fields.reminders_minutes_before or []):
        errors["reminders_minutes_before"] = "minutes must not be negative"
    if errors:
        raise InputError(errors)


async def create_activity(
    session: AsyncSession, clock: Clock, site_id: int, fields: ActivityFields
) -> Activity:
    check_fields(fields)
    now = clock.now()
    code = (
        await check_code(session, now, fields.code, None)
        if fields.code
        else await new_code(session, now, code_base(fields.title))
    )
    activity = Activity(
        site_id=site_id,
        title=fields.title.strip(),
        description=fields.description,
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        location=fields.location,
        capacity=fields.capacity,
        signup_deadline=fields.signup_deadline,
        audience=fields.audience,
        signup_required=fields.signup_required,
        code=code,
        activity_type=fields.activity_type,
        status="planned",
        reminders_minutes_before=sorted(set(fields.reminders_minutes_before or DEFAULT_REMINDERS)),
        created_at=now,
    )
    session.add(activity)
    await session.flush()
    return activity


async def create_series(
    session: AsyncSession,
    clock: Clock,
    site_id: int,
    fields: ActivityFields,
    *,
    until: date | None = None,
) -> ActivitySeries:
    """A weekly series starting with ``fields.starts_at``; occurrences are made for 8 weeks ahead
    (and topped up by the ``activity_series`` job)."""
    check_fields(fields)
    tz = await site_tz(session, site_id)
    local_start = fields.starts_at.astimezone(tz)
    if until is not None and until < local_start.date():
        raise InputError({"repeat.until": "must not be before the first date"})
    base = fold_code(fields.code)[:5] if fields.code else code_base(fields.title)
    if len(base) < 2:
        raise InputError({"code": "2-8 letters A-Z or digits, no æøå"})
    series = ActivitySeries(
        site_id=site_id,
        title=fields.title.strip(),
        description=fields.description,
        location=fields.location,
        weekday=local_start.weekday(),
        start_time=local_start.strftime("%H:%M"),
        duration_minutes=(
            int((fields.ends_at - fields.starts_at).total_seconds() // 60)
            if fields.ends_at
            else None
        ),
        capacity=fields.capacity,
        deadline_minutes_before=(
            int((fields.starts_at - fields.signup_deadline).total_seconds() // 60)
            if fields.signup_deadline
            else None
        ),
        audience=fields.audience,
        signup_required=fields.signup_required,
        activity_type=fields.activity_type,
        reminders_minutes_before=sorted(set(fields.reminders_minutes_before or DEFAULT_REMINDERS)),
        code_base=base,
        first_date=local_start.date(),
        until=until,
        status="active",
        created_at=clock.now(),
    )
    session.add(series)
    await session.flush()
    await extend_series(session, clock, series)
    return series


async def extend_series(session: AsyncSession, clock: Clock, series: ActivitySeries) -> int:
    """Make the missing occurrences of ``series`` up to the horizon; returns how many."""
    if series.status != "active":
        return 0
    tz = await site_tz(session, series.site_id)
    now = clock.now()
    last = local_day(now + SERIES_HORIZON, tz)
    if series.until is not None:
        last = min(last, series.until)
    have = set(
        await session.scalars(select(Activity.series_date).where(Activity.series_id == series.id))
    )
    start_time = time.fromisoformat(series.start_time)
    made = 0
    day = series.first_date
    while day <= last:
        starts_at = to_utc(day, start_time, tz)
        if day not in have and starts_at > now:
            activity = Activity(
                site_id=series.site_id,
                series_id=series.id,
                series_date=day,
                title=series.title,
                description=series.description,
                starts_at=starts_at,
                ends_at=(
                    starts_at + timedelta(minutes=series.duration_minutes)
                    if series.duration_minutes
                    else None
                ),
                location=series.location,
                capacity=series.capacity,
                signup_deadline=(
                    starts_at - timedelta(minutes=series.deadline_minutes_before)
                    if series.deadline_minutes_before is not None
                    else None
                ),
                audience=series.audience,
                signup_required=series.signup_required,
                activity_type=series.activity_type,
                code=await new_code(session, now, series.code_base, first_suffix=str(day.day)),
                status="planned",
                reminders_minutes_before=list(series.reminders_minutes_before),
                created_at=now,
            )
            session.add(activity)
            await session.flush()
            made += 1
        day += timedelta(weeks=1)
    return made


async def extend_all_series(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: keep every active series 8 weeks ahead."""
    made = 0
    for series in await session.scalars(
        select(ActivitySeries).where(ActivitySeries.status == "active")
    ):
        made += await extend_series(session, clock, series)
    return made


async def end_series(session: AsyncSession, clock: Clock, series: ActivitySeries) -> int:
    """Stop a series: no new occurrences, and the upcoming ones are cancelled (people told)."""
    series.status = "ended"
    now = clock.now()
    upcoming = list(
        await session.scalars(
            select(Activity).where(
                Activity.series_id == series.id,
                Activity.status == "planned",
                Activity.starts_at > now,
            )
        )
    )
    for activity in upcoming:
        await cancel_activity(session, clock, activity)
    return len(upcoming)


# --- reminders and notices ------------------------------------------------------------------


def reminder_prefix(activity_id: int, person_id: int | None = None) -> str:
    return f"reminder:activity:{activity_id}:" + (f"{person_id}:" if person_id else "")


async def cancel_reminders(session: AsyncSession, key_prefix: str) -> None:
    """Cancel queued reminders and free their keys, so signing up again queues them anew."""
    await outbox.cancel_queued(session, key_prefix=key_prefix, free_keys=True)


async def queue_reminders(
    session: AsyncSession, clock: Clock, activity: Activity, person: Person
) -> int:
    """Queue the reminders still ahead for one signed-up person; keys make this idempotent."""
    tz = await site_tz(session, activity.site_id)
    now = clock.now()
    queued = 0
    for minutes in activity.reminders_minutes_before or []:
        send_after = activity.starts_at - timedelta(minutes=minutes)
        if send_after <= now:
            continue
        text = t(
            person.language,
            "act_reminder",
            **activity_values(activity, tz, person.language, send_after),
        )
        message = await outbox.queue_to_person(
            session,
            clock,
            person,
            text,
            kind="reminder",
            send_after=send_after,
            key=f"{reminder_prefix(activity.id, person.id)}{minutes}",
        )
        queued += message is not None
    return queued


async def tell(
    session: AsyncSession,
    clock: Clock,
    activity: Activity,
    person: Person,
    key: str,
    *,
    urgent: bool = False,
) -> None:
    """Queue text ``key`` about ``activity`` to ``person`` now."""
    tz = await site_tz(session, activity.site_id)
    values = activity_values(activity, tz, person.language, clock.now())
    await outbox.queue_to_person(
        session,
        clock,
        person,
        t(person.language, key, **values),
        kind="activity",
        urgent=urgent,
    )


async def tell_signed_up(session: AsyncSession, clock: Clock, activity: Activity, key: str) -> int:
    told = 0
    for signup in await signups_with(session, activity.id, TOLD_OF_CHANGES):
        person = await session.get(Person, signup.person_id)
        if person is not None and person.erased_at is None:
            await tell(session, clock, activity, person, key)
            told += 1
    return told


async def reschedule_reminders(session: AsyncSession, clock: Clock, activity: Activity) -> None:
    await cancel_reminders(session, reminder_prefix(activity.id))
    for signup in await signups_with(session, activity.id, ("signed_up",)):
        person = await session.get(Person, signup.person_id)
        if person is not None and person.erased_at is None:
            await queue_reminders(session, clock, activity, person)


async def cancel_activity(session: AsyncSession, clock: Clock, activity: Activity) -> int:
    """Cancel one activity (one occurrence of a series): tell those signed up or waiting,
    drop their reminders and any invitation not yet sent. Returns how many were told."""
    if activity.status == "cancelled":
        return 0
    now = clock.now()
    activity.status = "cancelled"
    activity.cancelled_at = now
    activity.updated_at = now
    told = 0
    if activity.starts_at > now:
        told = await tell_signed_up(session, clock, activity, "act_cancelled")
    await cancel_reminders(session, reminder_prefix(activity.id))
    await outbox.cancel_queued(session, key_prefix=f"invite:activity:{activity.id}:")
    await questions.close_questions(session, kind="activity", ref_id=activity.id)
    return told


CHANGE_NOTICE_FIELDS = ("title", "starts_at", "ends_at", "location")


async def apply_changes(
    session: AsyncSession, clock: Clock, activity: Activity, changes: dict[str, Any]
) -> bool:
    """Change an activity; tells signed-up people when the time, place or title changed.

    Returns True when they were told.
    """
    from handlers import signups  # signups builds on this module

    now = clock.now()
    if "code" in changes and changes["code"] is not None:
        changes["code"] = await check_code(session, now, changes["code"], activity.id)
    merged = ActivityFields(
        title=changes.get("title", activity.title),
        starts_at=changes.get("starts_at", activity.starts_at),
        ends_at=changes.get("ends_at", activity.ends_at),
        signup_deadline=changes.get("signup_deadline", activity.signup_deadline),
        audience=changes.get("audience", activity.audience),
        capacity=changes.get("capacity", activity.capacity),
        reminders_minutes_before=changes.get(
            "reminders_minutes_before", activity.reminders_minutes_before
        ),
    )
    check_fields(merged)
    noticed = any(
        name in changes and changes[name] != getattr(activity, name)
        for name in CHANGE_NOTICE_FIELDS
    )
    timing = any(
        name in changes and changes[name] != getattr(activity, name)
        for name in ("starts_at", "reminders_minutes_before", "title", "location")
    )
    for name, value in changes.items():
        if name == "reminders_minutes_before" and value is not None:
            value = sorted(set(value))
        setattr(activity, name, value)
    activity.updated_at = now
    await session.flush()
    told = False
    if activity.status == "planned" and activity.starts_at > now:
        if noticed:
            told = await tell_signed_up(session, clock, activity, "act_changed") > 0
        if timing:
            await reschedule_reminders(session, clock, activity)
        if "capacity" in changes:
            await signups.promote(session, clock, activity)
    return told


async def update_activity(
    session: AsyncSession,
    clock: Clock,
    activity: Activity,
    changes: dict[str, Any],
    status: str | None = None,
) -> bool:
    """Staff change an activity and perhaps its status; shared by the API and the pages.

    ``cancelled`` tells those signed up or waiting; ``held`` (or a head count once it has
    started) records that it took place; a cancelled or held activity is never reopened.
    Returns True when people were told of a change.
    """
    if status == "cancelled":
        changes.pop("head_count", None)
        await cancel_activity(session, clock, activity)
    told = await apply_changes(session, clock, activity, changes) if changes else False
    started = activity.starts_at <= clock.now()
    if status == "held" or ("head_count" in changes and activity.status == "planned" and started):
        activity.status = "held"
    elif status == "planned" and activity.status != "planned":
        raise Conflict("cannot reopen", {"status": "create a new activity instead"})
    return told


# --- invitations ----------------------------------------------------------------------------


async def audience_of(session: AsyncSession, activity: Activity) -> list[Person]:
    roles = AUDIENCE_ROLES[activity.audience]
    return list(
        await session.scalars(
            select(Person)
            .where(
                Person.site_id == activity.site_id,
                Person.erased_at.is_(None),
                Person.id.in_(select(PersonRole.person_id).where(PersonRole.role.in_(roles))),
            )
            .options(*PERSON_LOADS)
            .order_by(Person.id)
        )
    )


async def announce(
    session: AsyncSession,
    clock: Clock,
    activity: Activity,
    *,
    send_at: datetime | None = None,
    staff_user_id: int | None = None,
) -> Broadcast:
    """Invite the audience: a JA/NEI/KANSKJE question each (a plain notice when no sign-up is
    needed). People already signed up or waiting are left out. A Broadcast row of kind
    ``invitation`` carries the progress counts."""
    now = clock.now()
    if activity.status != "planned" or activity.starts_at <= now:
        raise Conflict("activity is not open", {"status": "only planned, upcoming activities"})
    if activity.signup_required and deadline(activity) <= now:
        raise Conflict("sign-up has closed", {"signup_deadline": "has passed"})
    tz = await site_tz(session, activity.site_id)
    busy = {
        s.person_id for s in await signups_with(session, activity.id, ("signed_up", "waitlisted"))
    }
    people = [p for p in await audience_of(session, activity) if p.id not in busy]
    key = "act_invite" if activity.signup_required else "act_invite_open"
    broadcast = Broadcast(
        site_id=activity.site_id,
        text=t("nb", key, **activity_values(activity, tz, "nb", send_at or now)),
        audience={"roles": AUDIENCE_ROLES[activity.audience], "invitation_for": activity.id},
        kind="invitation",
        send_at=send_at or now,
        status="queued",
        recipients=0,
        created_by=staff_user_id,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    for person in people:
        text = t(
            person.language, key, **activity_values(activity, tz, person.language, send_at or now)
        )
        invite_key = f"invite:activity:{activity.id}:{person.id}"
        if activity.signup_required:
            asked = await questions.ask(
                session,
                clock,
                person,
                kind="activity",
                ref_id=activity.id,
                text=text,
                label=f"{activity.title} {local_day(activity.starts_at, tz).strftime('%d.%m')}",
                expires_at=deadline(activity),
                send_after=send_at,
                key=invite_key,
                message_kind="invitation",
                broadcast_id=broadcast.id,
                buttons=[
                    [t(person.language, "yes"), "yes"],
                    [t(person.language, "no"), "no"],
                    [t(person.language, "maybe"), "maybe"],
                ],
            )
            sent = asked is not None
        else:
            message = await outbox.queue_to_person(
                session,
                clock,
                person,
                text,
                kind="invitation",
                send_after=send_at,
                key=invite_key,
                broadcast_id=broadcast.id,
            )
            sent = message is not None
        broadcast.recipients += sent
    await session.flush()
    return broadcast


async def announce_preview(
    session: AsyncSession, clock: Clock, activity: Activity
) -> dict[str, Any]:
    """What announcing would do, before staff confirm: how many get an invitation, who is left
    out (already signed up or waiting, or no way to reach them), and the SMS parts it costs.
    Counted in SQL by the rule :func:`announce` follows person by person: the audience can be
    every person of a site, and the page must not load them."""
    from handlers.broadcasts import preferred_channels  # broadcasts is heavier; only needed here
    from handlers.segments import count_segments

    now = clock.now()
    tz = await site_tz(session, activity.site_id)
    busy = select(Signup.person_id).where(
        Signup.activity_id == activity.id, Signup.status.in_(("signed_up", "waitlisted"))
    )
    already = int(await session.scalar(select(func.count()).select_from(busy.subquery())) or 0)
    audience = select(Person.id).where(
        Person.site_id == activity.site_id,
        Person.erased_at.is_(None),
        Person.id.in_(
            select(PersonRole.person_id).where(
                PersonRole.role.in_(AUDIENCE_ROLES[activity.audience])
            )
        ),
        Person.id.not_in(busy),
    )
    total = int(await session.scalar(select(func.count()).select_from(audience.subquery())) or 0)
    channels = await preferred_channels(session, audience.where(Person.status == "active"))
    recipients = sum(channels.values())
    key = "act_invite" if activity.signup_required else "act_invite_open"
    text = t("nb", key, **activity_values(activity, tz, "nb", now))
    segments = count_segments(text)
    return {
        "text": text,
        "recipients": recipients,
        "already": already,
        "unreachable": total - recipients,
        "segments": segments,
        "sms_messages": segments.segments * channels.get("sms", 0),
    }


# --- jobs -----------------------------------------------------------------------------------


async def mark_held(session: AsyncSession, clock: Clock, rules: Rules) -> int:
    """Job: a planned activity whose time is over was held (staff may still record who came)."""
    now = clock.now()
    result = await session.execute(
        update(Activity)
        .where(
            Activity.status == "planned",
            or_(
                Activity.ends_at <= now,
                (Activity.ends_at.is_(None)) & (Activity.starts_at <= now - DEFAULT_LENGTH),
            ),
        )
        .values(status="held", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- statistics and erasure -----------------------------------------------------------------


async def activity_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Activities held and what happened at them, for activities starting in [start, end)."""
    in_period = select(Activity.id).where(Activity.starts_at >= start, Activity.starts_at < end)
    if site_id is not None:
        in_period = in_period.where(Activity.site_id == site_id)
    held = await session.scalar(
        select(func.count())
        .select_from(Activity)
        .where(Activity.id.in_(in_period), Activity.status == "held")
    )
    cancelled = await session.scalar(
        select(func.count())
        .select_from(Activity)
        .where(Activity.id.in_(in_period), Activity.status == "cancelled")
    )
    head_counts = await session.scalar(
        select(func.coalesce(func.sum(Activity.head_count), 0)).where(
            Activity.id.in_(in_period), Activity.status != "cancelled"
        )
    )
    rows = await session.execute(
        select(Signup.status, func.count())
        .where(Signup.activity_id.in_(in_period))
        .group_by(Signup.status)
    )
    by_status = {status: int(n) for status, n in rows.all()}
    signups = await session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(Signup.activity_id.in_(in_period), Signup.signed_up_at.is_not(None))
    )
    promotions = await session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(Signup.activity_id.in_(in_period), Signup.promoted_at.is_not(None))
    )
    attended = by_status.get("attended", 0)
    return {
        "held": int(held or 0),
        "cancelled": int(cancelled or 0),
        "participations": attended + int(head_counts or 0),
        "attended": attended,
        "head_counts": int(head_counts or 0),
        "signups": int(signups or 0),
        "waitlist_promotions": int(promotions or 0),
        "no_shows": by_status.get("no_show", 0),
        "interested": by_status.get("interested", 0),
    }


async def signed_up_people(session: AsyncSession, site_id: int, activity_id: Any) -> set[int]:
    """Broadcast audience ``{"activity_id": X}``: the people with a place on activity X."""
    try:
        activity = await session.get(Activity, int(activity_id))
    except (TypeError, ValueError):
        activity = None
    if activity is None or activity.site_id != site_id:
        raise InputError({"audience.activity_id": "no such activity at this site"})
    return set(
        await session.scalars(
            select(Signup.person_id).where(
                Signup.activity_id == activity.id, Signup.status.in_(("signed_up", "attended"))
            )
        )
    )
