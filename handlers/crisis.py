"""Crisis words: the one list per language, the matcher, and the interceptor that answers at once.

A text that says someone may be in danger gets the emergency numbers straight away (a reply, so
quiet hours never hold it) and an urgent inbox item, whoever wrote it and whatever else was open.

Matching is by whole words and phrases, never substrings: "selvmordsforebygging-kurset" and
"overdosekurs" are activity titles, not a crisis. A word joined by a hyphen is one word.
"""

from __future__ import annotations

import re
import unicodedata

from handlers import checkins
from handlers.context import Conversation

# Each phrase is matched as a run of whole words. Add a phrase to the right language only.
CRISIS_PHRASES: dict[str, tuple[str, ...]] = {
    "nb": (
        "selvmord",
        "selvmordstanker",
        "ta livet mitt",
        "ta livet av meg",
        "tar livet mitt",
        "tar livet av meg",
        "ta mitt eget liv",
        "vil ikke leve",
        "orker ikke leve",
        "orker ikke å leve",
        "ønsker å dø",
        "lyst til å dø",
        "vil dø",
        "overdose",
        "overdosert",
    ),
    "en": (
        "suicide",
        "suicidal",
        "kill myself",
        "killing myself",
        "end my life",
        "ending my life",
        "take my own life",
        "want to die",
        "dont want to live",
        "overdose",
        "overdosed",
    ),
}

# A crisis word directly followed by one of these names a course or a cause, not a person in
# danger: "suicide prevention", "overdose awareness day", "selvmord forebygging".
NOT_A_CRISIS_AFTER = frozenset(
    {
        "prevention",
        "awareness",
        "course",
        "training",
        "forebygging",
        "forebyggende",
        "kurs",
        "kurset",
        "dagen",
        "day",
    }
)

_WORD = re.compile(r"\w+(?:-\w+)*", re.UNICODE)
_APOSTROPHES = str.maketrans("", "", "'’`´")


def crisis_words(text: str) -> list[str]:
    """The words of a text for matching: lower case, apostrophes dropped ("don't" -> "dont"),
    hyphenated compounds kept whole."""
    clean = unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)
    return _WORD.findall(clean)


_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    sorted({tuple(crisis_words(p)) for phrases in CRISIS_PHRASES.values() for p in phrases})
)


def find_crisis(text: str) -> str | None:
    """The first crisis phrase in ``text`` (any language), or None."""
    found = crisis_words(text)
    for start in range(len(found)):
        for phrase in _PHRASES:
            end = start + len(phrase)
            if tuple(found[start:end]) != phrase:
                continue
            if end < len(found) and found[end] in NOT_A_CRISIS_AFTER:
                continue
            return " ".join(phrase)
    return None


async def intercept_crisis(conv: Conversation) -> bool:
    """Any text, any state, known or unknown sender: emergency numbers now, staff alerted."""
    phrase = find_crisis(conv.message.text or "")
    if phrase is None:
        return False
    await conv.to_inbox("crisis", urgent=True)
    # One reply per quarter of an hour is enough (the reply budget sees to it), also to someone
    # who has said STOPP; every text still reaches the inbox.
    await conv.reply_text(conv.text("crisis_reply"), kind="crisis")
    await checkins.answer_within_crisis(conv)
    return True
