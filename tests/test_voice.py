"""Voice reminders: a call reads the reminder aloud and takes a key, through the real ``twilio``
library against the fake Twilio, which fetches Los's TwiML (signed) and presses what the test
scripted (``h.twilio.answers``: a key, "" to listen only, None for nobody answering).

The clock starts on Monday 2 March 2026, 10:00 in Oslo. Quiet hours are 21:00-08:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from handlers.clock import FakeClock
from storage.models import Message
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import Harness, oslo, running_harness
from tests.harness import test_settings as settings_for

OLA = "+4791234567"
VOICE = "/webhooks/twilio/voice"


def local(when: datetime) -> str:
    return when.replace(tzinfo=None).isoformat(timespec="minutes")


async def caller(h: Harness, reminders_by: str = "call", **extra: Any) -> dict[str, Any]:
    return await h.person("Olena Kovalenko", phone=OLA, reminders_by=reminders_by, **extra)


async def book(h: Harness, person_id: int, when: datetime) -> dict[str, Any]:
    body = {"person_id": person_id, "starts_at": local(when), "location": "Storgata 1"}
    result: dict[str, Any] = await h.api("POST", "/api/appointments", body, expect=201)
    return result


async def status_of(h: Harness, appointment_id: int) -> str:
    found = await h.api("GET", f"/api/appointments/{appointment_id}", expect=200)
    return str(found["status"])


async def at(h: Harness, when: datetime) -> None:
    """Move the clock; every call it places runs its script; what follows is sent."""
    await h.set_time(when)
    await h.twilio.calls_done()
    await h.send_due()


async def calls(h: Harness, *, placed: bool = True) -> list[Message]:
    """The call rows of the outbox (``placed``: only those handed to Twilio), oldest first."""
    async with h.session() as session:
        query = select(Message).where(Message.channel == "voice").order_by(Message.id)
        if placed:
            query = query.where(Message.provider_id.is_not(None))
        return list(await session.scalars(query))


def says(document: str) -> list[tuple[str, str]]:
    """(language, text) of every <Say> in a TwiML document, in order."""
    root = ElementTree.fromstring(document)
    return [(s.attrib["language"], s.text or "") for s in root.iter("Say")]


async def test_key_1_confirms_the_appointment_read_aloud_in_the_persons_language(
    h: Harness,
) -> None:
    olena = await caller(h, language="uk")
    assert olena["reminders_by"] == "call"
    appointment = await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = ["1"]
    await at(h, oslo(2026, 3, 3, 10, 0))
    placed = h.twilio.calls_to(OLA)
    assert len(placed) == 1
    assert placed[0]["From"] == "+4759440000"
    assert placed[0]["Url"].startswith("http://los.test/webhooks/twilio/voice?m=")
    assert placed[0]["StatusCallback"].startswith("http://los.test/webhooks/twilio/voice/status")
    [call] = await calls(h)
    spoken = says(h.twilio.twiml[0])
    assert spoken[0] == ("uk-UA", call.text)
    assert "10:00" in spoken[0][1] and "Storgata 1" in spoken[0][1]
    assert spoken[1][0] == "uk-UA" and spoken[1][1].startswith("Натисніть 1")
    gather = ElementTree.fromstring(h.twilio.twiml[0]).find("Gather")
    assert gather is not None and gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == f"http://los.test/webhooks/twilio/voice/gather?m={call.id}"
    assert await status_of(h, appointment["id"]) == "confirmed"
    assert says(h.twilio.twiml[1]) == [("uk-UA", "Дякуємо. До побачення.")]
    # the key counted as the person's answer, in their conversation, and no text was asked
    messages = await h.items(f"/api/people/{olena['id']}/messages")
    pressed = [m for m in messages if m["direction"] == "in"]
    assert [m["text"] for m in pressed] == ["JA"]
    assert call.status == "delivered" and call.button_answer == "1"
    assert all("Нагадування" not in text for text in h.sms_to(OLA))


async def test_no_answer_twice_becomes_the_text(h: Harness) -> None:
    olena = await caller(h)
    appointment = await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = [None, None]
    await at(h, oslo(2026, 3, 3, 10, 0))
    assert len(h.twilio.calls_to(OLA)) == 1
    assert h.sms_to(OLA) == []
    await at(h, oslo(2026, 3, 3, 10, 9))
    assert len(h.twilio.calls_to(OLA)) == 1  # tried again after ten minutes, not before
    await at(h, oslo(2026, 3, 3, 10, 10))
    assert len(h.twilio.calls_to(OLA)) == 2
    [first, second] = await calls(h)
    assert (first.status, first.error) == ("failed", "call no-answer")
    assert second.idempotency_key == f"{first.idempotency_key}:call2"
    assert h.sms_to(OLA) == [first.text]
    # the text asks the same question: JA still confirms
    await h.sms(OLA, "JA")
    assert await status_of(h, appointment["id"]) == "confirmed"


async def test_both_gets_the_text_and_a_call_and_no_second_text(h: Harness) -> None:
    olena = await caller(h, reminders_by="both")
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = [None, None]
    await at(h, oslo(2026, 3, 3, 10, 0))
    await at(h, oslo(2026, 3, 3, 10, 10))
    assert len(h.twilio.calls_to(OLA)) == 2
    assert len(h.sms_to(OLA)) == 1


async def test_key_0_asks_staff_to_call_back(h: Harness) -> None:
    olena = await caller(h, language="pl")
    appointment = await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = ["0"]
    await at(h, oslo(2026, 3, 3, 10, 0))
    items = await h.inbox_items()
    assert [(i["kind"], i["person_id"]) for i in items] == [("call_back", olena["id"])]
    assert says(h.twilio.twiml[1]) == [("pl-PL", "Dziękujemy. Ktoś z personelu oddzwoni.")]
    assert await status_of(h, appointment["id"]) == "scheduled"
    assert len(h.twilio.calls_to(OLA)) == 1  # answered: no second call
    assert h.sms_to(OLA) == []


async def test_key_3_asks_for_a_new_time_like_flytt(h: Harness) -> None:
    olena = await caller(h)
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = ["3"]
    await at(h, oslo(2026, 3, 3, 10, 0))
    assert [i["kind"] for i in await h.inbox_items()] == ["reschedule"]


async def test_stopp_stops_calls(h: Harness) -> None:
    olena = await caller(h)
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    await h.sms(OLA, "STOPP")
    h.twilio.answers = ["1"]
    await at(h, oslo(2026, 3, 3, 10, 0))
    await at(h, oslo(2026, 3, 4, 9, 0))
    assert h.twilio.calls_to(OLA) == []
    assert {(c.status, c.error) for c in await calls(h, placed=False)} == {("skipped", "opted_out")}


async def test_quiet_hours_move_the_second_call_to_the_morning(h: Harness) -> None:
    olena = await caller(h)
    # the reminder a day before 22:00 moves to 20:59, before quiet hours
    appointment = await book(h, olena["id"], oslo(2026, 3, 4, 22, 0))
    h.twilio.answers = [None, "1"]
    await at(h, oslo(2026, 3, 3, 20, 59))
    assert len(h.twilio.calls_to(OLA)) == 1
    await at(h, oslo(2026, 3, 3, 21, 9))
    await at(h, oslo(2026, 3, 4, 7, 59))
    assert len(h.twilio.calls_to(OLA)) == 1
    await at(h, oslo(2026, 3, 4, 8, 0))
    assert len(h.twilio.calls_to(OLA)) == 2
    assert await status_of(h, appointment["id"]) == "confirmed"


async def test_a_checkin_by_call_takes_the_score_as_the_key(h: Harness) -> None:
    olena = await caller(h, language="ar")
    body = {"person_id": olena["id"], "every": "daily", "at": "12:00"}
    plan = await h.api("POST", "/api/checkins", body, expect=201)
    h.twilio.answers = ["4"]
    await at(h, oslo(2026, 3, 2, 12, 0))
    spoken = says(h.twilio.twiml[0])
    assert [language for language, _ in spoken] == ["ar-XA", "ar-XA"]
    assert spoken[1][1].startswith("اضغط رقما")
    found = await h.api("GET", f"/api/checkins/{plan['id']}", expect=200)
    assert [r["score"] for r in found["rounds"]] == [4]


async def test_somali_is_read_by_the_english_voice(h: Harness) -> None:
    olena = await caller(h, language="so")
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = [""]
    await at(h, oslo(2026, 3, 3, 10, 0))
    spoken = says(h.twilio.twiml[0])
    assert {language for language, _ in spoken} == {"en-GB"}
    assert spoken[1][1].startswith("Press 1 for yes")


async def test_listening_without_a_key_counts_as_no_answer(h: Harness) -> None:
    olena = await caller(h)
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.answers = ["", ""]
    await at(h, oslo(2026, 3, 3, 10, 0))
    await at(h, oslo(2026, 3, 3, 10, 10))
    assert len(h.twilio.calls_to(OLA)) == 2
    # the last try says a text follows, and it does
    assert says(h.twilio.twiml[1])[-1] == (
        "nb-NO",
        "Vi hørte ikke noe svar. Du får en SMS i stedet.",
    )
    assert len(h.sms_to(OLA)) == 1


@pytest.mark.parametrize("path", [VOICE, f"{VOICE}/gather", f"{VOICE}/status"])
async def test_a_forged_voice_webhook_is_refused(h: Harness, path: str) -> None:
    olena = await caller(h)
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    await at(h, oslo(2026, 3, 3, 10, 0))  # nobody answers: the first call waits for a retry
    [call] = await calls(h)
    params = {"CallSid": "CAforged", "CallStatus": "completed", "Digits": "1"}
    url = f"{path}?m={call.id}"
    resp = await h.twilio_post(url, params, signature=h.sign(f"{path}?m=999", params))
    assert resp.status == 403
    resp = await h.twilio_post(url, params, signature="")
    assert resp.status == 403
    assert len(await calls(h)) == 1  # no retry queued by a forged status


@pytest.mark.parametrize("query", ["", "?m=abc", "?m=0", "?m=99999999999"])
async def test_a_signed_voice_webhook_without_a_call_is_a_400(h: Harness, query: str) -> None:
    params = {"CallSid": "CA1", "CallStatus": "completed", "Digits": "1"}
    for path in (VOICE, f"{VOICE}/gather", f"{VOICE}/status"):
        resp = await h.twilio_post(path + query, params)
        assert resp.status == 400, path


async def test_reminders_by_is_checked_by_the_api(h: Harness) -> None:
    olena = await caller(h, reminders_by="sms")
    body = await h.api("PATCH", f"/api/people/{olena['id']}", {"reminders_by": "fax"}, expect=422)
    assert "reminders_by" in body["error"]["fields"]
    changed = await h.api(
        "PATCH", f"/api/people/{olena['id']}", {"reminders_by": "both"}, expect=200
    )
    assert changed["reminders_by"] == "both"


async def test_calls_need_a_number_to_call_from(
    database_url: str, clock: FakeClock, twilio: FakeTwilio, telegram: FakeTelegram
) -> None:
    """A Messaging Service cannot call: without TWILIO_VOICE_FROM, "call me" is refused."""
    service = "MG" + "0" * 32
    settings = settings_for(database_url, twilio.url, telegram.url, twilio_from=service)
    assert settings.voice_from is None
    assert (
        settings_for(
            database_url,
            twilio.url,
            telegram.url,
            twilio_from=service,
            twilio_voice_from="+4759440001",
        ).voice_from
        == "+4759440001"
    )
    async with running_harness(settings, clock, twilio, telegram) as h:
        body = {"name": "Olena", "roles": ["participant"], "phone": OLA, "reminders_by": "call"}
        refused = await h.api("POST", "/api/people", body, expect=422)
        assert "reminders_by" in refused["error"]["fields"]
        olena = await h.person("Olena", phone=OLA)
        await h.api("PATCH", f"/api/people/{olena['id']}", {"reminders_by": "both"}, expect=422)
        assert (await h.api("GET", f"/api/people/{olena['id']}"))["reminders_by"] == "sms"


async def test_an_everyday_reminder_by_call_is_done_with_key_1(h: Harness) -> None:
    olena = await caller(h)
    body = {"person_id": olena["id"], "kind": "meldekort", "starts_on": "2026-03-16", "at": "09:00"}
    await h.api("POST", "/api/reminders", body, expect=201)
    h.twilio.answers = ["1"]
    await at(h, oslo(2026, 3, 16, 9, 0))
    [call] = await calls(h)
    assert call.kind == "reminder" and "meldekort" in (call.text or "").lower()
    assert says(h.twilio.twiml[0])[0] == ("nb-NO", call.text)
    assert h.sms_to(OLA) == ["Bra! Det er ført opp som gjort."]


async def test_a_call_twilio_refuses_becomes_the_text_at_once(h: Harness) -> None:
    olena = await caller(h)
    await book(h, olena["id"], oslo(2026, 3, 4, 10, 0))
    h.twilio.fail_next(400, 21215)  # Twilio: this number cannot be called from here
    await at(h, oslo(2026, 3, 3, 10, 0))
    assert h.twilio.calls_to(OLA) == []
    call = (await calls(h, placed=False))[0]
    assert call.status == "failed"
    assert len(h.sms_to(OLA)) == 1 and h.sms_to(OLA)[0] == call.text
    await h.sms(OLA, "JA")
    assert h.sms_to(OLA)[-1].startswith("Takk!")
