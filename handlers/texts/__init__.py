"""Every text Los sends, once per language, as gettext catalogues (``locale/<lang>/LC_MESSAGES/
los.po``, compiled to ``los.mo``) that translators open in Poedit or Weblate.

The message id is the key (``"appointment_reminder"``), the translation the text with named
``{placeholders}``. Bokmål and English are complete by rule; any other language that lacks a
key says it in English (never logged: a missing translation is not an event). ``nb.py`` and
``en.py`` are where a key written the old way still works until ``python -m
handlers.texts.port`` moves it into the catalogues (``make texts``).

Keep texts short (two SMS at most in their own encoding), plain and kind, and never say why
someone has an appointment.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo

from handlers.texts import en, nb

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "los"
DEFAULT_LANGUAGE = "nb"
# Every language Los writes in, in menu order, each named in itself (the SPRÅK menu).
LANGUAGES: dict[str, str] = {
    "nb": "Norsk",
    "en": "English",
    "pl": "Polski",
    "lt": "Lietuvių",
    "ro": "Română",
    "uk": "Українська",
    "ru": "Русский",
    "ar": "العربية",
    "so": "Soomaali",
}
# Keys written only in bokmål and English: inbox notes staff read (the staff app's languages),
# and the hint for unknown numbers, which is two-language by design.
NB_EN_ONLY = frozenset(
    {
        "language_word_hint",
        "shift_unfilled_inbox",
        "shift_cancelled_inbox",
        "flood_inbox",
        "robot_inbox",
        "inbound_failed_inbox",
        "send_unknown_inbox",
        "voice_call_back_inbox",
        # follow-up: inbox items and the words that fill them in
        "not_seen_inbox",
        "not_seen_team_inbox",
        "consent_hint",
        "review_inbox",
        "review_answer_inbox",
        "reminder_missed_inbox",
        "signal_text",
        "signal_activity",
        "signal_appointment",
        "signal_meeting",
        "signal_seen",
        "signal_followed",
    }
)
# Keys still written in nb.py/en.py (not yet ported): they count as part of those catalogues.
_LEGACY: dict[str, dict[str, str]] = {"nb": nb.TEXTS, "en": en.TEXTS}


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(language: str) -> dict[str, str]:
    """The compiled texts of one language (key -> text), untranslated entries left out."""
    texts: dict[str, str] = {}
    path = mo_path(language)
    if path.exists():
        with path.open("rb") as handle:
            for message in read_mo(handle):
                if message.id and isinstance(message.id, str) and message.string:
                    texts[message.id] = str(message.string)
    texts.update(_LEGACY.get(language, {}))
    return texts


def t(language: str | None, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` (bokmål when unknown), filled with ``values``.

    A key a language lacks is said in English, and in bokmål if even English lacks it."""
    code = language if language in LANGUAGES else DEFAULT_LANGUAGE
    template = (
        catalogue(code).get(key) or catalogue("en").get(key) or catalogue(DEFAULT_LANGUAGE)[key]
    )
    return template.format(**values)


def has_text(language: str, key: str) -> bool:
    """Whether ``language`` has its own text for ``key`` (no English stand-in)."""
    return key in catalogue(language)
