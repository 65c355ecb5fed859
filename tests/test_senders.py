"""A batch reads its texts' senders ahead (handlers/senders.py); a sender read ahead is used only
while it is what a read of its own would find."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select

from handlers import questions
from handlers.batch_writes import BatchWrites
from handlers.senders import ReadAhead, sender_of
from scheduler.inbound import Incoming, store_text
from storage.models import Message, Person
from tests.harness import Harness

OLA, KARI, OLA_CHAT = "+4791234567", "+4791234568", 7001


async def stored(h: Harness, channel: str, address: str, sid: str) -> int:
    incoming = Incoming(
        channel=channel,
        address=address,
        text="Hei",
        provider_id=sid,
        received_at=h.los.clock.now(),
        via="+4759440000",
    )
    message_id = await store_text(h.los.sessions, incoming)
    assert message_id is not None
    return message_id


async def test_a_sender_read_ahead_holds_until_the_same_person_writes_from_elsewhere(
    h: Harness,
) -> None:
    ola = await h.person(phone=OLA)
    await h.person(name="Kari", phone=KARI)
    await h.link_telegram(ola["id"], OLA_CHAT)
    ids = [
        await stored(h, "sms", OLA, "SMola"),
        await stored(h, "sms", KARI, "SMkari"),
        await stored(h, "telegram", str(OLA_CHAT), "u-ola"),
    ]
    clock = h.los.clock
    async with h.los.sessions.begin() as session:
        texts = list(
            await session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
        )
        ahead = ReadAhead()
        await ahead.read(session, clock, texts)
        assert set(ahead.ready) == {("sms", OLA), ("sms", KARI), ("telegram", str(OLA_CHAT))}

        by_sms = await ahead.take(session, "sms", OLA, BatchWrites())
        assert by_sms is not None and by_sms.person is not None
        assert (by_sms.person.id, by_sms.asked) == (ola["id"], False)
        assert await ahead.take(session, "sms", OLA, BatchWrites()) is None  # read once
        # Routing Ola's text asked Ola a question: what the chat's read ahead says is out of date.
        person = await session.get_one(Person, ola["id"])
        await questions.ask(session, clock, person, kind="checkin", text="Hvordan går det?")
        await session.flush()
        ahead.routed("sms", OLA, [person])

        kari = await ahead.take(session, "sms", KARI, BatchWrites())
        assert kari is not None and kari.person is not None and kari.person.name == "Kari"
        ahead.routed("sms", KARI, [kari.person])
        assert await ahead.take(session, "telegram", str(OLA_CHAT), BatchWrites()) is None
        fresh = await sender_of(
            session, clock, "telegram", str(OLA_CHAT), clock.now(), BatchWrites()
        )
        assert fresh.person is not None and (fresh.person.id, fresh.asked) == (ola["id"], True)


async def test_a_sender_with_a_text_earlier_in_the_batch_is_not_read_ahead(h: Harness) -> None:
    """Its earlier text's answers and reply budget are written only before this one is routed."""
    await h.person(phone=OLA)
    first, second = await stored(h, "sms", OLA, "SM1"), await stored(h, "sms", OLA, "SM2")
    async with h.los.sessions.begin() as session:
        ahead = ReadAhead()
        await ahead.read(session, h.los.clock, [await session.get_one(Message, first)])
        assert await ahead.take(session, "sms", OLA, BatchWrites()) is not None
        ahead.routed("sms", OLA, [])
        await ahead.read(session, h.los.clock, [await session.get_one(Message, second)])
        assert ahead.ready == {}


async def test_senders_are_read_ahead_through_the_index_on_sqlite(h: Harness) -> None:
    """For a list of (channel, address) pairs alone SQLite scanned every contact point, and
    routing fell to 125-150 texts a second at 200 in the bench; each column's list lets it search
    the index. (PostgreSQL's planner chooses by the table's size, so its plan for the suite's
    small tables says nothing about the bench's; there the bench is the check.)"""
    if h.los.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans by table size; see the docstring")
    await h.person(phone=OLA)
    await h.person(name="Kari", phone=KARI)
    ids = [await stored(h, "sms", OLA, "SMa"), await stored(h, "sms", KARI, "SMb")]
    ran: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        ran.append((statement, parameters))

    async with h.los.sessions.begin() as session:
        texts = list(await session.scalars(select(Message).where(Message.id.in_(ids))))
        event.listen(h.los.engine.sync_engine, "before_cursor_execute", note)
        try:
            await ReadAhead().read(session, h.los.clock, texts)
        finally:
            event.remove(h.los.engine.sync_engine, "before_cursor_execute", note)
        connection = await session.connection()
        for statement, parameters in ran:
            plan = " ".join(
                str(row[-1])
                for row in await connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", parameters
                )
            )
            assert "SCAN contact_points" not in plan, plan
            assert "SEARCH contact_points USING" in plan, plan
    assert len(ran) == 1  # SQLite reads the senders in one statement
