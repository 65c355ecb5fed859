"""Broadcasts grown up (audiences, send_at, preview with SMS segments, cancel), suggestions,
erasure, and the last place never given twice under concurrent answers."""

from __future__ import annotations

import asyncio
from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from handlers import signups
from handlers.segments import count_segments
from storage.models import InboxItem, Message, Person, Signup
from tests.harness import OSLO, Harness, oslo

ANNE = "+4791000001"
BJORN = "+4791000002"
CARL = "+4791000003"
VERA = "+4791000009"


async def quiz(h: Harness, **fields: Any) -> dict[str, Any]:
    body = {"title": "Quiz", "starts_at": "2026-03-05T18:00:00", "location": "Kafeen"} | fields
    result: dict[str, Any] = await h.api("POST", "/api/activities", body, expect=201)
    return result


# --- SMS segments (pure) ---------------------------------------------------------------------


def test_norwegian_text_is_gsm7_and_fits_one_sms() -> None:
    text = "Hei! Vi griller på Gressholmen lørdag kl. 12. Ta med godt humør. Påmelding: MELD TUR"
    count = count_segments(text)
    assert (count.encoding, count.segments, count.per_segment) == ("GSM-7", 1, 160)
    assert count.units == len(text)


def test_æøå_stay_gsm7_but_extension_characters_count_twice() -> None:
    assert count_segments("ÆØÅ æøå").encoding == "GSM-7"
    assert count_segments("Pris: 50 €").units == 11  # € takes an escape plus itself
    assert count_segments("x" * 160).segments == 1
    assert count_segments("x" * 161).segments == 2
    assert count_segments("x" * 306).segments == 2
    assert count_segments("x" * 307).segments == 3
    # 152 plain + "€" (2 septets) would straddle the first part: it moves to the second.
    straddle = count_segments("x" * 152 + "€" + "x" * 10)
    assert (straddle.units, straddle.segments) == (164, 2)
    assert count_segments("").segments == 0


def test_an_emoji_makes_the_whole_text_ucs2() -> None:
    text = "Takk for i dag 😊 Vi ses på fredag!"
    count = count_segments(text)
    assert (count.encoding, count.segments, count.per_segment) == ("UCS-2", 1, 70)
    assert count.units == len(text) + 1  # the emoji is a surrogate pair
    long = count_segments("Hei 👋 " + "å" * 70)
    assert (long.encoding, long.segments, long.per_segment) == ("UCS-2", 2, 67)
    assert count_segments("ł" * 134).segments == 2
    assert count_segments("ł" * 135).segments == 3


# --- broadcasts -------------------------------------------------------------------------------


