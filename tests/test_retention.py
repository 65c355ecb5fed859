"""Texts do not outlive the retention period; counts do."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Message
from tests.harness import Harness

PHONE = "+4791234567"


async def test_old_texts_are_blanked_but_rows_and_open_items_stay(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    await h.sms(PHONE, "Kan noen ringe meg?")  # an open inbox item
    await h.advance(days=366)
    async with h.session() as session:
        rows = list(
            await session.execute(
                select(Message.direction, Message.text, Message.status).order_by(Message.id)
            )
        )
    assert [tuple(r) for r in rows] == [
        ("in", None, "received"),
        ("out", None, "sent"),
        ("in", "Kan noen ringe meg?", "received"),  # staff have not dealt with it yet
        ("out", None, "sent"),
    ]
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-03-31", expect=200)
    assert stats["messages"]["received"] == 2
