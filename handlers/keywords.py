"""What a text says, in words the router understands: tolerant of case, punctuation and extras."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Each language's own words, all in this one place. Bokmål and English (the first two) work for
# everyone. Help and stop words of every language also work for everyone: nobody should be kept
# from stopping by a wrong language setting. Yes, no and maybe in another language count only
# for people set to that language: they collide with everyday words elsewhere (Romanian NU and
# DA, Polish TAK beside a short Norwegian "takk"). tests/test_keywords.py keeps every word to one
# meaning within what each person's language reads.
LOCAL_YES: dict[str, frozenset[str]] = {
    "pl": frozenset({"tak"}),
    "lt": frozenset({"taip"}),
    "ro": frozenset({"da"}),
    "uk": frozenset({"так"}),
    "ru": frozenset({"да"}),
    "ar": frozenset({"نعم", "naam", "aiwa", "ايوه"}),
    "so": frozenset({"haa"}),
}
LOCAL_NO: dict[str, frozenset[str]] = {
    "pl": frozenset({"nie"}),
    "lt": frozenset({"ne"}),
    "ro": frozenset({"nu"}),
    "uk": frozenset({"ні"}),
    "ru": frozenset({"нет"}),
    "ar": frozenset({"لا", "la"}),
    "so": frozenset({"maya"}),
}
LOCAL_MAYBE: dict[str, frozenset[str]] = {
    "pl": frozenset({"może"}),
    "lt": frozenset({"galbūt"}),
    "ro": frozenset({"poate"}),
    "uk": frozenset({"можливо"}),
    "ru": frozenset({"возможно"}),
    "ar": frozenset({"ربما"}),
    "so": frozenset({"malaha"}),
}
LOCAL_HELP: dict[str, frozenset[str]] = {
    "pl": frozenset({"pomoc"}),
    "lt": frozenset({"pagalba"}),
    "ro": frozenset({"ajutor"}),
    "uk": frozenset({"допомога"}),
    "ru": frozenset({"помощь"}),
    "ar": frozenset({"مساعدة"}),
    "so": frozenset({"caawimo"}),
}
LOCAL_STOP: dict[str, frozenset[str]] = {
    "lt": frozenset({"stabdyti"}),
    "uk": frozenset({"стоп"}),
    "ru": frozenset({"стоп"}),
    "ar": frozenset({"توقف", "قف"}),
    "so": frozenset({"jooji"}),
}
# SPRÅK / LANGUAGE / JĘZYK and each language's own word for it: the numbered language menu.
LANGUAGE_WORDS = frozenset(
    {
        "språk",
        "sprak",
        "language",
        "język",
        "jezyk",
        "kalba",
        "limba",
        "мова",
        "язык",
        "لغة",
        "luqad",
    }
)

# CANCEL is not here: it keeps its meaning for shifts (AVBUD/CANCEL), and the help text says so.
STOP_WORDS = frozenset(
    {"stopp", "stop", "avslutt", "stopall", "unsubscribe", "end", "quit"}.union(
        *LOCAL_STOP.values()
    )
)
# Everyday words that stop only when the first line says nothing else ("END", not "End of ...").
WEAK_STOP_WORDS = frozenset({"end", "quit"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"hjelp", "help", "?", "info"}.union(*LOCAL_HELP.values()))
YES_WORDS = frozenset({"ja", "j", "yes", "y", "ok", "okay", "jepp", "jo", "👍"})
NO_WORDS = frozenset({"nei", "n", "no", "nope"})
MAYBE_WORDS = frozenset({"kanskje", "maybe", "kanskj"})


def yes_words(language: str | None) -> frozenset[str]:
    return YES_WORDS | LOCAL_YES.get(language or "", frozenset())


def no_words(language: str | None) -> frozenset[str]:
    return NO_WORDS | LOCAL_NO.get(language or "", frozenset())


def maybe_words(language: str | None) -> frozenset[str]:
    return MAYBE_WORDS | LOCAL_MAYBE.get(language or "", frozenset())


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


def parse_yes_no(text: str, language: str | None = None) -> Answer | None:
    """Read JA/NEI (or KANSKJE), maybe with a choice number: "JA", "2 ja", "ja 2"; and the
    words of the person's ``language`` ("TAK", "ТАК", "نعم")."""
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
    if head in yes_words(language):
        return Answer("yes", choice, " ".join(found[1:]))
    if head in no_words(language):
        return Answer("no", choice, " ".join(found[1:]))
    if head in maybe_words(language):
        return Answer("maybe", choice, " ".join(found[1:]))
    return None


def parse_scale(text: str, low: int = 1, high: int = 5) -> Answer | None:
    """Read a score such as "4" or "4 ok i dag" (the rest is kept as free text)."""
    found = words(text)
    if found and found[0].isdigit() and low <= int(found[0]) <= high:
        rest = normalise(text)[len(found[0]) :].strip(" .,!:-")
        return Answer(found[0], None, rest)
    return None