async def test_preview_counts_recipients_opted_out_unreachable_and_segments(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    await h.person("Uten Telefon", phone=None)
    await h.person("Vera Frivillig", roles=["volunteer"], phone=VERA)
    await h.sms(BJORN, "STOPP")
    text = "Julelunsj fredag 18. desember kl. 12! Skriv MELD JUL 🎄"
    preview = await h.api(
        "POST",
        "/api/broadcasts/preview",
        {"text": text, "audience": {"roles": ["participant"]}},
        expect=200,
    )
    assert preview["recipients"] == 3
    assert (preview["reachable"], preview["opted_out"], preview["unreachable"]) == (1, 1, 1)
    assert preview["sms"]["encoding"] == "UCS-2" and preview["sms"]["segments"] == 1
    assert preview["sms_messages"] == 1
    plain = await h.api(
        "POST",
        "/api/broadcasts/preview",
        {"text": "Kafeen er stengt i dag.", "audience": {"all": True}},
        expect=200,
    )
    assert plain["recipients"] == 4 and plain["sms"]["encoding"] == "GSM-7"
    bad = await h.api("POST", "/api/broadcasts/preview", {"text": "", "audience": {"all": True}})
    assert h.last_status == 422 and "text" in bad["error"]["fields"]
    no_site = await h.api(
        "POST", "/api/broadcasts/preview", {"text": "x", "audience": {"all": True, "site_id": 99}}
    )
    assert h.last_status == 422 and "audience.site_id" in no_site["error"]["fields"]


async def test_broadcast_to_those_signed_up_for_an_activity(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    await h.person("Carl Holm", phone=CARL)
    activity = await quiz(h, capacity=1)
    await h.sms(ANNE, "MELD QUIZ")
    await h.sms(BJORN, "MELD QUIZ")  # waiting: not among those signed up
    sent = await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Husk penn til quizen!", "audience": {"activity_id": activity["id"]}},
        expect=202,
    )
    await h.send_due()
    assert sent["recipients"] == 1
    assert h.sms_to(ANNE)[-1] == "Husk penn til quizen!"
    assert "Husk penn til quizen!" not in h.sms_to(BJORN) + h.sms_to(CARL)
    unknown = await h.api(
        "POST", "/api/broadcasts", {"text": "x", "audience": {"activity_id": 999}}
    )
    assert h.last_status == 422 and "audience.activity_id" in unknown["error"]["fields"]


async def test_scheduled_broadcast_goes_out_at_send_at(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Vera Frivillig", roles=["volunteer"], phone=VERA)
    created = await h.api(
        "POST",
        "/api/broadcasts",
        {
            "text": "Husk: kafeen åpner kl. 10 i morgen.",
            "audience": {"roles": ["volunteer"]},
            "send_at": "2026-03-02T15:00:00",
        },
        expect=202,
    )
    assert created["status"] == "scheduled" and created["recipients"] == 1
    await h.send_due()
    assert h.sms_to(VERA) == []
    await h.set_time(oslo(2026, 3, 2, 14, 59))
    assert h.sms_to(VERA) == []
    await h.set_time(oslo(2026, 3, 2, 15, 0))
    assert h.sms_to(VERA) == ["Husk: kafeen åpner kl. 10 i morgen."]
    assert h.sms_to(ANNE) == []
    progress = await h.api("GET", f"/api/broadcasts/{created['id']}", expect=200)
    assert (progress["status"], progress["sent"], progress["queued"]) == ("done", 1, 0)


async def test_cancelled_broadcast_sends_nothing_more(h: Harness) -> None:
    for n in range(3):
        await h.person(f"Person {n}", phone=f"+479100010{n}")
    created = await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Sommerfest!", "audience": {"all": True}, "send_at": "2026-03-03T12:00:00"},
        expect=202,
    )
    cancelled = await h.api("POST", f"/api/broadcasts/{created['id']}/cancel", expect=200)
    assert cancelled["status"] == "cancelled" and cancelled["cancelled"] == 3
    await h.set_time(oslo(2026, 3, 3, 13, 0))
    assert all(h.sms_to(f"+479100010{n}") == [] for n in range(3))
    await h.api("POST", "/api/broadcasts/999/cancel", expect=404)


async def test_cancelling_a_running_broadcast_keeps_what_went_out(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    created = await h.api(
        "POST", "/api/broadcasts", {"text": "Hei!", "audience": {"all": True}}, expect=202
    )
    async with h.session() as session:  # one went out before staff pressed cancel
        first = await session.scalar(
            select(Message).where(Message.broadcast_id == created["id"]).order_by(Message.id)
        )
        assert first is not None
        first.status = "sent"
    cancelled = await h.api("POST", f"/api/broadcasts/{created['id']}/cancel", expect=200)
    assert (cancelled["sent"], cancelled["cancelled"], cancelled["queued"]) == (1, 1, 0)
    await h.send_due()
    assert h.sms_to(BJORN) == []


async def test_invitation_progress_counts_an_unreachable_person(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Uten Telefon", phone=None)
    activity = await quiz(h)
    sent = await h.api(
        "POST",
        f"/api/activities/{activity['id']}/announce",
        {"send_at": "2026-03-02T12:00:00"},
        expect=202,
    )
    progress = await h.api("GET", f"/api/broadcasts/{sent['broadcast_id']}", expect=200)
    assert (progress["status"], progress["recipients"], progress["skipped"]) == (
        "scheduled",
        2,
        1,
    )
    await h.sms(ANNE, "JA")  # the invitation has not gone out: nothing to answer yet
    assert h.sms_to(ANNE)[-1].startswith("Takk! Vi har ikke noe spørsmål")
    await h.set_time(oslo(2026, 3, 2, 12, 0))
    assert h.sms_to(ANNE)[-1].endswith("Svar JA, NEI eller KANSKJE.")
    progress = await h.api("GET", f"/api/broadcasts/{sent['broadcast_id']}", expect=200)
    assert (progress["status"], progress["sent"]) == ("done", 1)


# --- suggestions and erasure ------------------------------------------------------------------


async def inbox(h: Harness) -> list[InboxItem]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem).order_by(InboxItem.id)))


