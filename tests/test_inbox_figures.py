"""The inbox list's kept figures (``inbox_threads``) agree with the items after every kind of
change: a text, a crisis, an anonymous suggestion, resolving one item or a thread, retention,
a number changed or removed, erasure. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.staff_users import add_staff
from handlers import inbox, thread_figures
from handlers import inbox_threads as threads
from handlers.clock import FakeClock
from handlers.thread_figures import ThreadKey
from storage.db import create_engine
from storage.loading import STAFF_LOADS
from storage.models import ContactPoint, InboxItem, Site, StaffUser
from tests.harness import Harness
from tests.thread_figures_check import Figures, differences, kept

PHONE = "+4791234567"
STRANGER = "+4798765432"
OTHER = "+4797777777"
BERGEN = "+4755000000"


async def admin(h: Harness) -> StaffUser:
    async with h.session() as session:
        me = await session.scalar(select(StaffUser).order_by(StaffUser.id).limit(1))
        assert me is not None
        return me


async def agree(h: Harness) -> dict[str, Figures]:
    """Assert the kept figures are the items' own; return them (site, items, open, urgent …)."""
    async with h.session() as session:
        assert await differences(session) == []
        return dict(await kept(session))


async def test_texts_crises_suggestions_and_resolving_keep_the_figures(h: Harness) -> None:
    me = await admin(h)
    await h.sms(STRANGER, "Hei, hvem er dette?")  # an unknown number: its own thread
    person = await h.person("Ola", phone=PHONE)
    await h.sms(PHONE, "Kan noen ringe meg?")
    h.clock.advance(60)
    await h.sms(PHONE, "Hallo?")
    figures = await agree(h)
    ola = str(ThreadKey("p", person["id"]))
    assert figures[ola][1:4] == (2, 2, False)

    await h.sms(PHONE, "Jeg vil ta livet mitt")  # a crisis: urgent, first in the list
    figures = await agree(h)
    assert figures[ola][3] is True
    async with h.session() as session:
        first = await threads.list_threads(session, me, limit=1)
    assert str(first.threads[0].key) == ola and first.threads[0].urgent

    await h.sms(PHONE, "FORSLAG ANONYM Mer kaffe")  # about nobody: a thread of its own
    figures = await agree(h)
    [lone] = [key for key in figures if key.startswith("i")]
    assert figures[lone][1:3] == (1, 1)

    async with h.session() as session:  # one item resolved, then the whole thread
        urgent_id = await session.scalar(
            select(InboxItem.id).where(InboxItem.urgent, InboxItem.person_id == person["id"])
        )
        assert urgent_id is not None
        await threads.resolve_item(session, h.clock, me, urgent_id)
    figures = await agree(h)
    assert figures[ola][2:4] == (figures[ola][1] - 1, False)
    async with h.session() as session:
        thread = await threads.load_thread(session, me, ThreadKey.parse(ola))
        assert await threads.resolve(session, h.clock, me, thread) > 0
    figures = await agree(h)
    assert figures[ola][2] == 0
    async with h.session() as session:
        resolved = await threads.list_threads(session, me, view="resolved", with_counts=True)
    assert [str(t.key) for t in resolved.threads] == [ola]
    assert resolved.counts["resolved"] == 1 and resolved.counts["all"] == 2

    await h.advance(days=366)  # retention blanks the texts; the figures stay
    assert await agree(h) == figures


async def test_a_number_removed_or_erased_leaves_its_old_texts_as_threads_of_their_own(
    h: Harness,
) -> None:
    await h.sms(STRANGER, "Hei, dette er Kari")  # before she is registered
    await h.sms(OTHER, "Hei fra et annet nummer")
    figures = await agree(h)
    assert len([key for key in figures if key.startswith("c")]) == 2

    kari = await h.person("Kari", phone=STRANGER)  # her number's old texts stay its thread
    await h.sms(STRANGER, "Nå er jeg registrert")
    figures = await agree(h)
    assert figures[str(ThreadKey("p", kari["id"]))][1] == 1

    # A new number: the old one goes, and what it sent before she was registered stands alone.
    await h.api("PATCH", f"/api/people/{kari['id']}", {"phone": "+4790000001"}, expect=200)
    figures = await agree(h)
    assert len([key for key in figures if key.startswith("i")]) == 1

    per = await h.person("Per", phone=OTHER)
    await h.sms(OTHER, "Per her")
    await h.api("DELETE", f"/api/people/{per['id']}", expect=200)  # erased
    figures = await agree(h)
    assert figures[str(ThreadKey("p", per["id"]))][1:3] == (1, 0)  # resolved, still counted
    # Kari's old text is still open; Per's, from before he was registered, resolved by erasure.
    assert sorted(f[2] for key, f in figures.items() if key.startswith("i")) == [0, 1]


