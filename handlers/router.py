"""The path of every incoming text: global words, then open questions, then commands, then staff.

``store_inbound`` runs inside the webhook, before it answers; ``handle_inbound`` runs right after
(and again from the recovery sweep for anything a crash left unhandled). Both only record and
queue; sending is the dispatcher's job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import crisis, linking, office_hours, questions, reply_budget
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.features import ANSWER_HANDLERS, COMMANDS, INTERCEPTORS
from handlers.keywords import (
    HELP_WORDS,
    START_WORDS,
    STOP_WORDS,
    Answer,
    parse_scale,
    parse_yes_no,
    words,
)
from handlers.localtime import local_day
from handlers.sites import site_for_number
from storage.models import ContactPoint, Message, OpenQuestion, Person, Site


async def store_inbound(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    text: str,
    provider_id: str,
    received_at: datetime,
    kind: str = "inbound",
    via: str | None = None,
) -> Message | None:
    """Store an incoming text once. Returns None for a provider id already stored."""
    seen = await session.scalar(
        select(Message.id).where(
            Message.direction == "in",
            Message.channel == channel,
            Message.provider_id == provider_id,
        )
    )
    if seen is not None:
        return None
    message = Message(
        direction="in",
        channel=channel,
        address=address,
        text=text,
        status="received",
        kind=kind,
        provider_id=provider_id,
        via=via,
        created_at=received_at,
        attempts=0,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


async def _contact_for(
    session: AsyncSession, clock: Clock, channel: str, address: str
) -> ContactPoint:
    contact = await session.scalar(
        select(ContactPoint).where(ContactPoint.channel == channel, ContactPoint.address == address)
    )
    if contact is None:
        contact = ContactPoint(channel=channel, address=address, created_at=clock.now())
        session.add(contact)
        await session.flush()
    return contact


async def handle_inbound(
    session: AsyncSession, clock: Clock, rules: Rules, message_id: int
) -> None:
    """Understand one stored incoming text and queue what follows. Safe to call twice."""
    # Locked: a text handled by the webhook and by the sweep at once is still handled once.
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None or message.processed_at is not None or message.address is None:
        return
    now = clock.now()
    contact = await _contact_for(session, clock, message.channel, message.address)
    contact.last_inbound_at = now
    person = await session.get(Person, contact.person_id) if contact.person_id else None
    site = (
        await session.get(Site, person.site_id)
        if person
        else await site_for_number(session, message.via)
    )
    if site is None:
        raise RuntimeError("no site exists; run `los migrate` and start the service once")
    message.contact_point_id = contact.id
    message.person_id = person.id if person else None
    message.site_id = site.id
    message.processed_at = now
    conv = Conversation(session, clock, rules, site, contact, person, message)
    if message.kind.startswith("button:"):
        await handle_button(conv, message.kind)
    else:
        await route(conv)


async def route(conv: Conversation) -> None:
    text = conv.message.text or ""
    found = words(text)
    head = found[0] if found else ""
    await reply_budget.note_inbound(conv, understood=understood(head, text))

    if conv.contact.channel == "telegram" and text.strip().lower().startswith("/start"):
        await linking.link_telegram(conv, found[1] if len(found) > 1 else None)
        return
    if head in STOP_WORDS:
        await opt_out(conv)
        await crisis.intercept_crisis(conv)  # "STOPP, vil ikke leve": the numbers all the same
        return
    if head in START_WORDS:
        await opt_in(conv)
        return
    for intercept in INTERCEPTORS:
        if await intercept(conv):
            return
    if conv.person is None:
        await unknown_sender(conv)
        return
    if head in HELP_WORDS:
        await conv.reply("help")
        return
    if await answer_question(conv, text):
        return
    command = COMMANDS.get(head)
    if command is not None:
        await command(conv, found[1:])
        return
    await to_staff(conv)


def understood(head: str, text: str) -> bool:
    """Is this a word Los acts on? People type these; an auto-responder writes prose."""
    return (
        head in STOP_WORDS
        or head in START_WORDS
        or head in HELP_WORDS
        or head in COMMANDS
        or parse_yes_no(text) is not None
        or parse_scale(text) is not None
    )


async def opt_out(conv: Conversation) -> None:
    """STOPP: nothing more to this address from now on, whatever is queued; one confirmation."""
    conv.contact.opted_out_at = conv.clock.now()
    # kind "opt_out" is the one text an opted-out address still gets
    await conv.reply_text(conv.text("stopped"), kind="opt_out")


async def opt_in(conv: Conversation) -> None:
    conv.contact.opted_out_at = None
    conv.contact.consent_at = conv.clock.now()
    conv.contact.consent_source = "start"
    await conv.reply("started")


async def unknown_sender(conv: Conversation) -> None:
    """An unregistered number: to the inbox, and one polite answer a day at most."""
    await conv.to_inbox("unknown_sender")
    day = local_day(conv.clock.now(), conv.tz).isoformat()
    dedupe = f"unknown:{conv.contact.id}:{day}"
    back = office_hours.back_at(conv.site, conv.clock.now(), conv.language)
    if back is not None:  # closed: when staff are back, and where to call meanwhile
        await conv.reply("office_closed_unknown", dedupe=dedupe, when=back)
        return
    await conv.reply("unknown_sender", dedupe=dedupe)


async def to_staff(conv: Conversation) -> None:
    """Anything the bot does not understand: the inbox, and one short acknowledgement an hour.

    Outside the site's opening hours the acknowledgement says when staff are back and where to
    call in an emergency, and never promises an answer before then.
    """
    await conv.to_inbox("message")
    hour = conv.clock.now().strftime("%Y%m%d%H")
    dedupe = f"ack:{conv.contact.id}:{hour}"
    back = office_hours.back_at(conv.site, conv.clock.now(), conv.language)
    if back is not None:
        await conv.reply("office_closed", dedupe=dedupe, when=back)
        return
    await conv.reply("received", dedupe=dedupe)


async def answer_question(conv: Conversation, text: str) -> bool:
    """Apply a JA/NEI or 1-5 to the right open question; never guess between several."""
    assert conv.person is not None
    now = conv.clock.now()
    yes_no = parse_yes_no(text)
    scale = parse_scale(text)
    if yes_no is None and scale is None:
        return False
    open_yes_no = await questions.open_questions(conv.session, conv.person.id, now, "yesno")
    open_scale = await questions.open_questions(conv.session, conv.person.id, now, "scale")

    if scale is not None and open_scale and (yes_no is None or not open_yes_no):
        await apply_answer(conv, open_scale[-1], scale)
        return True
    if yes_no is None:
        return False
    if not open_yes_no:
        late = await questions.recently_closed(conv.session, conv.person.id, now, "yesno")
        if late is not None:
            await conv.to_inbox("late_answer")
            await conv.reply("answer_too_late")
            return True
        if len(words(text)) > 2:
            return False  # "ok, men hvor er det?" is a message for staff, not an answer
        await conv.to_inbox("message")
        await conv.reply("no_open_question")
        return True
    if yes_no.choice is not None and 1 <= yes_no.choice <= len(open_yes_no):
        await apply_answer(conv, open_yes_no[yes_no.choice - 1], yes_no)
        return True
    if len(open_yes_no) == 1 and yes_no.choice is None:
        await apply_answer(conv, open_yes_no[0], yes_no)
        return True
    options = "\n".join(f"{n}: {q.label or q.kind}" for n, q in enumerate(open_yes_no, start=1))
    await conv.reply("which_question", options=options)
    return True


async def apply_answer(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """Record the answer and let the question's own handler act on it."""
    questions.mark_answered(question, answer, conv.clock.now())
    handler = ANSWER_HANDLERS.get(question.kind)
    if handler is None:
        await conv.to_inbox("answer", f"{answer.value}: {question.label or question.kind}")
        return
    await handler(conv, question, answer)


def button_kind(question_id: int, value: str) -> str:
    """How a stored Telegram button press remembers which question it answers."""
    return f"button:{question_id}:{value}"


async def handle_button(conv: Conversation, kind: str) -> None:
    """A Telegram button press: the answer names its question, so nothing is ambiguous."""
    _, question_id, value = kind.split(":", 2)
    question = await conv.session.get(OpenQuestion, int(question_id))
    if conv.person is None or question is None or question.person_id != conv.person.id:
        return  # a stale or forged button: nothing to apply
    now = conv.clock.now()
    if question.status != "open" or (
        question.expires_at is not None and question.expires_at <= now
    ):
        await conv.reply("answer_too_late")
        return
    await apply_answer(conv, question, Answer(value))
