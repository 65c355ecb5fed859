"""Webhooks that arrive together share one commit (scheduler/storing.py), and lose nothing by it:
each gets its own id, a repeated provider id is stored once, attachments and buttons are kept,
and a text the database refuses does not take its neighbours with it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from bot.service import FLOOD_AT, FLOOD_RATE
from bot.webhook_watch import Arrivals, ArrivalSlots
from handlers.attachments import IncomingAttachment
from scheduler import routing
from scheduler.inbound import Incoming
from scheduler.routing_thread import RoutingThread
from storage.models import Message, MessageAttachment
from tests.harness import Harness
from tests.test_route_statements import counted

VIA = "+4759440000"


def sms(h: Harness, n: int, words: str = "hei", sid: str | None = None) -> Incoming:
    return Incoming(
        channel="sms",
        address=f"+4792{n:06d}",
        text=words,
        provider_id=sid or f"SMgroup{n}",
        received_at=h.clock.now(),
        via=VIA,
    )


async def stored_texts(h: Harness) -> list[tuple[str | None, str | None]]:
    async with h.session() as session:
        rows = await session.execute(
            select(Message.provider_id, Message.text)
            .where(Message.direction == "in")
            .order_by(Message.id)
        )
        return [(r.provider_id, r.text) for r in rows]


async def test_texts_arriving_together_share_one_insert_and_keep_their_order(h: Harness) -> None:
    await h.los.router.stop()  # only storing is looked at here
    texts = [sms(h, n) for n in range(30)]
    with counted(h.los.engine) as statements:
        ids = await asyncio.gather(*(h.los.texts_in.store(t) for t in texts))
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO MESSAGES")]
    # All thirty were waiting when the commit began: one INSERT took them all.
    assert len(inserts) == 1, inserts
    numbers = [i for i in ids if isinstance(i, int)]
    assert len(set(numbers)) == 30
    assert numbers == sorted(numbers)  # ids in the order the texts came
    assert [p for p, _ in await stored_texts(h)] == [t.provider_id for t in texts]


async def test_a_provider_id_twice_in_one_batch_or_again_later_is_stored_once(h: Harness) -> None:
    await h.los.router.stop()
    first, again = sms(h, 1, sid="SMtwice"), sms(h, 1, sid="SMtwice")
    ids = await asyncio.gather(
        h.los.texts_in.store(sms(h, 0)),
        h.los.texts_in.store(first),
        h.los.texts_in.store(again),
    )
    assert isinstance(ids[1], int) and ids[2] is None
    assert await h.los.texts_in.store(sms(h, 1, sid="SMtwice")) is None
    assert [p for p, _ in await stored_texts(h)].count("SMtwice") == 1


async def test_attachments_and_plain_texts_in_one_batch_are_all_kept(h: Harness) -> None:
    await h.los.router.stop()
    picture = Incoming(
        channel="sms",
        address="+4792000009",
        text="",
        provider_id="SMpicture",
        received_at=h.clock.now(),
        kind="picture",
        via=VIA,
        attachments=(IncomingAttachment("picture", "image/jpeg", "https://example.test/p.jpg"),),
    )
    ids = await asyncio.gather(
        h.los.texts_in.store(sms(h, 0)),
        h.los.texts_in.store(sms(h, 1)),
        h.los.texts_in.store(picture),
        h.los.texts_in.store(sms(h, 2)),
    )
    assert all(isinstance(i, int) for i in ids)
    async with h.session() as session:
        kinds = list(
            await session.scalars(
                select(MessageAttachment.kind).where(MessageAttachment.message_id == ids[2])
            )
        )
    assert kinds == ["picture"]


@contextlib.asynccontextmanager
async def refuse_poison(h: Harness) -> AsyncIterator[None]:
    """A trigger that makes the database refuse one text, as a real constraint would (dropped
    after: PostgreSQL's test database outlives the test)."""
    async with h.los.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages "
                    "WHEN NEW.text = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.text = 'poison' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )
    try:
        yield
    finally:
        async with h.los.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                await conn.execute(text("DROP TRIGGER refuse_poison"))
            else:
                await conn.execute(text("DROP TRIGGER refuse_poison ON messages"))
                await conn.execute(text("DROP FUNCTION refuse_poison()"))


async def test_a_text_the_database_refuses_does_not_refuse_its_neighbours(h: Harness) -> None:
    await h.los.router.stop()
    async with refuse_poison(h):
        results = await asyncio.gather(
            h.los.texts_in.store(sms(h, 0)),
            h.los.texts_in.store(sms(h, 1)),
            h.los.texts_in.store(sms(h, 2, words="poison")),
            h.los.texts_in.store(sms(h, 3)),
            return_exceptions=True,
        )
    assert isinstance(results[2], Exception)
    assert all(isinstance(results[n], int) for n in (0, 1, 3))
    assert [p for p, _ in await stored_texts(h)] == ["SMgroup0", "SMgroup1", "SMgroup3"]


async def test_a_refused_text_through_the_webhook_goes_to_the_spool(h: Harness) -> None:
    """The webhook's own answer is unchanged: 200, and the text kept in the spool."""
    await h.person(phone="+4791234567")
    async with refuse_poison(h):
        assert await h.sms("+4791234567", "poison") == 200
    assert h.los.spool.waiting()
    async with h.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert count == 0


async def test_on_sqlite_routing_has_a_thread_of_its_own_that_stops_with_it(h: Harness) -> None:
    if h.los.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL routes in the web loop: several batches' round trips overlap")
    assert isinstance(h.los.router, RoutingThread)
    await h.person(phone="+4791234567")
    assert await h.sms("+4791234567", "TIMER") == 200
    assert h.sms_to("+4791234567")  # routed there, and its answer sent from here
    assert any(t.name == "los-router" for t in threading.enumerate())
    await h.los.router.stop()
    assert not any(t.name == "los-router" for t in threading.enumerate())
    h.los.router.start()  # and it starts again (after a test stopped it, say)
    assert await h.sms("+4791234567", "HJELP") == 200
    assert len(h.sms_to("+4791234567")) == 2


async def test_routing_waits_while_webhooks_flood_in_and_catches_up_after(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Webhooks first: the provider waits for their answer; a stored text can wait a moment."""
    monkeypatch.setattr(routing, "DEFER_SECONDS", 10.0)
    await h.person(phone="+4792000001")
    h.los.webhooks_in_flight = FLOOD_AT  # as if that many webhooks were being answered now
    message_id = await h.los.texts_in.store(sms(h, 1, words="TIMER"))
    assert message_id is not None
    h.los.router.submit(message_id, "+4792000001")
    await asyncio.sleep(0.3)

    async def routed() -> bool:
        async with h.session() as session:
            done = await session.scalar(
                select(Message.processed_at).where(Message.id == message_id)
            )
        return done is not None

    assert not await routed()  # held back during the flood ...
    h.los.webhooks_in_flight = 0
    await asyncio.wait_for(h.los.router.join(), 10)
    assert await routed()  # ... and routed as soon as it eased


def test_arrivals_a_second_see_a_flood_start_and_end_within_a_fraction_of_a_second() -> None:
    """The webhook rate that makes a flood: steady, rising, and gone quiet."""
    now = [100.0]
    arrivals = Arrivals(tau=0.1, monotonic=lambda: now[0])

    def steady(rate: float, seconds: float) -> None:
        for _ in range(int(rate * seconds)):
            now[0] += 1 / rate
            arrivals.hit()

    steady(250, 2.0)  # half the flood rate, held: never taken for one
    assert 240 <= arrivals.per_process() <= 260
    steady(500, 0.2)  # a flood starts: seen within a fifth of a second
    assert arrivals.per_process() >= FLOOD_RATE
    steady(500, 2.0)
    assert 490 <= arrivals.per_process() <= 510
    now[0] += 0.2  # quiet for a fifth of a second: over
    assert arrivals.per_process() < 100
    now[0] += 1.0
    assert arrivals.per_process() < 1


def test_processes_of_one_serve_see_the_flood_of_all() -> None:
    """With --workers 2 the kernel may give one process most connections; the other, seeing
    few, would route at full speed on the same two cores. Each reads both rates."""
    now = [100.0]
    shared = [0.0] * 4
    busy = Arrivals(monotonic=lambda: now[0], slots=ArrivalSlots(shared, 0))
    quiet = Arrivals(monotonic=lambda: now[0], slots=ArrivalSlots(shared, 1))
    for n in range(1000):  # one second: 700 a second to one process, 300 to the other
        now[0] += 0.001
        busy.hit() if n % 10 < 7 else quiet.hit()
    assert 480 <= quiet.per_process() <= 520  # (700 + 300) / 2 processes
    assert busy.per_process() == quiet.per_process()


async def test_routing_waits_while_webhooks_arrive_faster_than_it_could_route(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few in flight, but FLOOD_RATE a second: routing waits as in a flood, then catches up."""
    monkeypatch.setattr(routing, "DEFER_SECONDS", 10.0)
    await h.person(phone="+4792000001")
    assert not h.los.flooded()
    monkeypatch.setattr(h.los.webhook_arrivals, "per_process", lambda: FLOOD_RATE)
    assert h.los.flooded()
    message_id = await h.los.texts_in.store(sms(h, 1, words="TIMER"))
    assert message_id is not None
    h.los.router.submit(message_id, "+4792000001")
    await asyncio.sleep(0.3)
    async with h.session() as session:
        held = await session.scalar(select(Message.processed_at).where(Message.id == message_id))
    assert held is None
    monkeypatch.setattr(h.los.webhook_arrivals, "per_process", lambda: FLOOD_RATE - 1)
    await asyncio.wait_for(h.los.router.join(), 10)
    async with h.session() as session:
        done = await session.scalar(select(Message.processed_at).where(Message.id == message_id))
    assert done is not None
