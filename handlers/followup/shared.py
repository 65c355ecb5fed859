"""Texts from a shared phone: whose are they?

"Ola FERDIG" counts for Ola. A bare FERDIG or OK counts for the one person on the number with a
reminder open; when several have one, Los asks "Hvem svarer? Skriv navnet ditt" and the name
that comes back decides. Any other text that begins with a name is that person's.
"""

from __future__ import annotations

from handlers.context import Conversation
from handlers.followup import phones, reminders
from handlers.keywords import words
from storage.models import Person

DONE = "done"


def named(found: list[str], people: list[tuple[str, Person]]) -> Person | None:
    if not found:
        return None
    for name, person in people:
        if name and found[0] == name.lower():
            return person
    return None


async def intercept_shared(conv: Conversation) -> bool:
    """Runs before questions and commands; True when it has dealt with the text."""
    if conv.person is None or not conv.shared:
        return False
    on_phone = await phones.sharers(conv.session, conv.contact.id)
    if len(on_phone) < 2:
        return False
    people = [(phones.call_name(s, p), p) for s, p in on_phone] + [
        (p.first_name, p) for _s, p in on_phone
    ]
    found = words(conv.message.text or "")
    who = named(found, people)
    rest = found[1:] if who else found
    pending = conv.contact.who_pending
    conv.contact.who_pending = None
    if who is not None:
        become(conv, who)
        if pending == DONE and not rest:
            return await done_for(conv)
        if rest and rest[0] in reminders.DONE_WORDS and len(rest) <= 2:
            return await done_for(conv)
        return False  # "Ola: kan jeg komme i morgen?" goes on as Ola's text
    if not found or found[0] not in reminders.DONE_WORDS or len(found) > 2:
        return False
    now = conv.clock.now()
    waiting = [p for _s, p in on_phone if await reminders.open_reminders(conv.session, p.id, now)]
    if not waiting:
        return False
    if len(waiting) == 1:
        become(conv, waiting[0])
        return await done_for(conv)
    conv.contact.who_pending = DONE
    await conv.reply("who_answers")
    return True


def become(conv: Conversation, person: Person) -> None:
    """The text is this person's from here on (answers, inbox, history)."""
    conv.person = person
    conv.message.person_id = person.id


async def done_for(conv: Conversation) -> bool:
    if not await reminders.mark_done(conv):
        await phones.reply_named(conv, "reminder_nothing_open")
    return True
