"""Costs that stay flat as history grows: the hot statements at 10k, 100k (and 1M) rows.

For each size N and each database (SQLite, and PostgreSQL when ``LOS_BENCH_POSTGRES`` or the
local server answers), a fresh migrated database is loaded in bulk with N people, N texts of
history spread over a year (half in, half out), N queued reminders (one per appointment) and N
open questions, and analysed. Then each operation is timed (best of 3, in a transaction that is
rolled back, so every repeat does the same work) and the ratio of the largest size to the
smallest is printed: flat means a ratio near 1.

    python -m bench.scale [--sizes 10000 100000] [--million] [--no-postgres] [--sigterm]

``--million`` adds the 1M step: loading it takes several minutes per database on a shared
2-core machine, so it is off by default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench import scale_broadcast, sigterm
from handlers import figures, inbox_threads, lists, outbox, questions, retention, thread_figures
from handlers.clock import FakeClock
from handlers.context import Rules
from handlers.pages import PageRequest
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import InboxItem, Message, OpenQuestion, Person, Site, StaffUser

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CHUNK = 10_000
POSTGRES = os.environ.get("LOS_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
CLAIM = (
    "SELECT id FROM messages WHERE status = 'queued' AND priority = 2 "
    "AND send_after <= :now AND direction = 'out' ORDER BY send_after, id LIMIT 100"
)
SWEEP = (
    "SELECT id FROM messages WHERE direction = 'in' AND processed_at IS NULL "
    "AND status != 'failed' AND created_at < :now ORDER BY id LIMIT 200"
)


async def load(engine: AsyncEngine, size: int) -> None:
    """N people, N texts of history, N queued reminders, N open questions and N/10 inbox items
    (one for one person in ten, one in twenty of them resolved), in bulk."""
    async with engine.begin() as conn:
        site = await conn.scalar(select(Site.id).limit(1))
        if site is None:
            site = (
                await conn.execute(
                    insert(Site).returning(Site.id),
                    [{"name": "Dagsenteret", "timezone": "Europe/Oslo", "created_at": NOW}],
                )
            ).scalar_one()
    for start in range(0, size, CHUNK):
        count = min(CHUNK, size - start)
        async with engine.begin() as conn:
            await conn.execute(
                insert(Person),
                [
                    {
                        "site_id": site,
                        "name": f"Person {n}",
                        "language": "nb",
                        "status": "active",
                        "created_at": NOW - timedelta(days=400),
                    }
                    for n in range(start, start + count)
                ],
            )
            await conn.execute(
                insert(Message),
                [
                    {
                        "direction": "in" if n % 2 else "out",
                        "site_id": site,
                        "person_id": start + 1 + n % count,
                        "channel": "sms",
                        "address": "+4790000000",
                        "text": "Hei, kan noen ringe meg i dag?",
                        "status": "received" if n % 2 else "delivered",
                        "kind": "inbound" if n % 2 else "reply",
                        "attempts": 0,
                        "urgent": False,
                        "priority": 1,
                        "provider_id": f"SM{n}",
                        "created_at": NOW - timedelta(seconds=(n * 31_536_000) // size),
                        "processed_at": NOW,
                    }
                    for n in range(start, start + count)
                ],
            )
            await conn.execute(
                insert(Message),
                [
                    {
                        "direction": "out",
                        "site_id": site,
                        "channel": "sms",
                        "address": "+4790000000",
                        "text": "Du har en avtale i morgen kl. 10:00.",
                        "status": "queued",
                        "kind": "reminder",
                        "attempts": 0,
                        "urgent": False,
                        "priority": 2,
                        "idempotency_key": f"reminder:appointment:{n}:1440",
                        "ref_kind": "reminder:appointment",
                        "ref_id": n,
                        "send_after": NOW + timedelta(days=1 + n % 90),
                        "created_at": NOW,
                    }
                    for n in range(start, start + count)
                ],
            )
            await conn.execute(
                insert(InboxItem),
                [
                    {
                        "site_id": site,
                        "person_id": start + 1 + n % count,
                        "kind": "message",
                        "urgent": False,
                        "status": "open" if n % 20 else "resolved",
                        "created_at": NOW - timedelta(seconds=(n * 31_536_000) // size),
                    }
                    for n in range(start, start + count, 10)  # an item for one in ten people
                ],
            )
            await conn.execute(
                insert(OpenQuestion),
                [
                    {
                        "person_id": start + 1 + n % count,
                        "kind": "appointment",
                        "ref_id": n,
                        "answer_type": "yesno",
                        "asked_at": NOW,
                        "status": "open",
                    }
                    for n in range(start, start + count)
                ],
            )
    async with session_factory(engine).begin() as session:
        await figures.fold(session)
        await thread_figures.fill(session)  # the items went in bulk, past add_item
    # What autovacuum would have done by the time anyone asks (the fold deleted every change).
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(
            text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        )


async def timed(engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[Any]]) -> float:
    """Best of three, each in a transaction rolled back afterwards."""
    best = float("inf")
    for _ in range(3):
        async with session_factory(engine)() as session:
            started = time.perf_counter()
            await work(session)
            best = min(best, time.perf_counter() - started)
            await session.rollback()
    return best * 1000


def operations(size: int) -> dict[str, Callable[[AsyncSession], Awaitable[Any]]]:
    admin = StaffUser(id=1, name="Admin", email="a@example.org", role="admin")
    middle = size // 2
    clock = FakeClock(NOW)

    async def people_page(session: AsyncSession) -> None:
        first = await lists.people(session, admin, page=PageRequest())
        assert first.next
        await lists.people(session, admin, page=PageRequest(cursor=first.next))

    async def inbox_pages(session: AsyncSession) -> None:
        # GET /api/inbox?status=all: a page of threads and their newest items, then the next
        first = await inbox_threads.list_threads(session, admin, view="any")
        await inbox_threads.items_of(session, admin, first.threads, open_only=False)
        assert first.next
        second = await inbox_threads.list_threads(session, admin, view="any", cursor=first.next)
        await inbox_threads.items_of(session, admin, second.threads, open_only=False)

    async def messages_page(session: AsyncSession) -> None:
        person = await session.get(Person, middle)
        assert person is not None
        await lists.messages_of(session, person)

    return {
        "JA: cancel an appointment's reminders": lambda s: outbox.cancel_queued(
            s, key_prefix=f"reminder:appointment:{middle}:"
        ),
        "JA: close its questions": lambda s: questions.close_questions(
            s, kind="appointment", ref_id=middle
        ),
        "claim (100 due)": lambda s: s.execute(text(CLAIM), {"now": NOW + timedelta(days=2)}),
        "inbound sweep": lambda s: s.execute(text(SWEEP), {"now": NOW}),
        "retention batch": lambda s: retention.blank_old_texts(s, clock, Rules(retention_days=300)),
        "stats, a year": lambda s: figures.counts(s, None, NOW - timedelta(days=365, hours=1), NOW),
        "people, two pages": people_page,
        "inbox, all statuses, two pages": inbox_pages,
        "inbox, the tabs' counts": lambda s: inbox_threads.count_views(s, admin),
        "a person's messages, a page": messages_page,
    }


async def sqlite_engine(folder: Path) -> AsyncEngine:
    return create_engine(f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}")


async def postgres_engine() -> tuple[AsyncEngine, str] | None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)
    name = f"los_bench_{uuid.uuid4().hex[:8]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None
    finally:
        await admin.dispose()
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    return create_engine(url), name


async def drop_postgres(name: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        await admin.dispose()


async def run(sizes: list[int], postgres: bool) -> None:
    backends = ["sqlite"] + (["postgresql"] if postgres else [])
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            results: dict[str, dict[int, float]] = {}
            for size in sizes:
                name = None
                if backend == "sqlite":
                    engine = await sqlite_engine(Path(folder))
                else:
                    made = await postgres_engine()
                    if made is None:
                        print(f"PostgreSQL not reachable at {POSTGRES}: skipped")
                        break
                    engine, name = made
                try:
                    await upgrade(engine)
                    started = time.perf_counter()
                    await load(engine, size)
                    print(f"{backend}: loaded {size:,} in {time.perf_counter() - started:.0f} s")
                    for label, work in operations(size).items():
                        results.setdefault(label, {})[size] = await timed(engine, work)
                finally:
                    await engine.dispose()
                    if name:
                        await drop_postgres(name)
            if not results:
                continue
            head = " | ".join(f"{s:,}" for s in sizes)
            print(f"\n{backend} (ms, best of 3)\n| operation | {head} | largest/smallest |")
            print("|---" * (len(sizes) + 2) + "|")
            for label, by_size in results.items():
                cells = " | ".join(f"{by_size[s]:.1f}" for s in sizes if s in by_size)
                ratio = by_size[max(by_size)] / max(by_size[min(by_size)], 1e-6)
                print(f"| {label} | {cells} | {ratio:.2f} |")
            print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="add the 1M step (slow)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--broadcast", type=int, default=100_000, help="recipients of the broadcast (0: none)"
    )
    parser.add_argument(
        "--sigterm", action="store_true", help="also SIGTERM `los serve` on 2M SQLite texts"
    )
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.million else [])))
    asyncio.run(run(sizes, postgres=not args.no_postgres))
    if args.broadcast:
        backends = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
        for line in asyncio.run(scale_broadcast.run(args.broadcast, backends)):
            print(line)
    if args.sigterm:
        sigterm.report(2_000_000, wait=5, grace=5)


if __name__ == "__main__":
    main()
