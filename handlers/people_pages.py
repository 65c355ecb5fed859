"""Finding people and reading a person's whole picture, for the staff pages.

Search by name or number, filtered by role, status and site, paged with a cursor; a profile
with contacts, conversation, appointments, sign-ups, shifts and check-in scores. Every query is
limited to the staff user's sites.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import require_visible, site_filter
from handlers.errors import InputError, NotFound
from handlers.phones import normalise_phone
from storage.models import (
    Activity,
    Appointment,
    Assignment,
    CheckinRound,
    ContactPoint,
    InboxItem,
    Message,
    Person,
    PersonRole,
    Shift,
    Signup,
    StaffUser,
)
from storage.models.people import ROLES

PAGE = 50
PROFILE_MESSAGES = 50
PROFILE_ROWS = 20
CHART_ROUNDS = 30


@dataclass
class PeoplePage:
    people: list[Person]
    next: str | None


def _cursor(person: Person) -> str:
    raw = json.dumps([(person.name or "").lower(), person.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[str, int]:
    try:
        name, pid = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(name), int(pid)
    except (ValueError, TypeError) as exc:
        raise InputError({"cursor": "not a cursor from this list"}) from exc


async def search_people(
    session: AsyncSession,
    staff: StaffUser,
    *,
    text: str = "",
    role: str = "",
    status: str = "",
    site_id: int | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
) -> PeoplePage:
    """People by name (any part) or phone number, in name order."""
    sort_name = func.lower(func.coalesce(Person.name, ""))
    query = select(Person).where(Person.erased_at.is_(None), site_filter(staff, Person.site_id))
    text = text.strip()
    if text:
        digits = "".join(c for c in text if c.isdigit() or c == "+")
        by_number = None
        if len(digits) >= 3:
            try:
                by_number = ContactPoint.address == normalise_phone(text)
            except ValueError:
                by_number = ContactPoint.address.contains(digits)
        by_name = sort_name.contains(text.lower())
        if by_number is not None:
            numbers = select(ContactPoint.person_id).where(
                by_number, ContactPoint.person_id.is_not(None)
            )
            query = query.where(or_(by_name, Person.id.in_(numbers)))
        else:
            query = query.where(by_name)
    if role:
        if role not in ROLES:
            raise InputError({"role": "unknown"})
        query = query.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role))
        )
    if status:
        if status not in ("active", "paused"):
            raise InputError({"status": "unknown"})
        query = query.where(Person.status == status)
    if site_id is not None:
        query = query.where(Person.site_id == site_id)
    if cursor:
        after_name, after_id = _uncursor(cursor)
        query = query.where(
            or_(sort_name > after_name, and_(sort_name == after_name, Person.id > after_id))
        )
    found = list(await session.scalars(query.order_by(sort_name, Person.id).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return PeoplePage(found, _cursor(found[-1]) if more and found else None)


@dataclass(frozen=True)
class Choice:
    """A person as a menu shows them: no contacts or roles loaded."""

    id: int
    name: str | None


async def person_choices(
    session: AsyncSession,
    staff: StaffUser,
    *,
    role: str,
    status: str = "",
    site_id: int | None = None,
    limit: int = PAGE,
) -> list[Choice]:
    """The people of a role in name order, id and name only: for the pages' menus, where
    loading every person with their contact points and roles cost more than the page."""
    sort_name = func.lower(func.coalesce(Person.name, ""))
    query = select(Person.id, Person.name).where(
        Person.erased_at.is_(None),
        site_filter(staff, Person.site_id),
        Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == role)),
    )
    if status:
        query = query.where(Person.status == status)
    if site_id is not None:
        query = query.where(Person.site_id == site_id)
    rows = await session.execute(query.order_by(sort_name, Person.id).limit(limit))
    return [Choice(pid, name) for pid, name in rows.all()]


async def visible_person(session: AsyncSession, staff: StaffUser, person_id: int) -> Person:
    """The person, or 404 when erased, unknown or at another site."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFound("person")
    require_visible(staff, person.site_id, "person")
    return person


