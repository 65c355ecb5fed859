"""No received text is lost (CONTRACT §8): texts that come while the database is away wait in
the spool and are handled exactly once after; a text that fails to route blocks nothing."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from handlers.clock import FakeClock
from handlers.features import COMMANDS
from handlers.router import inbound_values, store_inbound
from scheduler import outage as outage_log
from scheduler.inbound import Incoming
from scheduler.routing import route_batch
from storage.models import InboxItem, Message
from tests import harness
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness, running_harness

PHONE = "+4791234567"
OTHER = "+4791234568"
STRANGER = "+4798765432"


class TcpProxy:
    """A TCP proxy in front of PostgreSQL that the test can cut and restore. The shared server
    itself is never stopped."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def database_away(database_url: str) -> AsyncIterator[tuple[str, Any]]:
    """(url for Los, outage): PostgreSQL behind a proxy to cut, or SQLite to lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        path = url.database

        @contextlib.asynccontextmanager
        async def locked() -> AsyncIterator[None]:
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                holder.execute("ROLLBACK")
                holder.close()

        yield database_url, locked
        return
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()

    @contextlib.asynccontextmanager
    async def cut() -> AsyncIterator[None]:
        await proxy.cut()
        try:
            yield
        finally:
            await proxy.start()

    try:
        yield url.set(port=proxy.port, host="127.0.0.1").render_as_string(False), cut
    finally:
        await proxy.cut()


async def post_sms(h: Harness, phone: str, body: str, sid: str) -> int:
    params = {"From": phone, "To": TWILIO_FROM, "Body": body, "MessageSid": sid}
    resp = await h.twilio_post("/webhooks/twilio/sms", {**params, "AccountSid": TWILIO_SID})
    return int(resp.status)


async def test_texts_while_the_database_is_away_are_handled_exactly_once_after(
    database_url: str,
    clock: FakeClock,
    twilio: FakeTwilio,
    telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    spool = tmp_path / "spool" / "inbound.jsonl"
    async with database_away(database_url) as (url, outage):
        settings = harness.test_settings(
            url, twilio.url, telegram.url, los_spool_path=str(spool), los_spool_after=0.5
        )
        async with running_harness(settings, clock, twilio, telegram) as h:
            await h.person(phone=PHONE)
            words = ["TIMER", "HJELP", "AKTIVITETER", "VAKTER"]
            async with outage():
                for n, word in enumerate(words):
                    assert await post_sms(h, PHONE, word, f"SMaway{n}") == 200
                    clock.advance(20)  # a person writing now and then during the outage
                assert await post_sms(h, STRANGER, "hei, hvem er dette?", "SMaway9") == 200
                assert await post_sms(h, PHONE, "TIMER", "SMaway0") == 200  # a provider retry
                assert len(spool.read_text().splitlines()) == 6
            # Back: stores that were still waiting finish, and the spool is replayed.
            await asyncio.wait_for(asyncio.gather(*h.los.late_stores, return_exceptions=True), 60)
            await h.advance(seconds=10)
            await h.advance(seconds=10)
            async with h.session() as session:
                rows = await session.execute(
                    select(Message.provider_id, func.count(), func.min(Message.processed_at))
                    .where(Message.direction == "in")
                    .group_by(Message.provider_id)
                )
                stored = {sid: (n, done) for sid, n, done in rows.all()}
            assert set(stored) == {"SMaway0", "SMaway1", "SMaway2", "SMaway3", "SMaway9"}
            assert all(n == 1 and done is not None for n, done in stored.values())
            assert len(h.sms_to(PHONE)) == 4  # one answer to each, none twice
            assert len(h.sms_to(STRANGER)) == 1
            assert not h.los.spool.waiting()


async def test_the_spool_replays_in_order_once_and_sets_aside_what_it_cannot_read(
    h: Harness, tmp_path: Path
) -> None:
    from scheduler.spool import Spool, replay

    spool = Spool(tmp_path / "inbound.jsonl")
    await h.person(phone=PHONE)
    for n, word in enumerate(["HJELP", "TIMER", "HJELP"]):
        sid = "SMsp0" if n == 2 else f"SMsp{n}"  # the last is a repeat of the first
        await spool.append(Incoming("sms", PHONE, word, sid, h.clock.now()))
    with spool.path.open("ab") as handle:
        handle.write(b'{"channel": "sms", "address"\n')  # a line torn by a crash
    assert await replay(spool, h.los.sessions, h.clock, h.los.rules) == 3
    async with h.session() as session:
        texts = list(
            await session.scalars(
                select(Message.text).where(Message.direction == "in").order_by(Message.id)
            )
        )
    assert texts == ["HJELP", "TIMER"]
    assert spool.rejected_path.read_bytes().startswith(b'{"channel"')
    assert not spool.waiting()
    assert await replay(spool, h.los.sessions, h.clock, h.los.rules) == 0


async def test_a_poisoned_text_does_not_block_the_next(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def poisoned(conv: Any, words: list[str]) -> None:
        raise RuntimeError("a bug in a command")

    monkeypatch.setitem(COMMANDS, "gift", poisoned)
    await h.person(phone=PHONE)
    assert await h.sms(PHONE, "GIFT") == 200  # routing fails, the text is kept
    async with h.session() as session:  # a text a crash left unhandled, behind the poisoned one
        await store_inbound(
            session,
            inbound_values(
                channel="sms",
                address=PHONE,
                text="TIMER",
                provider_id="SMcrashed",
                received_at=h.clock.now(),
            ),
        )
    await h.advance(seconds=31)
    assert len(h.sms_to(PHONE)) == 1  # TIMER answered though GIFT failed again before it
    await h.advance(seconds=31)
    await h.advance(seconds=31)
    async with h.session() as session:
        gift = await session.scalar(select(Message).where(Message.text == "GIFT"))
        kinds = list(await session.scalars(select(InboxItem.kind)))
    assert gift is not None and (gift.status, gift.attempts) == ("failed", 3)
    assert gift.processed_at is None
    assert kinds.count("inbound_failed") == 1


async def test_a_text_that_fails_in_a_batch_is_rolled_back_alone(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is routed without savepoints first; a failure routes it again with them, so
    the texts before and after the bad one are routed once and only the bad one is counted."""

    async def poisoned(conv: Any, words: list[str]) -> None:
        await conv.reply("received")  # written, then rolled back with the text
        raise RuntimeError("a bug in a command")

    monkeypatch.setitem(COMMANDS, "gift", poisoned)
    await h.person(phone=PHONE)
    await h.person(phone=OTHER)
    ids = []
    async with h.session() as session:
        for n, (phone, text) in enumerate([(PHONE, "HJELP"), (PHONE, "GIFT"), (OTHER, "HJELP")]):
            row = inbound_values(
                channel="sms",
                address=phone,
                text=text,
                provider_id=f"SMbatch{n}",
                received_at=h.clock.now(),
            )
            message_id = await store_inbound(session, row)
            assert message_id is not None
            ids.append(message_id)
        await session.commit()
    batch = await route_batch(h.los.sessions, h.clock, h.los.rules, ids)
    assert batch.routed == 2
    async with h.session() as session:
        texts = {m.id: m for m in await session.scalars(select(Message).where(Message.id.in_(ids)))}
        answers = list(
            await session.scalars(select(Message.address).where(Message.direction == "out"))
        )
    assert [texts[i].processed_at is not None for i in ids] == [True, False, True]
    assert (texts[ids[1]].attempts, texts[ids[1]].status) == (1, "received")
    assert sorted(a or "" for a in answers) == sorted([PHONE, OTHER])  # none for the bad one