async def test_a_number_that_texted_two_sites_is_listed_for_each_sites_staff(h: Harness) -> None:
    bergen = await h.api(
        "POST",
        "/api/sites",
        {"name": "Bergen", "sms_number": BERGEN, "opening_hours": {}},
        expect=201,
    )
    async with h.session() as session:
        _, token = await add_staff(
            session, h.clock, name="Kari", email="kari@los.test", site_ids=[bergen["id"]]
        )
    await h.sms(STRANGER, "Hei Oslo")  # the first site's number
    assert (await h.api("GET", "/api/inbox", token=token, expect=200))["items"] == []
    params = {"From": STRANGER, "To": BERGEN, "Body": "Hei Bergen", "MessageSid": "SMbergen1"}
    assert (await h.twilio_post("/webhooks/twilio/sms", params)).status == 200
    await h.send_due()
    figures = await agree(h)
    [key] = [key for key in figures if key.startswith("c")]
    assert figures[key][0] != bergen["id"] and figures[key][6]  # the lowest site's row …
    [thread] = (await h.api("GET", "/api/inbox", token=token, expect=200))["items"]
    assert [i["text"] for i in thread["items"]] == ["Hei Bergen"]  # … and Bergen sees its part
    async with h.session() as session:
        kari = await session.scalar(
            select(StaffUser).where(StaffUser.email == "kari@los.test").options(*STAFF_LOADS)
        )
        assert kari is not None
        assert (await threads.count_views(session, kari))["all"] == 1


async def test_two_transactions_adding_to_one_thread_are_both_counted(database_url: str) -> None:
    """Each waits for the other's row lock (or its new row) and counts afresh after it."""
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    try:
        async with sessions.begin() as session:
            site = Site(name="Samtidig", created_at=clock.now())
            contact = ContactPoint(channel="sms", address="+4790909090", created_at=clock.now())
            session.add_all([site, contact])
            await session.flush()
            site_id, contact_id = site.id, contact.id

        async def add(n: int) -> None:
            async with sessions.begin() as session:
                await inbox.add_item(
                    session,
                    clock,
                    site_id=site_id,
                    kind="unknown_sender",
                    summary=f"Tekst {n}",
                    contact_point_id=contact_id,
                    urgent=n == 3,
                )
                await asyncio.sleep(0.2)  # still open while the other one counts

        await asyncio.gather(add(1), add(2))  # the thread's row is new to both
        await asyncio.gather(add(3), add(4))  # now it is there: both wait for its lock
        async with sessions() as session:
            assert await differences(session) == []
            figures = (await kept(session))[str(ThreadKey("c", contact_id))]
        assert figures[1:4] == (4, 4, True)
    finally:
        await engine.dispose()


async def test_items_inserted_in_bulk_get_their_rows_from_fill(database_url: str) -> None:
    """The benchmarks' seeds insert items past add_item; ``fill`` gives each thread its row
    and leaves a row that exists alone."""
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        async with sessions.begin() as session:
            site = Site(name="Bulk", created_at=at)
            contact = ContactPoint(channel="sms", address="+4790808080", created_at=at)
            session.add_all([site, contact])
            await session.flush()
            first = await inbox.add_item(
                session, FakeClock(at), site_id=site.id, kind="x", contact_point_id=contact.id
            )
            rows = [
                {
                    "site_id": site.id,
                    "contact_point_id": contact.id if n % 2 else None,
                    "kind": "message",
                    "urgent": n == 3,
                    "status": "open" if n % 3 else "resolved",
                    "created_at": at + timedelta(minutes=n),
                }
                for n in range(1, 7)
            ]
            await session.execute(insert(InboxItem), rows)
            await thread_figures.fill(session)
            await thread_figures.recount(session, ThreadKey("c", contact.id))  # it had its row
        async with sessions() as session:
            assert await differences(session) == []
            figures = await kept(session)
        assert figures[str(ThreadKey("c", contact.id))][1] == 4
        assert len([key for key in figures if key.startswith("i")]) == 3
        assert first > 0
    finally:
        await engine.dispose()


async def test_a_thread_whose_items_all_went_starts_again_from_its_next_text(h: Harness) -> None:
    """``thread_figures.added`` is one upsert: a row kept with no items (they were deleted, as
    retention does) takes the next item's figures, and they agree with a count of the items."""
    person = await h.person("Ola", phone=PHONE)
    await h.sms(PHONE, "Jeg vil ta livet mitt")  # urgent, open
    key = ThreadKey("p", person["id"])
    async with h.session() as session:
        await session.execute(delete(InboxItem).where(InboxItem.person_id == person["id"]))
        row = await thread_figures.recount(session, key)
        await session.commit()
    assert row is not None and row.items == 0  # kept, with no items
    h.clock.advance(60)
    await h.sms(PHONE, "Kan noen ringe meg?")
    assert (await agree(h))[str(key)][1:4] == (1, 1, False)  # not urgent: the crisis went
