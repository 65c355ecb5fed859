"""Long lists in parts: as many lines as fit in two SMS (at most five), then "Skriv MER for 3
til". Every list answer stays within two segments however long the list grows.

A list command builds a :class:`Listing` and hands it to :func:`show`. The contact point
remembers which list was cut and where the next part starts; MER, as the very next text, asks
the list's builder again (registered in ``LISTS`` by ``handlers/features.py``) and goes on.
Any other text forgets the cut list, so MER never continues something read long ago.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.context import Conversation
from handlers.segments import count_segments
from storage.models import ContactPoint

MORE_WORDS = frozenset({"mer", "more"})
MAX_SEGMENTS = 2
MAX_LINES = 5
# One line longer than this is cut, so that even one line and the hint fit two segments.
LINE_ROOM = 200


@dataclass(frozen=True)
class Listing:
    """A list answer: catalogue text ``key`` with ``{lines}``, or ``empty_key`` for no lines."""

    key: str
    lines: list[str]
    empty_key: str
    values: dict[str, object] = field(default_factory=dict)


ListBuilder = Callable[[Conversation], Awaitable[Listing]]
LISTS: dict[str, ListBuilder] = {}


def clip(line: str) -> str:
    return line if len(line) <= LINE_ROOM else line[: LINE_ROOM - 3] + "..."


def fit(conv: Conversation, listing: Listing, start: int) -> tuple[str, int]:
    """The text of the part that begins at line ``start``, and where the next part begins."""
    rest = listing.lines[start:]
    for count in range(min(len(rest), MAX_LINES), 0, -1):
        text = conv.text(
            listing.key, lines="\n".join(clip(line) for line in rest[:count]), **listing.values
        )
        if count < len(rest):
            text += "\n" + conv.text("more_hint", count=len(rest) - count)
        if count_segments(text).segments <= MAX_SEGMENTS or count == 1:
            return text, start + count
    raise ValueError("fit needs at least one line")


async def show(conv: Conversation, name: str, listing: Listing, start: int = 0) -> None:
    """Answer with the part of ``listing`` from ``start`` and remember where MER goes on."""
    if not listing.lines:
        forget(conv.contact)
        await conv.reply_text(conv.text(listing.empty_key, **listing.values))
        return
    if start >= len(listing.lines):  # the list got shorter since: begin again
        start = 0
    text, after = fit(conv, listing, start)
    more = after < len(listing.lines)
    conv.contact.more_list = name if more else None
    conv.contact.more_from = after if more else None
    await conv.reply_text(text)


def take(contact: ContactPoint) -> tuple[str, int] | None:
    """The cut list MER would continue, forgotten at once: only the next text may use it."""
    pending = (contact.more_list, contact.more_from or 0) if contact.more_list else None
    forget(contact)
    return pending


def forget(contact: ContactPoint) -> None:
    # Only a real change: setting None over None would still mark the contact point changed,
    # and every later read of the text would run the ORM's flush for it.
    if contact.more_list is not None or contact.more_from is not None:
        contact.more_list = None
        contact.more_from = None


async def more(conv: Conversation, words: list[str], pending: tuple[str, int] | None) -> bool:
    """MER right after a cut list: the next part. False when the text is not that."""
    if pending is None or len(words) != 1 or words[0] not in MORE_WORDS:
        return False
    name, start = pending
    build = LISTS.get(name)
    if build is None:
        return False
    await show(conv, name, await build(conv), start)
    return True
