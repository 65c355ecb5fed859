"""One normalisation at the edge: every incoming text is made safe to store and to read.

Providers hand us whatever a phone produced: decomposed letters, half an emoji (a lone UTF-16
surrogate), NUL bytes that PostgreSQL refuses, bidi and other control characters. Every channel
passes its text through :func:`clean_text` before anything is stored, so a text is never lost
to an encoding error and staff read what the person meant.
"""

from __future__ import annotations

import re
import unicodedata

# Texts longer than this are junk, not messages (Telegram allows 4,096, Twilio joins 1,600).
MAX_TEXT = 16_000
KEPT_CONTROLS = frozenset("\n\r\t")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _kept(char: str) -> bool:
    """Control characters (Cc) go, except line breaks and tabs; format characters (Cf) such as
    zero-width joiners stay, since emoji and some scripts need them."""
    return char in KEPT_CONTROLS or unicodedata.category(char) != "Cc"


def clean_text(text: str | None, limit: int = MAX_TEXT) -> str:
    """NFC, lone surrogates as U+FFFD, control characters (but line breaks and tabs) removed."""
    if not text:
        return ""
    text = _SURROGATE.sub("\ufffd", text)
    text = "".join(char for char in text if _kept(char))
    return unicodedata.normalize("NFC", text)[:limit]


def clean_field(value: object, limit: int) -> str:
    """A short provider field (an address, an id) made storable: cleaned and cut to fit."""
    return clean_text(str(value) if value is not None else "", limit).strip()
