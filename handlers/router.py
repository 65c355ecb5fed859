"""The path of every incoming text: global words, then open questions, then commands, then staff.

``store_inbound`` runs inside the webhook, before it answers; ``handle_inbound`` runs right after,
outside the request (scheduler/routing.py), and again from the recovery sweep for anything a crash
left unhandled. Both only record and queue; sending is the dispatcher's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from handlers import (
    acknowledgements,
    crisis,
    help_replies,
    inbox,
    languages,
    linking,
    office_hours,
    paging,
    questions,
    reply_budget,
    voice_calls,
)
from handlers.attachments import IncomingAttachment, store_attachments
from handlers.batch_writes import BatchWrites, mark_routed
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.features import ANSWER_HANDLERS, COMMANDS, INTERCEPTORS
from handlers.incoming_text import clean_field, clean_text
from handlers.keywords import (
    HELP_WORDS,
    LANGUAGE_WORDS,
    START_WORDS,
    STOP_WORDS,
    Answer,
    bot_command,
    is_stop,
    parse_scale,
    parse_yes_no,
    words,
)
from handlers.localtime import local_day
from handlers.senders import ReadAhead, sender_of
from handlers.sites import site_by_id, site_for_number
from storage.db import insert_for, upsert_for
from storage.models import Message, OpenQuestion
from storage.models.messages import PRIORITY_ROUTINE


def inbound_values(
    *,
    channel: str,
    address: str,
    text: str,
    provider_id: str,
    received_at: datetime,
    kind: str = "inbound",
    via: str | None = None,
    provider_ref: str | None = None,
    button: ButtonPress | None = None,
) -> dict[str, Any]:
    """The row of an incoming text, normalised (handlers/incoming_text.py).

    A Telegram button press is stored with kind "button", the question it answers (when that
    question exists) and the answer it carried."""
    address, provider_id = clean_field(address, 64), clean_field(provider_id, 64)
    via = clean_field(via, 40) or None if via is not None else None
    values: dict[str, Any] = {
        "direction": "in",
        "channel": channel,
        "address": address,
        "text": clean_text(text),
        "status": "received",
        "kind": clean_field(kind, 40),
        "provider_id": provider_id,
        "provider_ref": provider_ref,
        "via": via,
        "created_at": received_at,
        "attempts": 0,
        "urgent": False,
        "priority": PRIORITY_ROUTINE,
    }
    if button is not None:
        values["kind"] = "button"
        values["button_answer"] = button.answer[:20]
        if 0 < button.question_id < 2**31:  # a forged id the column cannot hold finds nothing
            values["question_id"] = (
                select(OpenQuestion.id)
                .where(OpenQuestion.id == button.question_id)
                .scalar_subquery()
            )
    return values


async def store_inbound(
    session: AsyncSession,
    values: dict[str, Any],
    attachments: Sequence[IncomingAttachment] = (),
) -> int | None:
    """Store an incoming text once (``values`` from :func:`inbound_values`), with what came
    with it, in one ``INSERT … ON CONFLICT DO NOTHING``. Returns its id, or None for a provider
    id already stored."""
    message_id = await session.scalar(insert_once(session, values).returning(Message.id))
    if message_id is not None and attachments:
        await store_attachments(session, message_id, attachments)
    return message_id


async def store_plain(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Store many plain texts (rows from :func:`inbound_values`, no button) in one multi-row
    ``INSERT … ON CONFLICT DO NOTHING``: the ids by (channel, provider id) of those stored now."""
    if not rows:
        return {}
    connection = await session.connection()  # Core: one compiled statement for any count
    returned = await connection.execute(
        _store_many(session.get_bind().dialect.name),
        list(rows),
    )
    return {(r.channel, r.provider_id): r.id for r in returned}


def insert_once(session: AsyncSession, values: dict[str, Any]) -> Any:
    """INSERT that does nothing when the provider id is stored already (either database)."""
    return (
        upsert_for(session)(Message)
        .values(values)
        .on_conflict_do_nothing(index_elements=["direction", "channel", "provider_id"])
    )


