"""Voice reminders, when they are queued: a call beside (or instead of) the text.

A person set to ``call`` or ``both`` (``people.reminders_by``) gets their appointment
reminders, everyday reminders and check-in questions as a phone call that reads the text aloud
(bot/channels/twilio_voice.py). The call is an outbox row like any text, on channel ``voice``,
to the person's phone number's contact point: STOPP, pauses and quiet hours hold it exactly as
they hold a text, and its idempotency key begins with the text's own, so withdrawing an
appointment's reminders withdraws its calls too.

Keys: ``call`` people get the row the text would have been on channel ``voice`` (same key),
``both`` people the text and a call keyed ``<key>:call``. An unanswered call is tried once more
(``<base>:call2``); after that, a ``call`` person gets the text (``<base>:sms``). What happens
during and after a call is in handlers/voice_calls.py.
"""

from __future__ import annotations

from storage.models import ContactPoint, Message, Person
from storage.models.states import RemindersBy

CHANNEL = "voice"
# The outbox kinds a call stands in for: appointment reminders, everyday reminders, check-ins.
KINDS = frozenset({"appointment_reminder", "reminder", "checkin"})
BOTH_SUFFIX = ":call"
RETRY_SUFFIX = ":call2"
SMS_SUFFIX = ":sms"


def phone_of(person: Person) -> ContactPoint | None:
    """The person's own phone number (not opted out): where a call goes. None: no call."""
    return next((c for c in person.contacts if c.channel == "sms" and c.opted_out_at is None), None)


def wants_call(person: Person, kind: str, key: str | None) -> bool:
    """Whether this text is one a call reads (a keyed reminder or check-in to a caller)."""
    return person.reminders_by != RemindersBy.SMS and kind in KINDS and key is not None


def call_key(person: Person, key: str) -> str:
    """The first call's key: the text's own for ``call`` people, ``<key>:call`` for ``both``."""
    return key if person.reminders_by == RemindersBy.CALL else key + BOTH_SUFFIX


def base_key(message: Message) -> tuple[str, bool]:
    """(the text's own key, whether this call was the second try) of a call row."""
    key = message.idempotency_key or ""
    if key.endswith(RETRY_SUFFIX):
        return key.removesuffix(RETRY_SUFFIX), True
    return key.removesuffix(BOTH_SUFFIX), False
