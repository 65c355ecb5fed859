"""A running demo site for screenshots and the pages benchmark: ``los demo`` plus a morning's
inbox (a question, a crisis, an unknown number, a reply) and a fortnight of check-in answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.demo import demo_phone, fill_demo
from handlers.clock import FakeClock
from storage.models import CheckinPlan, CheckinRound, ContactPoint
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import Harness, oslo, running_harness, test_settings

UNKNOWN = "+4798765432"
SCORES = [4, 3, 3, 4, 2, 2, 3, 4, 4, 5, 3, 4]


@asynccontextmanager
async def demo_site(folder: Path) -> AsyncIterator[Harness]:
    """The demo site on Monday 2 March 2026, then Tuesday morning with its texts in."""
    twilio, telegram = FakeTwilio(), FakeTelegram()
    await twilio.start()
    await telegram.start()
    clock = FakeClock(oslo(2026, 3, 2, 8, 30))
    settings = test_settings(f"sqlite+aiosqlite:///{folder / 'demo.db'}", twilio.url, telegram.url)
    try:
        async with running_harness(settings, clock, twilio, telegram) as h:
            async with h.session() as session:
                await fill_demo(session, clock)
                await add_score_history(session, clock)
            await h.set_time(oslo(2026, 3, 3, 8, 15))
            await h.sms(demo_phone(100), "JA")
            await h.sms(
                demo_phone(102), "Hei, kan noen hjelpe meg med brevet fra NAV? Skjønner ikke"
            )
            await h.sms(UNKNOWN, "Hei! Er dette dagsenteret? Når har dere åpent på lørdag?")
            await h.sms(demo_phone(104), "Takk for turen i går! Blir det flere turer?")
            await reply_to(h, demo_phone(104), "Så hyggelig! Ja, vi drar til Gressholmen i juni.")
            h.clock.advance(20 * 60)
            await h.sms(demo_phone(103), "Jeg orker ikke mer. Vil ikke leve lenger")
            yield h
    finally:
        await twilio.stop()
        await telegram.stop()


async def add_score_history(session: object, clock: FakeClock) -> None:
    """Twelve earlier daily answers for the first participant on a daily check-in plan."""
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    plan = await session.scalar(
        select(CheckinPlan).where(CheckinPlan.every == "daily").order_by(CheckinPlan.id).limit(1)
    )
    if plan is None:
        return
    for n, score in enumerate(SCORES):
        asked = clock.now() - timedelta(days=len(SCORES) - n)
        session.add(
            CheckinRound(
                plan_id=plan.id,
                person_id=plan.person_id,
                asked_at=asked,
                answered_at=asked + timedelta(minutes=25),
                score=score,
            )
        )


async def reply_to(h: Harness, phone: str, text: str) -> None:
    async with h.session() as session:
        contact = await session.scalar(select(ContactPoint).where(ContactPoint.address == phone))
        assert contact is not None and contact.person_id is not None
        person_id = contact.person_id
    listed = await h.api("GET", "/api/inbox", expect=200)
    thread = next(t for t in listed["items"] if t["person_id"] == person_id)
    await h.api("POST", f"/api/inbox/{thread['items'][-1]['id']}/reply", {"text": text}, expect=202)
    await h.send_due()
