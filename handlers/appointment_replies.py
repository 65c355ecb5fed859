"""What participants write about appointments: JA/NEI to a reminder, FLYTT, TIMER; and the
appointment parts of erasure and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, paging, questions
from handlers.appointments import (
    ACTIVE,
    DEFAULT_TITLE,
    ESCORT_KIND,
    QUESTION_KIND,
    REMINDER_KIND,
    label_for,
    place_for,
    reminder_prefix,
    requeue,
    scene_for,
    tell_companion,
    title_for,
    when_for,
)
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.keywords import Answer
from storage.models import Appointment, Message, OpenQuestion, Person

LIST_LIMIT = 10


# --- answers -----------------------------------------------------------------------------------


async def answer_appointment(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """JA confirms, NEI declines (staff and escort are told), KANSKJE goes to staff."""
    assert conv.person is not None
    now = conv.clock.now()
    appointment = await conv.session.get(Appointment, question.ref_id)
    if appointment is None or appointment.person_id != conv.person.id:
        await conv.reply("thanks_answer")
        return
    if appointment.status not in (*ACTIVE, "declined"):
        await conv.reply("appointment_not_active")
        return
    if appointment.starts_at <= now:
        await conv.to_inbox("late_answer")
        await conv.reply("answer_too_late")
        return
    scene = await scene_for(conv.session, conv.clock, conv.rules, appointment)
    when = when_for(appointment, conv.tz, conv.language, now)
    if answer.value == "yes":
        if appointment.status != "confirmed":
            appointment.status = "confirmed"
            appointment.confirmed_at = now
            appointment.updated_at = now
            await requeue(scene)  # what is left goes out as a plain reminder, no question
        await conv.reply("appointment_yes", when=when)
        return
    if answer.value == "no":
        if appointment.status != "declined":
            appointment.status = "declined"
            appointment.declined_at = now
            appointment.updated_at = now
            await requeue(scene)  # nothing more to the participant or the escort
            await conv.to_inbox("declined", f"NEI: {question.label or appointment.id}")
            await tell_companion(scene, "appointment_escort_declined", "companion:declined")
        await conv.reply("appointment_no")
        return
    # KANSKJE is not an answer yet: staff are told, and a JA or NEI later still counts.
    question.status, question.answer, question.answered_at = "open", None, None
    await conv.to_inbox("message", f"KANSKJE: {question.label or appointment.id}")
    await conv.reply("appointment_maybe")


async def answer_missed(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """ "Vi savnet deg i går. Vil du ha en ny time?": JA goes to staff; anything else is fine."""
    if answer.value == "yes":
        await conv.to_inbox("reschedule", f"JA: {question.label or 'ny time'}")
        await conv.reply("appointment_new_time_yes")
        return
    await conv.reply("appointment_new_time_no")


# --- commands ----------------------------------------------------------------------------------


async def list_appointments(conv: Conversation, _args: list[str]) -> None:
    """TIMER / AVTALER / APPOINTMENTS: what is coming, as the person reads time, in parts that
    fit two SMS (MER for the next)."""
    await paging.show(conv, "appointments", await appointment_listing(conv))


# Built once (every TIMER asks it): only the values change.
_COMING = (
    select(Appointment)
    .where(
        or_(
            Appointment.person_id == bindparam("person_id"),
            Appointment.companion_id == bindparam("person_id"),
        ),
        or_(*(Appointment.status == status for status in ACTIVE)),  # no IN list to expand
        Appointment.starts_at > bindparam("now"),
    )
    .order_by(Appointment.starts_at, Appointment.id)
    .limit(LIST_LIMIT)
)


async def appointment_listing(conv: Conversation) -> paging.Listing:
    assert conv.person is not None
    now = conv.clock.now()
    person_id = conv.person.id
    rows = list(await conv.session.scalars(_COMING, {"person_id": person_id, "now": now}))
    lines = []
    for appointment in rows:
        when = when_for(appointment, conv.tz, conv.language, now)
        if appointment.person_id == person_id:
            title = title_for(appointment, conv.language)
            lines.append(
                conv.text(
                    "appointment_list_item", when=when, title=title, place=place_for(appointment)
                )
            )
        else:
            participant = await conv.session.get(Person, appointment.person_id)
            lines.append(
                conv.text(
                    "appointment_list_escort",
                    when=when,
                    name=participant.first_name if participant else "",
                    place=place_for(appointment),
                )
            )
    return paging.Listing("appointment_list", lines, "appointment_list_empty")


async def ask_new_time(conv: Conversation, _args: list[str]) -> None:
    """FLYTT / NY TID: staff are asked to find a new time for the appointment at hand."""
    assert conv.person is not None
    appointment = await appointment_at_hand(conv)
    if appointment is None:
        summary = f"Ønsker ny tid: {conv.message.text or ''}".strip()
    else:
        summary = f"Ønsker ny tid: {label_for(appointment, conv.tz, 'nb')}"
    await conv.to_inbox("reschedule", summary)
    await conv.reply("appointment_reschedule")


async def new_command(conv: Conversation, args: list[str]) -> None:
    """NY TID asks for a new time; any other text starting with NY goes to staff as usual."""
    if args[:1] == ["tid"]:
        await ask_new_time(conv, args[1:])
        return
    from handlers.router import to_staff  # the router imports the feature registry

    await to_staff(conv)


async def appointment_at_hand(conv: Conversation) -> Appointment | None:
    """The one asked about right now, else the next upcoming one."""
    assert conv.person is not None
    now = conv.clock.now()
    asked = await questions.open_questions(conv.session, conv.person.id, now, "yesno")
    for question in reversed(asked):
        if question.kind == QUESTION_KIND and question.ref_id is not None:
            found = await conv.session.get(Appointment, question.ref_id)
            if found is not None:
                return found
    return await conv.session.scalar(
        select(Appointment)
        .where(
            Appointment.person_id == conv.person.id,
            Appointment.status.in_((*ACTIVE, "declined")),
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(1)
    )


# --- erasure and statistics --------------------------------------------------------------------


async def erase_appointments(
    session: AsyncSession, clock: Clock, rules: Rules, person: Person
) -> None:
    """What staff wrote about an erased person's appointments goes; the rows stay for counts.

    Their queued reminders (and their escorts') are cancelled; where they were the escort, the
    link to them is removed.
    """
    ids = list(
        await session.scalars(select(Appointment.id).where(Appointment.person_id == person.id))
    )
    for appointment_id in ids:
        await outbox.cancel_queued(session, key_prefix=reminder_prefix(appointment_id))
        await questions.close_questions(session, kind=QUESTION_KIND, ref_id=appointment_id)
    await session.execute(
        update(Appointment)
        .where(Appointment.person_id == person.id)
        .values(title=DEFAULT_TITLE, location=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Appointment)
        .where(Appointment.companion_id == person.id)
        .values(companion_id=None)
        .execution_options(synchronize_session=False)
    )


async def appointment_figures(
    session: AsyncSession, site_id: int | None, start: datetime, end: datetime
) -> dict[str, Any]:
    """Reminders sent in the period; answers given in it; outcomes of appointments in it."""

    def in_site(query: Any, column: Any) -> Any:
        return query.where(column == site_id) if site_id is not None else query

    async def sent(kind: str) -> int:
        query = select(func.count()).where(
            Message.direction == "out",
            Message.kind == kind,
            Message.status.in_(("sent", "delivered")),
            Message.sent_at >= start,
            Message.sent_at < end,
        )
        return int(await session.scalar(in_site(query, Message.site_id)) or 0)

    async def count(*conditions: Any) -> int:
        query = select(func.count()).select_from(Appointment).where(*conditions)
        return int(await session.scalar(in_site(query, Appointment.site_id)) or 0)

    in_period = (Appointment.starts_at >= start, Appointment.starts_at < end)
    attended = await count(*in_period, Appointment.status == "attended")
    missed = await count(*in_period, Appointment.status == "missed")
    return {
        "appointments": await count(*in_period),
        "reminders_sent": await sent(REMINDER_KIND),
        "escort_reminders_sent": await sent(ESCORT_KIND),
        "confirmed": await count(Appointment.confirmed_at >= start, Appointment.confirmed_at < end),
        "declined": await count(Appointment.declined_at >= start, Appointment.declined_at < end),
        "cancelled": await count(*in_period, Appointment.status == "cancelled"),
        "attended": attended,
        "missed": missed,
        "attendance_rate": round(attended / (attended + missed), 3) if attended + missed else None,
    }
