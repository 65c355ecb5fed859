"""A broadcast larger than one chunk is answered at once and queued after the request, a chunk
per transaction; one left ``queueing`` by a restart goes on where it stopped, never twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from handlers import broadcasts
from handlers.sites import default_site
from storage.models import Broadcast, Message
from tests.harness import Harness

PHONES = [f"+4791300{n:03d}" for n in range(5)]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcasts, "QUEUE_CHUNK", 2)


async def rows_of(h: Harness, broadcast_id: int) -> list[int | None]:
    async with h.session() as session:
        return list(
            await session.scalars(
                select(Message.person_id)
                .where(Message.broadcast_id == broadcast_id)
                .order_by(Message.person_id)
            )
        )


async def status_of(h: Harness, broadcast_id: int) -> str:
    async with h.session() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        return broadcast.status


async def create(h: Harness) -> Broadcast:
    """A broadcast to everyone made as the API makes it: its first chunk queued."""
    async with h.los.sessions.begin() as session:
        site = await default_site(session)
        assert site is not None
        return await broadcasts.create_broadcast(
            session, h.clock, site_id=site.id, text="Hei!", audience={}
        )


async def test_the_api_answers_queueing_and_the_rest_is_queued_after(
    h: Harness, small_chunks: None
) -> None:
    for phone in PHONES:
        await h.person(phone=phone)
    created = await h.api(
        "POST", "/api/broadcasts", {"text": "Sommerfest!", "audience": {"all": True}}, expect=202
    )
    assert (created["status"], created["recipients"], created["queued"]) == ("queueing", 5, 2)
    await asyncio.gather(*h.los.queueing)  # queued after the answer, by the web process
    progress = await h.api("GET", f"/api/broadcasts/{created['id']}", expect=200)
    assert (progress["status"], progress["queued"]) == ("sending", 5)
    await h.send_due()
    assert all(h.sms_to(phone) == ["Sommerfest!"] for phone in PHONES)
    progress = await h.api("GET", f"/api/broadcasts/{created['id']}", expect=200)
    assert (progress["status"], progress["sent"]) == ("done", 5)
    await broadcasts.queue_rest(h.los.sessions, h.clock)  # the sweep's next run
    assert await status_of(h, created["id"]) == "sent"


async def test_a_broadcast_left_queueing_resumes_without_duplicates(
    h: Harness, small_chunks: None
) -> None:
    people = [await h.person(phone=phone) for phone in PHONES]
    made = await create(h)  # the request; then the process stopped
    assert made.status == "queueing"
    assert len(await rows_of(h, made.id)) == 2
    await h.los.scheduler.run_due()  # the next process's sweep goes on after the last chunk
    assert await rows_of(h, made.id) == sorted(p["id"] for p in people)
    assert await broadcasts.queue_rest(h.los.sessions, h.clock) == 0  # nothing left to do
    async with h.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.broadcast_id == made.id)
        )
    assert count == 5
    assert all(h.sms_to(phone) == ["Hei!"] for phone in PHONES)
    await h.los.scheduler.run_due()
    assert await status_of(h, made.id) == "sent"


async def test_cancelling_while_queueing_stops_the_queueing(h: Harness, small_chunks: None) -> None:
    for phone in PHONES:
        await h.person(phone=phone)
    made = await create(h)
    await h.api("POST", f"/api/broadcasts/{made.id}/cancel", expect=200)
    await broadcasts.queue_rest(h.los.sessions, h.clock)
    assert len(await rows_of(h, made.id)) == 2
    await h.send_due()
    assert all(h.sms_to(phone) == [] for phone in PHONES)
    assert await status_of(h, made.id) == "cancelled"
