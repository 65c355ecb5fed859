"""HJELP: the words a person can text, only those that fit their roles, in one SMS; and for a
number nobody has registered, what this service is and how to get registered."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.acknowledgements import QUIET_AFTER_SIGN, sent_since
from handlers.context import Conversation
from handlers.texts import t

# Catalogue keys of the command words each role can use, in the order help lists them.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "participant": ("word_appointments", "word_activities"),
    # volunteers go with participants to appointments, and some activities are for them too
    "volunteer": ("word_appointments", "word_activities", "word_shifts", "word_cancel_shift"),
}
ORDER = ("word_appointments", "word_activities", "word_shifts", "word_cancel_shift")
# A site name longer than this is cut, so the two-language answer stays within two SMS.
SITE_NAME_ROOM = 30


def help_text(language: str, roles: Iterable[str]) -> str:
    """The help for someone with ``roles``: the shared words plus only their roles' commands."""
    keys = {key for role in roles for key in ROLE_WORDS.get(role, ())}
    words = "".join(f"{t(language, key)}, " for key in ORDER if key in keys)
    return t(language, "help", words=words)


async def help_for_person(conv: Conversation) -> None:
    assert conv.person is not None
    await conv.reply_text(help_text(conv.language, await conv.role_names()))


def stranger_help_text(site_name: str) -> str:
    """Both languages in one text: nobody knows which one an unknown number reads."""
    name = site_name
    if len(name) > SITE_NAME_ROOM:
        name = name[: SITE_NAME_ROOM - 3] + "..."
    return f"{t('nb', 'help_stranger', site=name)}\n{t('en', 'help_stranger', site=name)}"


async def help_for_stranger(conv: Conversation) -> None:
    """HJELP, TIMER, MELD … from an unknown number: what this number is for and how to get
    registered. At most once in ten minutes: a burst of words gets one explanation, and every
    text still reaches the staff inbox."""
    prefix = f"unknown-help:{conv.contact.id}:"
    if await sent_since(conv, prefix, conv.clock.now() - QUIET_AFTER_SIGN):
        return
    await conv.reply_text(
        stranger_help_text(conv.site.name), dedupe=f"{prefix}{conv.message.id}", language="nb+en"
    )