@cache
def _store_many(dialect: str) -> Any:
    """:func:`store_plain`'s statement, built once per database: a webhook is answered after it."""
    return (
        insert_for(dialect)(Message)
        .on_conflict_do_nothing(index_elements=["direction", "channel", "provider_id"])
        .returning(Message.id, Message.channel, Message.provider_id)
    )


async def handle_inbound(
    session: AsyncSession, clock: Clock, rules: Rules, message_id: int
) -> None:
    """Understand one stored incoming text and queue what follows. Safe to call twice."""
    # Locked: a text handled by the webhook and by the sweep at once is still handled once.
    message = await session.get(Message, message_id, with_for_update=True)
    if message is not None:
        await handle_loaded(session, clock, rules, message)


async def handle_loaded(
    session: AsyncSession,
    clock: Clock,
    rules: Rules,
    message: Message,
    later: BatchWrites | None = None,
    ahead: ReadAhead | None = None,
) -> bool:
    """``handle_inbound`` for a text already loaded and locked; False if nothing was to do.

    The text's own fields (who, which site, ``processed_at``), its plain answers and its
    sender's reply budget are written at once, or, given ``later``, gathered there for the batch
    to write together before it commits (handlers/batch_writes.py). Given ``ahead``, the sender
    may have been read with the batch's others (handlers/senders.py).
    """
    if message.processed_at is not None or message.address is None:
        return False
    now = clock.now()
    if message.kind in STAFF_ONLY_KINDS:
        await for_staff_only(session, clock, message)
        return True
    sender = None
    if ahead is not None:
        sender = await ahead.take(session, message.channel, message.address, later)
    if sender is None:
        sender = await sender_of(session, clock, message.channel, message.address, now, later)
    contact, person = sender.contact, sender.person
    site = (
        await site_by_id(session, person.site_id)
        if person
        else await site_for_number(session, message.via)
    )
    if site is None:
        raise RuntimeError("no site exists; run `los migrate` and start the service once")
    fields = {
        "contact_point_id": contact.id,
        "person_id": person.id if person else None,
        "site_id": site.id,
        "processed_at": now,
    }
    for name, value in fields.items():  # as if loaded so: the ORM does not write them again
        set_committed_value(message, name, value)
    conv = Conversation(session, clock, rules, site, contact, person, message)
    conv.budget = sender.budget
    conv.later = later
    conv.shared = sender.shared
    if person is not None:
        conv.roles = (person.id, sender.roles)
        if not sender.asked:
            conv.asked = (person.id, [])
    if message.kind == "button":
        await handle_button(conv, message)
    elif message.kind == voice_calls.CALL_BACK_KIND:
        await voice_calls.call_back(conv)
    elif message.kind in NOT_WORDS_KINDS:
        await (to_staff(conv) if person else unknown_sender(conv, command=False))
    else:
        await route(conv)
    await reply_budget.save(conv)
    # with the person a shared phone's text (or a link) chose
    fields["person_id"] = conv.person.id if conv.person else None
    if ahead is not None:
        ahead.routed(message.channel, message.address, (person, conv.person))
    routed = {"message_id": message.id, **fields}
    if later is None:
        await mark_routed(session, [routed])
    else:
        later.routed.append(routed)
    return True


# Senders Los never answers (CONTRACT §8): names and short codes; WhatsApp, which has no channel.
STAFF_ONLY_KINDS = frozenset({"service", "whatsapp"})
# A shared place or contact: readable text for staff, never read as a command or an answer.
NOT_WORDS_KINDS = frozenset({"place", "contact"})


def keyword_kind(word: str) -> str:
    """How a stored text remembers that the provider said what it means (Twilio's OptOutType)."""
    return f"keyword:{word}"


