"""SPRÅK / LANGUAGE / JĘZYK: a numbered menu, each language named in itself, and the number as
the very next text chooses. An unknown number's choice is kept on the number (the contact
point), so it is read in that language until someone registers it."""

from __future__ import annotations

from handlers.context import Conversation
from handlers.texts import LANGUAGES, t

# The name the contact point remembers while the menu waits for a number (paging's slot: any
# other text forgets it, exactly like a cut list).
MENU = "language"
CODES = list(LANGUAGES)


def menu_lines() -> str:
    return "\n".join(f"{n} {name}" for n, name in enumerate(LANGUAGES.values(), start=1))


async def show_menu(conv: Conversation) -> None:
    await conv.reply_text(conv.text("language_menu", lines=menu_lines()))
    conv.contact.more_list = MENU
    conv.contact.more_from = 0


async def choose(conv: Conversation, found: list[str], pending: tuple[str, int] | None) -> bool:
    """A number right after the menu: that language from now on. False when it is not that."""
    if pending is None or pending[0] != MENU or len(found) != 1 or not found[0].isdigit():
        return False
    number = int(found[0])
    if not 1 <= number <= len(CODES):
        return False
    code = CODES[number - 1]
    if conv.person is not None:
        conv.person.language = code
    else:
        conv.contact.language = code
    await conv.reply_text(t(code, "language_set"), language=code)
    return True


# What the thread shows as the language of a text written in bokmål and English at once.
BOTH = "nb+en"


def first_answer_to_unknown(conv: Conversation) -> str:
    """An unknown number that has chosen no language: bokmål and English, naming LANGUAGE."""
    return "\n".join(
        f"{t(code, 'unknown_sender')} {t(code, 'language_word_hint')}" for code in ("nb", "en")
    )