async def test_an_outage_costs_one_warning_a_minute_not_a_traceback_a_second(
    postgres_database: str | None, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    if postgres_database is None:
        pytest.skip("needs PostgreSQL behind a proxy; SQLite cannot be made unreachable")
    from handlers.context import Rules
    from scheduler.dispatcher import Dispatcher
    from storage.db import create_engine, session_factory

    async with database_away(postgres_database) as (url, outage):
        engine = create_engine(url)
        dispatcher = Dispatcher(session_factory(engine), clock, Rules(), {}, "outage")
        stop = asyncio.Event()
        try:
            async with outage():
                caplog.clear()
                running = asyncio.create_task(dispatcher.run_forever(stop))
                await asyncio.sleep(3.5)  # three and a half polls of each lane
                stop.set()
                await asyncio.wait_for(running, 10)
        finally:
            await engine.dispose()
    ours = [r for r in caplog.records if r.name.startswith("scheduler")]
    assert outage_log.DATABASE.failures >= 3  # it kept trying
    assert len([r for r in ours if "database" in r.getMessage()]) == 1
    assert all(r.exc_info is None for r in ours)  # one line, no traceback


def test_the_spool_lives_beside_the_sqlite_database_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.config import SettingsError, load_settings

    for name in ("LOS_SPOOL_PATH", "LOS_SPOOL_AFTER", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    beside = load_settings(database_url="sqlite+aiosqlite:////srv/los/los.db")
    assert beside.spool_path == Path("/srv/los/inbound-spool.jsonl")
    postgres = load_settings(database_url="postgresql+asyncpg://los@db/los")
    assert postgres.spool_path == Path("data/inbound-spool.jsonl")
    chosen = load_settings(los_spool_path="/var/lib/los/spool.jsonl")
    assert chosen.spool_path == Path("/var/lib/los/spool.jsonl")
    with pytest.raises(SettingsError, match="LOS_SPOOL_AFTER"):
        load_settings(los_spool_after=30)  # past Twilio's 15 s the text would be lost