@dataclass
class Profile:
    person: Person
    contact_staff: Person | None
    messages: list[Message]
    appointments: list[Appointment]
    signups: list[tuple[Signup, Activity]]
    shifts: list[tuple[Assignment, Shift]]
    scores: list[tuple[datetime, int]]
    has_thread: bool


async def profile(
    session: AsyncSession, staff: StaffUser, person_id: int, now: datetime
) -> Profile:
    """Everything about one person a coordinator reads; texts queued for later are left out."""
    person = await visible_person(session, staff, person_id)
    contact_staff = (
        await session.get(Person, person.contact_staff_id) if person.contact_staff_id else None
    )
    messages = list(
        await session.scalars(
            select(Message)
            .where(
                Message.person_id == person.id,
                or_(Message.status != "queued", Message.send_after <= now),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(PROFILE_MESSAGES)
        )
    )
    messages.reverse()
    appointments = list(
        await session.scalars(
            select(Appointment)
            .where(Appointment.person_id == person.id)
            .order_by(Appointment.starts_at.desc())
            .limit(PROFILE_ROWS)
        )
    )
    signups: list[Any] = list(
        (
            await session.execute(
                select(Signup, Activity)
                .join(Activity, Activity.id == Signup.activity_id)
                .where(Signup.person_id == person.id)
                .order_by(Activity.starts_at.desc())
                .limit(PROFILE_ROWS)
            )
        ).all()
    )
    shifts: list[Any] = list(
        (
            await session.execute(
                select(Assignment, Shift)
                .join(Shift, Shift.id == Assignment.shift_id)
                .where(Assignment.person_id == person.id)
                .order_by(Shift.starts_at.desc())
                .limit(PROFILE_ROWS)
            )
        ).all()
    )
    rounds = (
        await session.execute(
            select(CheckinRound.answered_at, CheckinRound.score)
            .where(CheckinRound.person_id == person.id, CheckinRound.score.is_not(None))
            .order_by(CheckinRound.asked_at.desc())
            .limit(CHART_ROUNDS)
        )
    ).all()
    scores = [(at, score) for at, score in rounds if at is not None and score is not None]
    scores.reverse()
    has_thread = (
        await session.scalar(select(InboxItem.id).where(InboxItem.person_id == person.id).limit(1))
    ) is not None
    return Profile(
        person, contact_staff, messages, appointments, signups, shifts, scores, has_thread
    )


async def staff_people(session: AsyncSession, staff: StaffUser) -> list[Person]:
    """People with the staff role a participant's worries can be routed to."""
    return list(
        await session.scalars(
            select(Person)
            .where(
                Person.erased_at.is_(None),
                site_filter(staff, Person.site_id),
                Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == "staff")),
            )
            .order_by(Person.name)
        )
    )


def score_chart(
    scores: list[tuple[datetime, int]], width: int = 320, height: int = 120
) -> dict[str, Any]:
    """Points of a small line chart of check-in scores (1-5), drawn as SVG by the template."""
    pad = 20
    if not scores:
        return {"points": [], "width": width, "height": height, "levels": []}
    step = (width - 2 * pad) / max(1, len(scores) - 1)

    def y(score: int) -> float:
        return round(height - pad - (score - 1) * (height - 2 * pad) / 4, 1)

    points = [
        {"x": round(pad + i * step, 1), "y": y(score), "score": score, "at": at}
        for i, (at, score) in enumerate(scores)
    ]
    first, last = scores[0][0], scores[-1][0]
    levels = [{"score": s, "y": y(s)} for s in range(1, 6)]
    return {
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "width": width,
        "height": height,
        "levels": levels,
        "first": first,
        "last": last,
    }


def pause(person: Person, until: datetime | None) -> None:
    """No reminders or questions go to a paused person; ``until`` ends the pause by itself."""
    person.status = "paused"
    person.paused_until = until


def resume(person: Person) -> None:
    person.status = "active"
    person.paused_until = None
