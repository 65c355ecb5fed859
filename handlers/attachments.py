"""What a message carries besides words: attachments, places and contacts, as staff see them.

A picture or voice note is kept as its kind, content type and the provider's reference, never
the file (bot/media.py fetches it on demand). A shared place or contact becomes readable text
at once, so retention and erasure cover it like any other text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.incoming_text import clean_field
from storage.models import Message, MessageAttachment, Person

if TYPE_CHECKING:
    from handlers.clock import Clock
    from handlers.context import Rules

# Staff read these in the inbox; the staff app is Norwegian first.
LABELS = {
    "photo": "📷 Bilde",
    "voice": "🎤 Talemelding",
    "audio": "🎵 Lydfil",
    "video": "🎬 Video",
    "video_note": "🎬 Videomelding",
    "animation": "🎬 Animasjon",
    "document": "📄 Dokument",
    "sticker": "Klistremerke",
}
EDITED_MARK = "(endret)"
# Kinds Los can fetch and show to staff through the media proxy: all it knows.
VIEWABLE = frozenset(LABELS)


@dataclass(frozen=True)
class IncomingAttachment:
    """One attachment as a channel read it from the provider's payload."""

    kind: str
    content_type: str | None
    provider_ref: str


def kind_of_content_type(content_type: str | None) -> str:
    """Twilio names only a MIME type: image/* is a picture, audio/* a voice note, and so on."""
    major = (content_type or "").split("/", 1)[0].lower()
    return {"image": "photo", "audio": "voice", "video": "video"}.get(major, "document")


def place_text(
    latitude: float, longitude: float, title: str | None = None, address: str | None = None
) -> str:
    """ "📍 59.9139, 10.7522 — Oslo S, Jernbanetorget 1" and a map link on the next line."""
    where = f"📍 {latitude:.4f}, {longitude:.4f}"
    name = ", ".join(part for part in (title, address) if part)
    if name:
        where += f" — {name}"
    link = f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}#map=17/{latitude:.5f}/{longitude:.5f}"
    return f"{where}\n{link}"


def contact_text(name: str, phone: str | None) -> str:
    """A shared contact card: "👤 Kari Nordmann, +4791234567"."""
    return "👤 " + ", ".join(part for part in (name, phone) if part)


def staff_label(
    text: str | None, attachments: Sequence[MessageAttachment], edited_at: datetime | None = None
) -> str:
    """What staff see for a message: the attachments' labels, the caption or text, "(endret)"."""
    counted: dict[str, int] = {}
    for attachment in attachments:
        counted[attachment.kind] = counted.get(attachment.kind, 0) + 1
    labels = [
        LABELS.get(kind, "📎 Vedlegg") + (f" ×{count}" if count > 1 else "")
        for kind, count in counted.items()
    ]
    parts = [", ".join(labels)] if labels else []
    if text:
        parts.append(text)
    label = ": ".join(parts)
    return f"{label} {EDITED_MARK}" if edited_at is not None else label


def attachment_json(message_id: int, attachment: MessageAttachment) -> dict[str, object]:
    return {
        "n": attachment.position,
        "kind": attachment.kind,
        "label": LABELS.get(attachment.kind, "📎 Vedlegg"),
        "content_type": attachment.content_type,
        "url": (
            f"/api/messages/{message_id}/attachments/{attachment.position}"
            if attachment.kind in VIEWABLE and attachment.provider_ref
            else None
        ),
    }


def message_content(
    message: Message | None, attachments: Sequence[MessageAttachment]
) -> dict[str, object]:
    """The fields the API adds to a message for staff: a readable label, attachments, edits."""
    if message is None:
        return {"label": None, "attachments": [], "edited": False}
    return {
        "label": staff_label(message.text, attachments, message.edited_at),
        "attachments": [attachment_json(message.id, a) for a in attachments],
        "edited": message.edited_at is not None,
    }


async def store_attachments(
    session: AsyncSession, message_id: int, attachments: Iterable[IncomingAttachment]
) -> None:
    """The attachments of a stored text, in one INSERT."""
    await session.execute(
        insert(MessageAttachment),
        [
            {
                "message_id": message_id,
                "position": position,
                "kind": attachment.kind,
                "content_type": clean_field(attachment.content_type, 100) or None,
                "provider_ref": clean_field(attachment.provider_ref, 2000) or None,
            }
            for position, attachment in enumerate(attachments, start=1)
        ],
    )


async def attachments_of(
    session: AsyncSession, message_ids: Iterable[int]
) -> dict[int, list[MessageAttachment]]:
    """The attachments of many messages in one query, by message id, in order."""
    ids = sorted(set(message_ids))
    found: dict[int, list[MessageAttachment]] = {}
    if not ids:
        return found
    rows = await session.scalars(
        select(MessageAttachment)
        .where(MessageAttachment.message_id.in_(ids))
        .order_by(MessageAttachment.message_id, MessageAttachment.position)
    )
    for attachment in rows:
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


async def forget_references(session: AsyncSession, messages: object) -> int:
    """Blank the provider references of the attachments of ``messages`` (a SELECT of ids)."""
    result = await session.execute(
        update(MessageAttachment)
        .where(
            MessageAttachment.message_id.in_(messages),  # type: ignore[arg-type]
            MessageAttachment.provider_ref.is_not(None),
        )
        .values(provider_ref=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def erase_attachments(
    session: AsyncSession, clock: Clock, rules: Rules, person: Person
) -> None:
    """Erasure: the references to what a person sent go with their words."""
    await forget_references(session, select(Message.id).where(Message.person_id == person.id))
