"""How many SQL statements routing one incoming text costs, so that the count cannot creep up.

Routing is the part of the message path that runs for every text; a statement added here is
paid at every text of every flood. The figures below are what each path costs today (issue 17
brought them down); a change that needs more must say why and raise the figure here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduler.inbound import Incoming, store_text
from scheduler.routing import FIRST_TAKE, route_batch
from storage.models import ContactPoint, Message, ReplyBudget
from tests.harness import Harness, oslo

OLA = "+4791234567"

# Statements (every cursor execute: BEGIN, the batch's locking read and any SAVEPOINT included)
# to route one text alone; in a batch the BEGIN, the read and the UPDATE of the texts' own fields
# are shared. Before issue 17 the same paths cost 30/22/16 on SQLite and 29/21/15 on PostgreSQL,
# plus 5 more in the webhook to store the text (now 2: BEGIN and one INSERT); after its first
# round 29/16/13 and 28/15/12. Since: no savepoint per text unless one fails, the sender, person,
# reply budget and two flags in one read after the contact point's UPDATE, the budget written
# once, one read of open questions. A text for staff costs one more since issue 21: the inbox
# list keeps each thread's figures (one upsert of its row). On SQLite the sender's read is one
# statement (its mark is one of the batch's writes).
MOST: dict[str, dict[str, int]] = {
    "ja_to_reminder": {"sqlite": 21, "postgresql": 20},
    "free_text_to_inbox": {"sqlite": 12, "postgresql": 11},
    "known_command": {"sqlite": 8, "postgresql": 7},
}


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)


async def stored(h: Harness, phone: str, text: str, sid: str) -> int:
    """Store a text as the webhook does: its id."""
    incoming = Incoming(
        channel="sms",
        address=phone,
        text=text,
        provider_id=sid,
        received_at=h.los.clock.now(),
        via="+4759440000",
    )
    message_id = await store_text(h.los.sessions, incoming)
    assert message_id is not None
    return message_id


async def route_counted(h: Harness, text: str, sid: str) -> list[str]:
    """Store a text as the webhook does, then count what routing it costs."""
    los = h.los
    message_id = await stored(h, OLA, text, sid)
    with counted(los.engine) as statements:
        batch = await route_batch(los.sessions, los.clock, los.rules, [message_id])
    assert batch.routed == 1
    async with los.sessions() as session:
        routed = await session.scalar(select(Message.processed_at).where(Message.id == message_id))
    assert routed is not None
    return statements


async def warm_up(h: Harness) -> None:
    """One text routed first, so that per-process caches (sites, settings) are as in running."""
    await route_counted(h, "hei", "SMwarm")


async def test_statements_per_routed_text(h: Harness) -> None:
    dialect = h.los.engine.dialect.name
    ola = await h.person(phone=OLA)
    await h.api(
        "POST",
        "/api/appointments",
        {"person_id": ola["id"], "starts_at": "2026-03-04T10:00", "location": "Storgata 1"},
        expect=201,
    )
    await warm_up(h)
    await h.set_time(oslo(2026, 3, 3, 10, 0))  # the reminder, with its question, goes out

    costs = {
        "ja_to_reminder": len(await route_counted(h, "JA", "SMja")),
        "free_text_to_inbox": len(await route_counted(h, "Kan noen ringe meg?", "SMfree")),
        "known_command": len(await route_counted(h, "TIMER", "SMtimer")),
    }
    over = {k: (n, MOST[k][dialect]) for k, n in costs.items() if n > MOST[k][dialect]}
    assert not over, f"routing costs more statements than before ({dialect}): {over}"
    # The answers were queued, so the count is of the whole path, not of an early exit.
    async with h.session() as session:
        answers = list(
            await session.scalars(
                select(Message.text).where(Message.direction == "out").order_by(Message.id)
            )
        )
    assert any("bekreftet" in (a or "") for a in answers)
    assert sum("mottatt" in (a or "") for a in answers) >= 1


# A batch of texts from different senders (as under load): per text, the command's read; per
# batch, BEGIN, the locking reads (two here: FIRST_TAKE texts, then the other six), for each of
# them the senders' read ahead (handlers/senders.py: on PostgreSQL an UPDATE that marks and locks
# the contact points, then the read; on SQLite the read) and one executemany each of the answers,
# the reply budgets, the texts' own fields and (SQLite) the senders' last-written time
# (handlers/batch_writes.py). No SAVEPOINT while nothing fails. Before the senders were read
# ahead, the sender's read cost each text one statement more on SQLite and two on PostgreSQL.
BATCH = 10
MOST_IN_BATCH = {"sqlite": BATCH + 9, "postgresql": BATCH + 9}


async def test_statements_per_text_in_a_batch(h: Harness) -> None:
    dialect = h.los.engine.dialect.name
    phones = [f"+479200{n:04d}" for n in range(BATCH)]
    for phone in phones:
        await h.person(name=f"Per {phone[-4:]}", phone=phone)
    await warm_up(h)
    ids = [await stored(h, phone, "TIMER", f"SMbatch{n}") for n, phone in enumerate(phones)]
    with counted(h.los.engine) as statements:
        batch = await route_batch(h.los.sessions, h.los.clock, h.los.rules, ids)
    assert batch.routed == BATCH
    assert not [s for s in statements if s.startswith("SAVEPOINT")]
    assert len(statements) <= MOST_IN_BATCH[dialect], (dialect, len(statements))
    async with h.session() as session:
        routed = list(
            await session.scalars(select(Message.processed_at).where(Message.id.in_(ids)))
        )
        answers = list(
            await session.scalars(select(Message.address).where(Message.direction == "out"))
        )
    assert all(at is not None for at in routed)
    assert sorted(a for a in answers if a in phones) == phones  # one answer each


def locking_reads(statements: list[str]) -> list[int]:
    """How many texts each of a batch's reads of its texts took (and on PostgreSQL locked): the
    ids are its only parameters, ``?`` on SQLite and ``$n`` on PostgreSQL."""
    return [
        sql.count("?") + sql.count("$")
        for sql in statements
        if sql.lstrip().startswith("SELECT messages.id, messages.direction")
    ]


async def test_a_batch_cut_after_its_first_text_has_locked_only_a_few(h: Harness) -> None:
    """Under a flood a batch is cut after a text (``stop``); it used to read and lock all its
    texts first, and on PostgreSQL that cost more than routing the one text. It takes a few,
    then twice as many each time; what it leaves is routed by the next batch."""
    phones = [f"+479300{n:04d}" for n in range(BATCH)]
    for phone in phones:
        await h.person(name=f"Per {phone[-4:]}", phone=phone)
    await warm_up(h)
    los = h.los
    ids = [await stored(h, phone, "TIMER", f"SMcut{n}") for n, phone in enumerate(phones)]

    with counted(los.engine) as statements:
        cut = await route_batch(los.sessions, los.clock, los.rules, ids, stop=lambda: True)
    assert (cut.routed, cut.left) == (1, ids[1:])
    assert locking_reads(statements) == [FIRST_TAKE]

    with counted(los.engine) as statements:
        rest = await route_batch(los.sessions, los.clock, los.rules, cut.left)
    assert (rest.routed, rest.left) == (BATCH - 1, [])
    assert locking_reads(statements) == [FIRST_TAKE, BATCH - 1 - FIRST_TAKE]
    async with h.session() as session:
        routed = await session.scalar(
            select(func.count()).where(Message.id.in_(ids), Message.processed_at.is_not(None))
        )
    assert routed == BATCH


async def test_a_senders_texts_in_one_batch_are_answered_as_one_by_one(h: Harness) -> None:
    """The batch writes answers and reply budgets at its end; a sender's second text in it must
    still see what the first one wrote: the same answers and budget as routing them one by one."""
    texts = ["TIMER", "TIMER", "HJELP", "Hei", "TIMER", "AKTIVITETER", "HJELP", "TIMER", "TIMER"]
    together, alone = "+4792100001", "+4792100002"
    for phone in (together, alone):
        await h.person(name=f"Per {phone[-1]}", phone=phone)
    await warm_up(h)

    los = h.los
    ids = [await stored(h, together, text, f"SM1x{n}") for n, text in enumerate(texts)]
    with counted(los.engine) as statements:
        assert (await route_batch(los.sessions, los.clock, los.rules, ids)).routed == len(texts)
    assert not [s for s in statements if s.startswith("SAVEPOINT")]  # routed together, no retry
    for n, text in enumerate(texts):
        one = await stored(h, alone, text, f"SM2x{n}")
        assert (await route_batch(los.sessions, los.clock, los.rules, [one])).routed == 1

    async with h.session() as session:

        async def outcome(phone: str) -> tuple[list[str | None], tuple[Any, ...], Any]:
            answers = list(
                await session.scalars(
                    select(Message.text)
                    .where(Message.direction == "out", Message.address == phone)
                    .order_by(Message.id)
                )
            )
            contact = await session.scalar(
                select(ContactPoint).where(ContactPoint.address == phone)
            )
            assert contact is not None
            budget = (
                await session.execute(
                    select(
                        ReplyBudget.answers, ReplyBudget.robot_signs, ReplyBudget.withheld
                    ).where(ReplyBudget.contact_point_id == contact.id)
                )
            ).one()
            return answers, tuple(budget), contact.last_inbound_at

        answers, budget, seen = await outcome(together)
        assert (answers, budget, seen) == await outcome(alone)
    assert 0 < len(answers) < len(texts)  # the budget held some back: it was counted across texts
    assert seen is not None


async def test_a_text_waiting_for_its_senders_lock_reads_what_the_other_wrote(h: Harness) -> None:
    """Two texts from one sender routed at once (two processes): the second waits for the
    contact point's row lock, then reads the reply budget as the first left it. Read in the same
    statement as the lock, it would see the budget from before the wait."""
    if h.los.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: two routing transactions never overlap there")
    phone = "+4792100003"
    await h.person(name="Per Lås", phone=phone)
    los = h.los
    first = await stored(h, phone, "TIMER", "SMlock1")  # answered: the sender has a budget now
    assert (await route_batch(los.sessions, los.clock, los.rules, [first])).routed == 1
    second = await stored(h, phone, "HJELP", "SMlock2")
    async with los.sessions() as other, other.begin():
        contact_id = await other.scalar(
            update(ContactPoint)
            .where(ContactPoint.address == phone)
            .values(last_inbound_at=los.clock.now())
            .returning(ContactPoint.id)
        )
        routing = asyncio.create_task(route_batch(los.sessions, los.clock, los.rules, [second]))
        await asyncio.sleep(0.5)
        assert not routing.done()  # it waits for the sender's lock
        # What the other text leaves behind: the sender muted for a day (an auto-responder).
        await other.execute(
            update(ReplyBudget)
            .where(ReplyBudget.contact_point_id == contact_id)
            .values(muted_until=los.clock.now() + timedelta(days=1))
        )
    assert (await routing).routed == 1
    async with h.session() as session:
        answers = await session.scalar(
            select(func.count()).where(Message.direction == "out", Message.address == phone)
        )
    assert answers == 1  # TIMER's; HJELP saw the mute
