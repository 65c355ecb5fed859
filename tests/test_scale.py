"""Costs that stay flat as history grows: daily counts, retention in batches, queued texts
found by what they are about, and the hot statements' plans on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers import broadcasts, figures, inbox_threads, outbox, questions, retention
from handlers.clock import FakeClock
from handlers.context import Rules
from storage.db import checkpoint_now, create_engine, optimize
from storage.migrate import upgrade
from storage.models import ContactPoint, Message, MessageDay, Person, Site, StaffUser
from tests.harness import Harness
from tests.test_message_path_indexes import HISTORY, history

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


def text_row(
    at: datetime, *, direction: str = "out", status: str = "sent", **extra: object
) -> Message:
    values: dict[str, object] = {
        "direction": direction,
        "channel": "sms",
        "address": "+4791234567",
        "text": "hei",
        "status": status,
        "kind": "reply",
        "attempts": 0,
        "created_at": at,
        "send_after": at,
        **extra,
    }
    return Message(**values)


async def site_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        found = await session.scalar(select(Site.id).limit(1))
        if found is not None:
            return int(found)
        site = Site(name="Dagsenteret", timezone="Europe/Oslo", created_at=T0)
        session.add(site)
        await session.flush()
        return site.id


async def test_daily_counts_follow_every_write_and_agree_with_a_live_count(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    site = await site_id(sessions)
    async with sessions.begin() as session:
        for day in range(5):
            for hour in (0, 7, 23):
                at = T0.replace(hour=hour) + timedelta(days=day)
                session.add(text_row(at, site_id=site))
                session.add(text_row(at, direction="in", status="received", site_id=site))
        session.add(text_row(T0, status="queued", site_id=site, idempotency_key="q:1"))
    start, end = T0.replace(hour=5), T0 + timedelta(days=4, hours=-1)  # edges mid-day

    async def both_ways() -> figures.Counts:
        async with sessions() as session:
            rolled = await figures.counts(session, site, start, end)
            live = await figures._live(session, site, start, end)
        assert +rolled == +live  # the daily counts answer what counting every text would
        return rolled

    assert (await both_ways())[("out", "sent")] == 13
    async with sessions.begin() as session:
        assert await figures.fold(session) > 0
        assert await session.scalar(select(MessageDay.count).where(MessageDay.status == "received"))
    async with sessions.begin() as session:  # a status changes, a row goes: counts follow
        await session.execute(
            update(Message).where(Message.idempotency_key == "q:1").values(status="sent")
        )
        await session.execute(
            delete(Message)
            .where(Message.direction == "in")
            .where(Message.created_at == T0 + timedelta(days=1, hours=-2))
        )
    counted = await both_ways()
    assert counted[("out", "sent")] == 14 and counted[("out", "queued")] == 0
    async with sessions.begin() as session:
        await figures.fold(session)
    assert await both_ways() == counted


async def test_retention_goes_in_batches_until_nothing_is_left(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions.begin() as session:
        session.add_all(text_row(T0 + timedelta(minutes=n)) for n in range(7))
        session.add(text_row(T0 + timedelta(days=30)))  # young: kept
    clock = FakeClock(T0 + timedelta(days=40))
    batches = []
    while True:
        async with sessions.begin() as session:
            changed = await retention.blank_old_texts(session, clock, Rules(retention_days=10), 3)
        batches.append(changed)
        if not changed:
            break
    assert batches == [3, 3, 1, 0]
    async with sessions() as session:
        kept = list(await session.scalars(select(Message.text).where(Message.text.is_not(None))))
    assert kept == ["hei"]


async def test_cancelling_finds_queued_texts_by_what_they_are_about(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions.begin() as session:
        for key in (
            "reminder:appointment:4:1440",
            "reminder:appointment:42:120",
            "reminder:appointment:42:v2:60",
        ):
            ref_kind, ref_id = outbox.reference(key) or (None, None)
            session.add(
                text_row(T0, status="queued", idempotency_key=key, ref_kind=ref_kind, ref_id=ref_id)
            )
    assert outbox.reference("broadcast:7:99") == ("broadcast", 7)
    assert outbox.reference("hello") is None
    async with sessions.begin() as session:
        assert await outbox.cancel_queued(session, key_prefix="reminder:appointment:42:") == 2
    async with sessions() as session:
        left = list(
            await session.scalars(select(Message.idempotency_key).where(Message.status == "queued"))
        )
    assert left == ["reminder:appointment:4:1440"]
    with pytest.raises(ValueError, match="what it is about"):
        outbox.queued_about("reminder:")


# Many appointments waiting, each with its reminder queued (what makes a LIKE on keys slow).
PENDING_REMINDERS = (
    "INSERT INTO messages (direction, channel, status, kind, attempts, urgent, priority, "
    "idempotency_key, ref_kind, ref_id, send_after, created_at) VALUES ('out', 'sms', "
    "'queued', 'reminder', 0, FALSE, 2, 'reminder:appointment:' || :key, "
    "'reminder:appointment', :n, '2026-04-01 09:00:00', '2026-03-01 09:00:00')"
)


SITE = (
    "INSERT INTO sites (id, name, timezone, opening_hours, default_reminders, created_at) "
    "VALUES (4242, 'Historie', 'Europe/Oslo', '{}', '[]', '2026-03-01 09:00:00')"
)
# Kept inbox threads (one for each of as many people): most resolved, some open, a few urgent.
THREADS = (
    "INSERT INTO inbox_threads (site_id, contact_point_id, created_at, items, open_items, "
    "urgent, last_at, last_item_id) VALUES (4242, NULL, :at, :items, :open, :urgent, :at, :n)"
)


def threads(count: int) -> list[dict[str, object]]:
    return [
        {
            "at": T0 - timedelta(minutes=n),
            "items": 1 + n % 5,
            "open": 1 if n % 10 == 0 else 0,
            "urgent": n % 500 == 0,
            "n": n,
        }
        for n in range(count)
    ]


def hot_statements() -> dict[str, tuple[object, str]]:
    """The statements whose cost must not grow with history, and the index each must read."""
    cutoff = T0
    start, end = T0, T0 + timedelta(hours=5)
    return {
        "cancel_reminders": (
            update(Message)
            .where(outbox.queued_about("reminder:appointment:42:"))
            .values(status="cancelled"),
            "ix_messages_queued_ref",
        ),
        "close_questions": (
            questions.closing("appointment", 42, None),
            "ix_open_questions_kind_ref",
        ),
        "retention": (retention.oldest_kept(cutoff, 2000), "ix_messages_text_kept"),
        "stats_edge": (figures.live_query(None, start, end), "ix_messages_created_at"),
        # The inbox list: a page of each view read from its partial index in the list's order.
        "inbox_open": (inbox_page("all", None), "ix_inbox_threads_open_order"),
        "inbox_open_next": (inbox_page("unassigned", T0), "ix_inbox_threads_open_order"),
        "inbox_resolved": (inbox_page("resolved", T0), "ix_inbox_threads_resolved_order"),
        "inbox_any_next": (inbox_page("any", T0), "ix_inbox_threads_listed_order"),
    }


def inbox_page(view: str, after: datetime | None) -> object:
    """The statement of one page of the staff inbox (an admin's), after a cursor if given."""
    cursor = None
    if after is not None:
        summary = SimpleNamespace(urgent=False, last_at=after)
        cursor = inbox_threads.encode_cursor(summary, 42)  # type: ignore[arg-type]
    return inbox_threads.page_query(StaffUser(role="admin"), view, cursor, 51)


@pytest.mark.parametrize("name", list(hot_statements()))
async def test_hot_statements_never_scan_the_history(engine: AsyncEngine, name: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the plans that matter at scale are PostgreSQL's; SQLite plans differ")
    statement, index = hot_statements()[name]
    sql = str(
        statement.compile(  # type: ignore[attr-defined]
            dialect=engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    async with engine.begin() as conn:
        await conn.execute(text(HISTORY), history(3000))
        reminders = [{"n": n, "key": f"{n}:120"} for n in range(3000)]
        await conn.execute(text(PENDING_REMINDERS), reminders)
        if name.startswith("inbox"):
            await conn.execute(text(SITE))
            await conn.execute(text(THREADS), threads(3000))
        await conn.execute(text("ANALYZE"))
        # Tiny test tables would make a sequential scan the cheapest plan: forbid it, and see
        # whether an index can answer at all.
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in await conn.execute(text(f"EXPLAIN {sql}")))
    assert index in plan, plan
    assert "Seq Scan on messages" not in plan and "Seq Scan on open_questions" not in plan, plan
    if name == "retention" or name.startswith("inbox"):  # in order from the index: no sort
        assert "Sort" not in plan, plan
    if name == "retention":  # whether an open item holds a text: asked of each, not listed
        assert "ix_inbox_items_message" in plan, plan
    if name.startswith("inbox"):
        assert "Seq Scan on inbox_threads" not in plan, plan


async def test_sqlite_is_analysed_at_start_and_its_wal_checkpointed(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'los.db'}")
    try:
        await upgrade(engine)
        async with engine.begin() as conn:  # a table with rows, never analysed yet
            await conn.execute(text(HISTORY), history(50))
        assert await optimize(engine, first=True) == 1
        async with engine.connect() as conn:
            analysed = await conn.scalar(text("SELECT count(*) FROM sqlite_stat1"))
        assert analysed and analysed > 0
        assert await checkpoint_now(engine) == 1
    finally:
        await engine.dispose()


async def test_a_list_comes_in_pages_that_follow_each_other(h: Harness) -> None:
    made = [await h.person(f"Person {n}", phone=f"+479000000{n}") for n in range(5)]
    first = await h.api("GET", "/api/people?limit=2&total=true", expect=200)
    assert [p["id"] for p in first["items"]] == [made[0]["id"], made[1]["id"]]
    assert first["total"] == 5 and first["next"]
    second = await h.api("GET", f"/api/people?limit=2&cursor={first['next']}", expect=200)
    assert [p["id"] for p in second["items"]] == [made[2]["id"], made[3]["id"]]
    assert second["total"] is None  # counted only when asked
    assert [p["id"] for p in await h.items("/api/people?limit=2")] == [p["id"] for p in made]
    bad = await h.api("GET", "/api/people?cursor=bm90IGEgY3Vyc29y", expect=422)
    assert "cursor" in bad["error"]["fields"]
    too_many = await h.api("GET", "/api/people?limit=501", expect=422)
    assert "limit" in too_many["error"]["fields"]


async def test_a_broadcast_is_queued_in_sql_to_where_each_person_is_reached(
    engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    site = await site_id(sessions)
    async with sessions.begin() as session:
        people = [Person(site_id=site, name=f"P{n}", created_at=T0) for n in range(4)]
        session.add_all(people)
        await session.flush()
        wrote, telegram, opted, none = people

        def contact(person: Person, channel: str, **extra: object) -> ContactPoint:
            return ContactPoint(
                person_id=person.id,
                channel=channel,
                address=f"{channel}{person.id}",
                created_at=T0,
                **extra,
            )

        session.add_all(
            [
                contact(wrote, "sms", last_inbound_at=T0),
                contact(wrote, "telegram"),
                contact(telegram, "sms"),
                contact(telegram, "telegram"),
                contact(opted, "sms", opted_out_at=T0),
            ]
        )
    async with sessions.begin() as session:
        made = await broadcasts.create_broadcast(
            session, FakeClock(T0), site_id=site, text="Hei alle", audience={"all": True}
        )
    async with sessions() as session:
        rows = {
            m.person_id: (m.status, m.channel, m.error)
            for m in await session.scalars(select(Message).where(Message.broadcast_id == made.id))
        }
        preview = await broadcasts.preview(session, site, "Hei alle", {"all": True})
    assert made.recipients == 4
    assert rows == {
        wrote.id: ("queued", "sms", None),  # where they last wrote from
        telegram.id: ("queued", "telegram", None),  # else Telegram
        opted.id: ("skipped", "none", "unreachable"),
        none.id: ("skipped", "none", "unreachable"),
    }
    assert (preview["reachable"], preview["opted_out"], preview["unreachable"]) == (2, 1, 1)
    assert preview["by_channel"] == {"sms": 1, "telegram": 1}