async def test_suggestions_named_and_anonymous(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    await h.person("Anna Smith", phone=BJORN, language="en")
    await h.sms(ANNE, "Forslag: mer fisk til middag")
    assert h.sms_to(ANNE)[-1] == "Takk for forslaget! De ansatte leser det."
    await h.sms(ANNE, "FORSLAG ANONYM Noen er sure i resepsjonen")
    assert h.sms_to(ANNE)[-1] == "Takk for forslaget! Det er sendt uten navnet ditt."
    await h.sms(BJORN, "idea anon a chess club")
    assert h.sms_to(BJORN)[-1] == "Thank you for the idea! It was sent without your name."
    await h.sms(ANNE, "FORSLAG")
    assert h.sms_to(ANNE)[-1].startswith("Skriv forslaget etter ordet")

    items = sorted((i for i in await inbox(h) if i.kind == "suggestion"), key=lambda i: i.id)
    assert [(i.summary, i.person_id) for i in items] == [
        ("mer fisk til middag", anne["id"]),
        ("Noen er sure i resepsjonen", None),
        ("a chess club", None),
    ]
    assert all(i.message_id is None and i.contact_point_id is None for i in items[1:])
    # Only the day is kept, so the time does not point at the sender's own incoming text.
    assert {i.created_at.astimezone(OSLO).time() for i in items[1:]} == {time(0, 0)}
    listed = await h.api("GET", "/api/inbox", expect=200)
    assert "Noen er sure i resepsjonen" in str(listed)
    # Her conversation does not give the anonymous text away.
    conversation = await h.items(f"/api/people/{anne['id']}/messages")
    texts = [m["text"] for m in conversation if m["direction"] == "in"]
    assert "Noen er sure i resepsjonen" not in str(texts)
    assert None in texts  # the incoming text is not kept at all


async def test_erasure_removes_suggestion_texts_and_frees_places(h: Harness) -> None:
    anne = await h.person("Anne Berg", phone=ANNE)
    bjorn = await h.person("Bjørn Lie", phone=BJORN)
    activity = await quiz(h, capacity=1)
    await h.sms(ANNE, "MELD QUIZ")
    await h.sms(BJORN, "MELD QUIZ")
    await h.sms(ANNE, "FORSLAG mer fisk til middag")
    await h.api("DELETE", f"/api/people/{anne['id']}", expect=200)
    items = [i for i in await inbox(h) if i.kind == "suggestion"]
    assert [i.summary for i in items] == [None]
    async with h.session() as session:
        rows = await session.scalars(
            select(Signup).where(Signup.activity_id == activity["id"]).order_by(Signup.id)
        )
        assert [(s.person_id, s.status) for s in rows] == [
            (anne["id"], "cancelled"),
            (bjorn["id"], "signed_up"),
        ]
    # The freed place goes to the first in line at once; the counts keep Anne's sign-up.
    await h.send_due()
    assert h.sms_to(BJORN)[-1].startswith("Du har fått plass på Quiz")
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["activities"]["signups"] == 2


# --- the last place ---------------------------------------------------------------------------


async def test_two_ja_to_the_last_place_at_the_same_moment_never_both_get_it(h: Harness) -> None:
    await h.person("Anne Berg", phone=ANNE)
    await h.person("Bjørn Lie", phone=BJORN)
    await h.person("Carl Holm", phone=CARL)
    activity = await quiz(h, capacity=2)
    await h.sms(CARL, "MELD QUIZ")  # one place left
    await h.api("POST", f"/api/activities/{activity['id']}/announce", expect=202)
    await h.send_due()
    statuses = await asyncio.gather(h.sms(ANNE, "JA"), h.sms(BJORN, "JA"))
    assert statuses == [200, 200]
    rows = await h.items(f"/api/activities/{activity['id']}/signups")
    assert sorted(r["status"] for r in rows) == ["signed_up", "signed_up", "waitlisted"]
    answers = [h.sms_to(ANNE)[-1], h.sms_to(BJORN)[-1]]
    assert sum(a.startswith("Du er påmeldt") for a in answers) == 1
    assert sum("nr. 1 på ventelisten" in a for a in answers) == 1


@pytest.mark.parametrize("round_", range(3))
async def test_many_sessions_racing_for_one_place(h: Harness, round_: int) -> None:
    """Six handler calls in six sessions at once: exactly one place is given."""
    people = [await h.person(f"Person {n}", phone=f"+479200000{n}") for n in range(6)]
    activity = await quiz(h, capacity=1)

    async def claim(person_id: int) -> str:
        async with h.los.sessions.begin() as session:
            person = await session.get(Person, person_id)
            assert person is not None
            outcome = await signups.sign_up(session, h.clock, activity["id"], person)
            await asyncio.sleep(0)  # let the others run while this transaction is open
            return outcome.result

    results = await asyncio.gather(*(claim(p["id"]) for p in people))
    assert sorted(results) == ["signed_up"] + ["waitlisted"] * 5
    rows = await h.items(f"/api/activities/{activity['id']}/signups")
    places = sorted(r["place_in_line"] for r in rows if r["status"] == "waitlisted")
    assert places == [1, 2, 3, 4, 5]
