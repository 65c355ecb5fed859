"""Voice reminders, during and after the call: what it says, what a key means, no answer.

bot/channels/twilio_voice.py turns these into TwiML and webhooks; the rules live here. A key
is stored as an incoming text from the person's phone number and routed like one (see
:func:`key_press`), so a 1 confirms an appointment exactly as JA does, a 3 is FLYTT and a 0 is
an inbox item. A call nobody answered is tried once more, then becomes the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox, questions, voice
from handlers.clock import Clock
from handlers.context import Conversation
from handlers.texts import t
from storage.models import ContactPoint, Message, OpenQuestion, Person

# Twilio's final call statuses that mean nobody listened.
NOT_ANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})
# Key 0: the person wants staff to call back; routed to the inbox (handlers/router.py).
CALL_BACK_KIND = "call_back"
# What a key means for each kind of question: the answer a text or a button would carry.
YES_NO_KEYS = {"1": "yes", "2": "no"}
SCALE_KEYS = {str(n): str(n) for n in range(1, 6)}
MOVE_KEY, STAFF_KEY = "3", "0"
MOVE_WORD = "FLYTT"
# What the stored text says for a yes/no key: the word a person would have typed.
ANSWER_WORDS = {"yes": "JA", "no": "NEI"}
# Languages Twilio has no voice for are read by the English voice, prompts in English.
SPOKEN_FALLBACK = {"so": "en"}


@dataclass(frozen=True)
class Script:
    """What one call says: the text, the keys it asks for (None: nothing to answer), and in
    which language (a catalogue code; bot/ maps it to a voice)."""

    text: str
    language: str
    prompt: str | None
    last_try: bool

    def no_key(self) -> str | None:
        """Said when no key came: only the last try promises the text that follows."""
        return t(self.language, "voice_no_key") if self.last_try and self.prompt else None


@dataclass(frozen=True)
class Press:
    """A key as an incoming text: what is stored, and the question a button press answers."""

    address: str
    text: str
    kind: str
    question_id: int | None = None
    answer: str | None = None
    spoken: str = "voice_thanks"


def spoken_language(language: str | None) -> str:
    code = language or "nb"
    return SPOKEN_FALLBACK.get(code, code)


async def call_row(session: AsyncSession, message_id: int) -> Message | None:
    """The outgoing call row ``message_id``, or None (unknown, not a call, or erased)."""
    message = await session.get(Message, message_id)
    if message is None or message.direction != "out" or message.channel != voice.CHANNEL:
        return None
    return message if message.address and message.text is not None else None


async def open_question(
    session: AsyncSession, clock: Clock, message: Message
) -> OpenQuestion | None:
    """The question the call asks, while it is still open."""
    if message.question_id is None:
        return None
    question = await session.get(OpenQuestion, message.question_id)
    if question is None or question.status != "open":
        return None
    if question.expires_at is not None and question.expires_at <= clock.now():
        return None
    return question


async def script_for(session: AsyncSession, clock: Clock, message_id: int) -> Script | None:
    message = await call_row(session, message_id)
    if message is None:
        return None
    language = spoken_language(message.language)
    question = await open_question(session, clock, message)
    prompt = None
    if question is not None:
        prompt = t(language, "voice_scale" if question.answer_type == "scale" else "voice_keys")
    base, retried = voice.base_key(message)
    last_try = retried and await text_of(session, base) is None
    return Script(message.text or "", language, prompt, last_try=last_try)


async def text_of(session: AsyncSession, base: str) -> int | None:
    """The text a call went with (``both``), if it was queued."""
    return await session.scalar(
        select(Message.id).where(Message.idempotency_key == base, Message.channel != voice.CHANNEL)
    )


async def key_press(
    session: AsyncSession, clock: Clock, message_id: int, digit: str, call_sid: str
) -> Press | None:
    """What key ``digit`` pressed during call ``message_id`` counts as; None: nothing (a key
    with no meaning here, or a call already answered). Marks the call answered."""
    message = await call_row(session, message_id)
    if message is None or message.button_answer is not None:
        return None
    question = await open_question(session, clock, message)
    keys = SCALE_KEYS if question is not None and question.answer_type == "scale" else YES_NO_KEYS
    address = message.address or ""
    press: Press | None = None
    if digit == STAFF_KEY:
        press = Press(address, "☎ 0", CALL_BACK_KIND, spoken="voice_staff")
    elif question is not None and digit in keys:
        answer = keys[digit]
        press = Press(address, ANSWER_WORDS.get(answer, answer), "button", question.id, answer)
    elif question is not None and question.answer_type == "yesno" and digit == MOVE_KEY:
        press = Press(address, MOVE_WORD, "inbound")
    if press is not None:
        message.button_answer = digit
        settle(message, clock, call_sid, "delivered")
    return press


def settle(
    message: Message, clock: Clock, call_sid: str, status: str, error: str | None = None
) -> None:
    """Record how a call went. Twilio may call back before the dispatcher has recorded the
    call (``sending``): the call's id is taken from Twilio's word then, and the dispatcher's own
    record, conditional on ``sending``, changes nothing afterwards."""
    if message.status not in ("sending", "sent", "delivered"):
        return
    if message.status == "sending":
        message.provider_id = message.provider_id or call_sid[:64]
        message.sent_at = message.sent_at or clock.now()
        message.attempts += 1
    message.status, message.error = status, error
    if status == "delivered":
        message.delivered_at = message.delivered_at or clock.now()


async def call_ended(
    session: AsyncSession,
    clock: Clock,
    message_id: int,
    call_sid: str,
    status: str,
    retry_after: timedelta,
) -> str | None:
    """Twilio's last word on a call. Unanswered (or answered with no key while a question is
    open): a second call after ``retry_after``; after the second, the text, for people who get
    no texts otherwise. Returns what was queued ("retry", "text") or None."""
    message = await call_row(session, message_id)
    if message is None or message.button_answer is not None:
        return None
    if status not in NOT_ANSWERED and status != "completed":
        return None  # queued, ringing, in-progress: not the end yet
    question = await open_question(session, clock, message)
    if status == "completed" and question is None:
        settle(message, clock, call_sid, "delivered")
        return None  # read aloud, and nothing is owed
    settle(message, clock, call_sid, "failed", f"call {status}")
    if message.question_id is not None and question is None:
        return None  # answered by text meanwhile, or too late to matter
    base, retried = voice.base_key(message)
    if not retried:
        contact = (
            await session.get(ContactPoint, message.contact_point_id)
            if message.contact_point_id is not None
            else None
        )
        queued = await outbox.queue(  # the dispatcher holds it if the number said STOPP since
            session,
            clock,
            contact=contact,
            text=message.text or "",
            site_id=message.site_id,
            person_id=message.person_id,
            kind=message.kind,
            send_after=clock.now() + retry_after,
            key=base + voice.RETRY_SUFFIX,
            question_id=message.question_id,
            language=message.language,
            channel=voice.CHANNEL,
        )
        return "retry" if queued is not None else None
    return "text" if await text_instead(session, clock, message, base, question) else None


async def call_refused(session: AsyncSession, clock: Clock, message_id: int) -> bool:
    """Twilio refused to place the call for good (a number that cannot be called): no second
    try, the text at once, for people who get no texts otherwise."""
    message = await call_row(session, message_id)
    if message is None:
        return False
    question = await open_question(session, clock, message)
    if message.question_id is not None and question is None:
        return False
    base, _ = voice.base_key(message)
    return await text_instead(session, clock, message, base, question)


async def text_instead(
    session: AsyncSession,
    clock: Clock,
    message: Message,
    base: str,
    question: OpenQuestion | None,
) -> bool:
    """After two unanswered calls: the text, unless it went out already (``both``)."""
    if await text_of(session, base) is not None or message.person_id is None:
        return False
    person = await session.get(Person, message.person_id)
    if person is None or person.erased_at is not None:
        return False
    await person.awaitable_attrs.contacts
    queued = await outbox.queue(
        session,
        clock,
        contact=outbox.preferred_contact(person),
        text=message.text or "",
        site_id=message.site_id,
        person_id=person.id,
        kind=message.kind,
        key=base + voice.SMS_SUFFIX,
        buttons=questions.buttons_for(question.answer_type, person.language) if question else None,
        question_id=message.question_id,
        language=message.language,
    )
    return queued is not None


async def call_back(conv: Conversation) -> None:
    """Key 0: an inbox item asking staff to call back. The call itself said so, in the
    person's language; no text follows."""
    await conv.to_inbox(CALL_BACK_KIND, t("nb", "voice_call_back_inbox"))
