"""Telegram answer buttons: what their data means, and what a second press is told.

Every press is answered (Telegram shows a spinner until it is); data Los does not know is
answered too and otherwise ignored, since a 4xx would only make Telegram deliver it again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.texts import t
from storage.models import ContactPoint, OpenQuestion, Person

# What a button's answer value is stored as: the word a person would have typed.
ANSWERS = {"yes": "JA", "no": "NEI", "maybe": "KANSKJE", **{str(n): str(n) for n in range(1, 6)}}


def parse_button(data: str) -> tuple[int, str] | None:
    """``"q:<question id>:<answer>"`` (see bot/channels/telegram.py ``keyboard``), else None."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "q" or parts[2] not in ANSWERS:
        return None
    if not parts[1].isdigit() or not 0 < int(parts[1]) < 2**63:
        return None
    return int(parts[1]), parts[2]


async def second_press(
    session: AsyncSession, question_id: int, channel: str, address: str
) -> str | None:
    """ "Du har allerede svart" when this chat's person has answered the question already."""
    question = await session.get(OpenQuestion, question_id)
    if question is None or question.status != "answered":
        return None
    contact = await session.scalar(
        select(ContactPoint).where(ContactPoint.channel == channel, ContactPoint.address == address)
    )
    if contact is None or contact.person_id != question.person_id:
        return None
    person = await session.get(Person, question.person_id)
    return t(person.language if person else "nb", "already_answered")
