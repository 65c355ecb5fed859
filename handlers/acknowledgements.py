"""Signs that a text arrived: the acknowledgement for texts that go to staff, and the rule that
one kind of automatic answer goes to a contact at most once in a short while.

Every text that goes to staff gets a sign unless one went to that contact in the last
``QUIET_AFTER_SIGN`` (a burst of texts costs one answer). The full sign is the acknowledgement
("Takk, meldingen er mottatt. En av de ansatte leser den."), or while the office is closed when
staff are back and the emergency numbers. A person gets the full sign for their first text of
the day, and whenever nothing of theirs is waiting in the inbox; a later text that day while
staff have not resolved what they wrote gets a short "Mottatt, takk." (unless the office has
closed since the full sign: then they learn when staff are back).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import bindparam, select

from handlers import office_hours
from handlers.context import Conversation
from handlers.localtime import local_day, to_utc
from storage.models import InboxItem, Message

QUIET_AFTER_SIGN = timedelta(minutes=10)
# More than the time between the reply budget recording an answer and the answer's row being made.
ANSWER_SLACK = timedelta(seconds=1)


# Both asked for texts that go to staff, so built once; only the values change.
_SENT_SINCE = (
    select(Message.id)
    .where(
        Message.contact_point_id == bindparam("contact_id"),
        Message.direction == "out",
        Message.created_at >= bindparam("since"),
        Message.idempotency_key.startswith(bindparam("prefix")),
    )
    .limit(1)
)
_WAITING = (
    select(InboxItem.id)
    .where(InboxItem.contact_point_id == bindparam("contact_id"), InboxItem.status == "open")
    .limit(1)
)


async def sent_since(conv: Conversation, key_prefix: str, since: datetime) -> bool:
    """Whether a text whose idempotency key starts with ``key_prefix`` went to this contact
    (queued or sent) at or after ``since``.

    These texts are automatic answers, and every one queued is recorded in the sender's reply
    budget (``last_answer_at``, a moment before the row's ``created_at``): when the budget has
    none since ``since``, there is nothing to read."""
    budget = conv.budget
    if budget is not None and (
        budget.last_answer_at is None or budget.last_answer_at < since - ANSWER_SLACK
    ):
        return False
    found = await conv.session.scalar(
        _SENT_SINCE, {"contact_id": conv.contact.id, "since": since, "prefix": key_prefix}
    )
    return found is not None


async def waiting_for_staff(conv: Conversation) -> bool:
    """Whether something from this contact is still open in the staff inbox (ask before
    adding the text at hand)."""
    found = await conv.session.scalar(_WAITING, {"contact_id": conv.contact.id})
    return found is not None


async def acknowledge(conv: Conversation, *, already_waiting: bool) -> None:
    """The sign for a text that went to staff (see the module's docstring)."""
    now = conv.clock.now()
    signs = f"ack:{conv.contact.id}:"
    if await sent_since(conv, signs, now - QUIET_AFTER_SIGN):
        return
    back = office_hours.back_at(conv.site, now, conv.language)
    full = f"{signs}{'closed' if back else 'open'}:"
    start_of_day = to_utc(local_day(now, conv.tz), time(0, 0), conv.tz)
    if already_waiting and await sent_since(conv, full, start_of_day):
        await conv.reply("received_again", dedupe=f"{signs}short:{conv.message.id}")
    elif back is not None:  # closed: when staff are back, and where to call meanwhile
        await conv.reply("office_closed", dedupe=f"{full}{conv.message.id}", when=back)
    else:
        await conv.reply("received", dedupe=f"{full}{conv.message.id}")
