"""Texts do not outlive the retention period; counts do."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import CheckinRound, Message
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
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["messages"]["received"] == 2


async def test_old_check_in_free_texts_are_blanked_scores_stay(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await h.api(
        "POST",
        "/api/checkins",
        {"person_id": person["id"], "every": "weekly", "at": "12:00"},
        expect=201,
    )
    await h.advance(hours=3)  # 13:00: the first question has gone out
    await h.sms(PHONE, "4 ok i dag")
    async with h.session() as session:
        [(score, text)] = list(
            await session.execute(select(CheckinRound.score, CheckinRound.free_text))
        )
    assert (score, text) == (4, "ok i dag")
    await h.advance(days=366)
    async with h.session() as session:
        rounds = list(
            await session.execute(
                select(CheckinRound.score, CheckinRound.free_text).order_by(CheckinRound.id)
            )
        )
    assert tuple(rounds[0]) == (4, None)