async def for_staff_only(session: AsyncSession, clock: Clock, message: Message) -> None:
    """Kept for staff as a service message; no contact point, so nobody can answer it by SMS."""
    site = await site_for_number(session, message.via)
    if site is None:
        raise RuntimeError("no site exists; run `los migrate` and start the service once")
    message.site_id = site.id
    message.processed_at = clock.now()
    await inbox.add_item(
        session,
        clock,
        site_id=site.id,
        kind=message.kind,
        summary=message.text,
        message_id=message.id,
    )


async def route(conv: Conversation) -> None:
    text = conv.message.text or ""
    found = words(text)
    forced = (
        conv.message.kind.removeprefix("keyword:")
        if conv.message.kind.startswith("keyword:")
        else None
    )
    head = forced or (found[0] if found else "")
    cut_list = paging.take(conv.contact)  # only this very text may say MER to it
    await reply_budget.note_inbound(conv, understood=understood(head, text, conv.language))

    tapped = bot_command(text) if conv.contact.channel == "telegram" else None
    if forced is None and tapped is not None and tapped[0] == "start":
        await linking.link_telegram(conv, tapped[1][0] if tapped[1] else None)
        return
    if forced == "stop" or (forced is None and is_stop(text)):
        await opt_out(conv)
        await crisis.intercept_crisis(conv)  # "STOPP, vil ikke leve": the numbers all the same
        return
    if head in START_WORDS:
        await opt_in(conv)
        return
    if conv.contact.opted_out_at is not None:
        if not await crisis.intercept_crisis(conv):
            await remind_stopped(conv, is_command(text, found, conv.language))
        return
    for intercept in INTERCEPTORS:
        if await intercept(conv):
            return
    if head in LANGUAGE_WORDS:
        await languages.show_menu(conv)
        return
    if await languages.choose(conv, found, cut_list):
        return
    if conv.person is None:
        await unknown_sender(conv, is_command(text, found, conv.language))
        return
    if head in HELP_WORDS:
        await help_replies.help_for_person(conv)
        return
    if await paging.more(conv, found, cut_list):
        return
    if await answer_question(conv, text):
        return
    command = COMMANDS.get(head)
    if command is not None:
        await command(conv, found[1:])
        return
    await to_staff(conv)


def is_command(text: str, found: list[str], language: str | None = None) -> bool:
    """Whether a text is one of the words Los answers itself (HJELP, TIMER, JA, 3, MER …)."""
    head = found[0] if found else ""
    return (
        head in HELP_WORDS
        or head in LANGUAGE_WORDS
        or head in COMMANDS
        or (len(found) == 1 and head in paging.MORE_WORDS)
        or parse_yes_no(text, language) is not None
        or parse_scale(text) is not None
    )


