"""What a text says, in words the router understands: tolerant of case, punctuation and extras."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# CANCEL is not here: it keeps its meaning for shifts (AVBUD/CANCEL), and the help text says so.
STOP_WORDS = frozenset({"stopp", "stop", "avslutt", "stopall", "unsubscribe", "end", "quit"})
# Everyday words that stop only when the first line says nothing else ("END", not "End of ...").
WEAK_STOP_WORDS = frozenset({"end", "quit"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"hjelp", "help", "?", "info"})
YES_WORDS = frozenset({"ja", "j", "yes", "y", "ok", "okay", "jepp", "jo", "👍"})
NO_WORDS = frozenset({"nei", "n", "no", "nope"})
MAYBE_WORDS = frozenset({"kanskje", "maybe", "kanskj"})

_WORD = re.compile(r"[\w👍]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC-fold and casefold, so "ＳＴＯＰ" and "ﬁ" read as "stop" and "fi"; then NFC again, so
    that æøå stay single letters. Drops surrounding white space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return unicodedata.normalize("NFC", folded).strip()


def words(text: str) -> list[str]:
    """The words of a text, lower case, without punctuation ("Ja!!" -> ["ja"])."""
    found: list[str] = _WORD.findall(normalise(text))
    if not found and "?" in text:
        return ["?"]
    return found


def is_stop(text: str) -> bool:
    """Whether a text asks for no more messages: STOPP, STOP, ... as its first word."""
    found = words(text)
    if not found or found[0] not in STOP_WORDS:
        return False
    if found[0] not in WEAK_STOP_WORDS:
        return True
    first_line = normalise(text).split("\n", 1)[0]
    return words(first_line) == found[:1]


def bot_command(text: str) -> tuple[str, list[str]] | None:
    """A Telegram command and its arguments: "/start@los_bot ABC" -> ("start", ["ABC"]).

    Telegram adds "@<bot username>" when a command is tapped in a menu; in a private chat the
    only bot is ours, so the suffix is dropped whatever it says.
    """
    parts = text.strip().split()
    if not parts or not parts[0].startswith("/"):
        return None
    command = normalise(parts[0][1:].split("@", 1)[0])
    return command, parts[1:]


def first_word(text: str) -> str | None:
    found = words(text)
    return found[0] if found else None


@dataclass(frozen=True)
class Answer:
    """A reply to an open question: ``yes``/``no``/``maybe`` or a score, maybe with a choice.

    ``choice`` is the 1-based number a person adds to say which question they answer ("2 JA").
    """

    value: str
    choice: int | None = None
    rest: str = ""


def parse_yes_no(text: str) -> Answer | None:
    """Read JA/NEI (or KANSKJE), maybe with a choice number: "JA", "2 ja", "ja 2"."""
    found = words(text)
    if not found:
        return None
    choice: int | None = None
    if len(found) >= 2 and found[0].isdigit() and len(found[0]) <= 2:
        choice, found = int(found[0]), found[1:]
    elif len(found) >= 2 and found[1].isdigit() and len(found[1]) <= 2:
        choice = int(found[1])
        found = [found[0], *found[2:]]
    head = found[0]
    if head in YES_WORDS:
        return Answer("yes", choice, " ".join(found[1:]))
    if head in NO_WORDS:
        return Answer("no", choice, " ".join(found[1:]))
    if head in MAYBE_WORDS:
        return Answer("maybe", choice, " ".join(found[1:]))
    return None


def parse_scale(text: str, low: int = 1, high: int = 5) -> Answer | None:
    """Read a score such as "4" or "4 ok i dag" (the rest is kept as free text)."""
    found = words(text)
    if found and found[0].isdigit() and low <= int(found[0]) <= high:
        rest = normalise(text)[len(found[0]) :].strip(" .,!:-")
        return Answer(found[0], None, rest)
    return None
