"""The inbox as threads: one per person or number, crisis first, paged, limited to sites."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.staff_users import add_staff
from handlers import inbox_threads as threads
from storage.models import InboxItem, Site, StaffUser
from tests.harness import Harness
from tests.staff_app import make_staff, sign_in

PHONE = "+4791234567"
FLOOD = "+4798765432"


async def test_a_flood_from_one_number_is_one_thread(h: Harness) -> None:
    for n in range(60):
        await h.sms(FLOOD, f"Automatisk svar {n}")
    listed = await h.api("GET", "/api/inbox", expect=200)
    [thread] = listed["items"]
    # The 60 texts, and the reply budget's one item saying the sender looks automatic.
    async with h.session() as session:
        kinds = list(await session.scalars(select(InboxItem.kind)))
    assert sorted(set(kinds)) == ["auto_responder", "unknown_sender"]
    assert kinds.count("unknown_sender") == 60 and kinds.count("auto_responder") == 1
    assert thread["from"] == FLOOD and thread["item_count"] == 61 and thread["open_count"] == 61
    assert len(thread["items"]) == threads.ITEMS_PER_THREAD
    assert thread["items"][-1]["text"] == "Automatisk svar 59"
    assert listed["next"] is None


async def test_threads_page_with_a_cursor_and_crisis_comes_first(h: Harness) -> None:
    for n in range(5):
        await h.person(f"Person {n}", phone=f"+479123456{n}")
        await h.sms(f"+479123456{n}", f"Hei fra {n}")
        h.clock.advance(60)
    await h.sms("+4791234562", "Jeg vil ta livet mitt")
    h.clock.advance(60)
    seen: list[str] = []
    page = await h.api("GET", "/api/inbox?limit=2", expect=200)
    assert page["items"][0]["person_name"] == "Person 2" and page["items"][0]["urgent"]
    while True:
        seen += [t["person_name"] for t in page["items"]]
        if page["next"] is None:
            break
        page = await h.api("GET", f"/api/inbox?limit=2&cursor={page['next']}", expect=200)
    assert seen == ["Person 2", "Person 4", "Person 3", "Person 1", "Person 0"]
    await h.api("GET", "/api/inbox?cursor=nonsense", expect=422)
    await h.api("GET", "/api/inbox?limit=501", expect=422)


async def test_mine_unassigned_resolved_and_notes(h: Harness) -> None:
    await h.person("Ola", phone=PHONE)
    await h.sms(PHONE, "Hei")
    async with h.session() as session:
        me = await session.scalar(select(StaffUser).order_by(StaffUser.id).limit(1))
        assert me is not None
        page = await threads.list_threads(session, me, with_counts=True)
        assert page.counts == {"all": 1, "mine": 0, "unassigned": 1, "resolved": 0}
        thread = await threads.load_thread(session, me, page.threads[0].key)
        await threads.assign(session, h.clock, me, thread, me.id)
        await threads.add_note(session, h.clock, me, thread, "Ringte, ingen svar.")
    async with h.session() as session:
        assert (await threads.count_views(session, me))["mine"] == 1
        thread = await threads.load_thread(session, me, page.threads[0].key)
        assert [e.text for e in thread.entries if e.kind == "note"] == ["Ringte, ingen svar."]
        assert await threads.resolve(session, h.clock, me, thread) == 1
    async with h.session() as session:
        assert await threads.count_views(session, me) == {
            "all": 0,
            "mine": 0,
            "unassigned": 0,
            "resolved": 1,
        }


async def test_a_coordinator_sees_only_their_sites_threads(h: Harness) -> None:
    async with h.session() as session:
        home = await session.scalar(select(Site.id).order_by(Site.id).limit(1))
        other = Site(name="Bergen", created_at=h.clock.now())
        session.add(other)
        await session.flush()
        other_id = other.id
        assert home is not None
        _, token = await add_staff(
            session, h.clock, name="Kari", email="kari@los.test", site_ids=[home]
        )
    await h.person("Per Bergen", phone=PHONE, site_id=other_id)
    await h.sms(PHONE, "Hei fra Bergen")
    listed = await h.api("GET", "/api/inbox", token=token, expect=200)
    assert listed["items"] == []
    everything = await h.api("GET", "/api/inbox", expect=200)  # the admin sees it
    [thread] = everything["items"]
    await h.api(
        "POST",
        f"/api/inbox/{thread['items'][0]['id']}/reply",
        {"text": "Hei"},
        token=token,
        expect=404,
    )


async def test_the_tabs_count_up_to_a_cap_and_say_more_past_it(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the cap a tab says "N+": counting on would read every thread of a large inbox."""
    monkeypatch.setattr(threads, "COUNT_CAP", 2)
    for n in range(4):
        await h.sms(f"+4798000{n:03d}", "Hei")  # four unknown numbers: four open threads
    async with h.session() as session:
        me = await session.scalar(select(StaffUser).order_by(StaffUser.id).limit(1))
        assert me is not None
        counts = await threads.count_views(session, me)
    assert counts == {"all": 3, "mine": 0, "unassigned": 3, "resolved": 0}
    assert [threads.count_label(counts[v]) for v in ("all", "mine")] == ["2+", "0"]
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    page = await (await h.client.get("/inbox")).text()
    assert '<span class="count">2+</span>' in page