def understood(head: str, text: str, language: str | None = None) -> bool:
    """Is this a word Los acts on? People type these; an auto-responder writes prose."""
    return (
        head in STOP_WORDS
        or head in START_WORDS
        or head in HELP_WORDS
        or head in LANGUAGE_WORDS
        or head in COMMANDS
        or head in paging.MORE_WORDS
        or parse_yes_no(text, language) is not None
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


async def remind_stopped(conv: Conversation, command: bool) -> None:
    """A text after STOPP: one friendly answer per STOPP that START turns texts back on, and
    nothing else is answered or done. Words for Los (TIMER, JA) stop here; anything else still
    reaches the staff inbox, so a person who wrote to staff is read."""
    if not command:
        await conv.to_inbox("message" if conv.person else "unknown_sender")
    stopped_at = conv.contact.opted_out_at
    assert stopped_at is not None
    if await crisis_answered_since(conv, stopped_at):
        return  # the emergency numbers were their one answer after this STOPP
    await conv.reply_text(
        conv.text("stopped_reminder"),
        kind="opt_out",  # like the STOPP confirmation, the dispatcher lets it through
        dedupe=f"stopped:{conv.contact.id}:{stopped_at:%Y%m%d%H%M%S}",
    )


async def crisis_answered_since(conv: Conversation, since: datetime) -> bool:
    found = await conv.session.scalar(
        select(Message.id)
        .where(
            Message.direction == "out",
            Message.contact_point_id == conv.contact.id,
            Message.kind == "crisis",
            Message.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


async def unknown_sender(conv: Conversation, command: bool) -> None:
    """An unregistered number: to the inbox. HJELP, TIMER, MELD … get what this number is for
    and how to get registered; anything else one polite answer a day at most."""
    await conv.to_inbox("unknown_sender")
    if command:
        await help_replies.help_for_stranger(conv)
        return
    day = local_day(conv.clock.now(), conv.tz).isoformat()
    dedupe = f"unknown:{conv.contact.id}:{day}"
    back = office_hours.back_at(conv.site, conv.clock.now(), conv.language)
    if back is not None:  # closed: when staff are back, and where to call meanwhile
        await conv.reply("office_closed_unknown", dedupe=dedupe, when=back)
        return
    if conv.contact.language is None:  # nobody knows what it reads: two languages, and LANGUAGE
        text = languages.first_answer_to_unknown(conv)
        await conv.reply_text(text, dedupe=dedupe, language=languages.BOTH)
        return
    await conv.reply("unknown_sender", dedupe=dedupe)


async def to_staff(conv: Conversation) -> None:
    """Anything the bot does not understand: the inbox, and a sign that it arrived (see
    handlers/acknowledgements.py)."""
    waiting = await acknowledgements.waiting_for_staff(conv)
    await conv.to_inbox("message")
    await acknowledgements.acknowledge(conv, already_waiting=waiting)


async def answer_question(conv: Conversation, text: str) -> bool:
    """Apply a JA/NEI or 1-5 to the right open question; never guess between several."""
    assert conv.person is not None
    now = conv.clock.now()
    yes_no = parse_yes_no(text, conv.language)
    scale = parse_scale(text)
    if yes_no is None and scale is None:
        return False
    open_now = await questions.open_for(conv, now)  # one read, or none when nothing is open
    open_yes_no = [q for q in open_now if q.answer_type == "yesno"]
    open_scale = [q for q in open_now if q.answer_type == "scale"]

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
    if yes_no.choice is None and len(open_yes_no) == 1:
        await apply_answer(conv, open_yes_no[0], yes_no)
        return True
    await questions.number_questions(conv.session, conv.person.id, open_yes_no, now)
    chosen = next((q for q in open_yes_no if q.list_number == yes_no.choice), None)
    if chosen is not None:
        await apply_answer(conv, chosen, yes_no)
        return True
    await paging.show(conv, "questions", await questions.question_listing(conv))
    return True


async def apply_answer(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """Record the answer and let the question's own handler act on it."""
    questions.mark_answered(question, answer, conv.clock.now())
    handler = ANSWER_HANDLERS.get(question.kind)
    if handler is None:
        await conv.to_inbox("answer", f"{answer.value}: {question.label or question.kind}")
        return
    await handler(conv, question, answer)


@dataclass(frozen=True)
class ButtonPress:
    """A Telegram button: which question it answers and the answer it carries."""

    question_id: int
    answer: str


async def handle_button(conv: Conversation, message: Message) -> None:
    """A Telegram button press: the answer names its question, so nothing is ambiguous."""
    value = message.button_answer or ""
    question = (
        await conv.session.get(OpenQuestion, message.question_id) if message.question_id else None
    )
    if conv.person is None or question is None or question.person_id != conv.person.id:
        return  # a stale or forged button: nothing to apply
    now = conv.clock.now()
    if question.status == "answered":
        return  # a second press: the callback answer says so, and no new text is sent
    if question.status != "open" or (
        question.expires_at is not None and question.expires_at <= now
    ):
        await conv.reply("answer_too_late")
        return
    await apply_answer(conv, question, Answer(value))
