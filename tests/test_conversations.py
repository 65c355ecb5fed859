"""The first conversations of CONTRACT §3: STOPP/START/HJELP, unknown numbers, the inbox."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ContactPoint, InboxItem, Message
from tests.harness import Harness

PHONE = "+4791234567"
STRANGER = "+4798765432"


async def inbox_kinds(h: Harness) -> list[str]:
    async with h.session() as session:
        return list(await session.scalars(select(InboxItem.kind).order_by(InboxItem.id)))


async def test_help_in_norwegian_and_english(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.person(name="Anna Smith", phone="+4791234568", language="en")
    await h.sms(PHONE, "hjelp")
    await h.sms("+4791234568", "Help!")
    await h.advance(minutes=10)  # the same answer goes to one number at most once in 10 minutes
    await h.sms(PHONE, "?")
    assert "TIMER" in h.sms_to(PHONE)[0] and h.sms_to(PHONE)[1] == h.sms_to(PHONE)[0]
    assert "APPOINTMENTS" in h.sms_to("+4791234568")[-1]


async def test_stopp_then_start(h: Harness) -> None:
    ola = await h.person(phone=PHONE)
    await h.sms(PHONE, "Stopp!")
    assert h.sms_to(PHONE) == [
        "Du får ikke flere meldinger fra oss. Skriv START hvis du vil ha dem igjen."
    ]
    await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Kafeen er stengt i dag.", "audience": {"roles": ["participant"]}},
        expect=202,
    )
    await h.send_due()
    assert len(h.sms_to(PHONE)) == 1  # nothing after STOPP
    person = await h.api("GET", f"/api/people/{ola['id']}", expect=200)
    assert person["opted_out"] is True
    await h.sms(PHONE, "start")
    assert h.sms_to(PHONE)[-1].startswith("Velkommen tilbake!")
    await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Quiz i kveld!", "audience": {"roles": ["participant"]}},
        expect=202,
    )
    await h.send_due()
    assert h.sms_to(PHONE)[-1] == "Quiz i kveld!"


async def test_stop_in_english_and_avslutt(h: Harness) -> None:
    await h.person(phone=PHONE, language="en")
    await h.sms(PHONE, "STOP please")
    assert h.sms_to(PHONE) == [
        "You will get no more messages from us. Text START if you want them again."
    ]
    await h.person(name="Per Hansen", phone="+4791234569")
    await h.sms("+4791234569", "avslutt")
    assert h.sms_to("+4791234569")[0].startswith("Du får ikke flere meldinger")


async def test_unknown_text_goes_to_inbox_with_one_acknowledgement(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "Hei, kan noen ringe meg om husleia?")
    await h.sms(PHONE, "Det haster litt")
    assert h.sms_to(PHONE) == ["Takk, meldingen er mottatt. En av de ansatte leser den."]
    [thread] = (await h.api("GET", "/api/inbox", expect=200))["items"]
    texts = [i["text"] for i in thread["items"]]
    assert texts == ["Hei, kan noen ringe meg om husleia?", "Det haster litt"]
    assert thread["person_name"] == "Ola Nordmann" and thread["open_count"] == 2


async def test_unknown_number_gets_one_polite_answer_a_day(h: Harness) -> None:
    await h.sms(STRANGER, "Hei, er dette Kirkens Bymisjon?")
    await h.sms(STRANGER, "Hallo?")
    assert len(h.sms_to(STRANGER)) == 1
    assert "ikke registrert" in h.sms_to(STRANGER)[0]
    assert await inbox_kinds(h) == ["unknown_sender", "unknown_sender"]
    [thread] = (await h.api("GET", "/api/inbox", expect=200))["items"]
    assert thread["from"] == STRANGER
    await h.advance(days=1)
    await h.sms(STRANGER, "Hei igjen")
    assert len(h.sms_to(STRANGER)) == 2


async def test_registering_a_number_that_said_stopp_keeps_the_opt_out(h: Harness) -> None:
    await h.sms(STRANGER, "STOPP")
    person = await h.person(name="Kari Berg", phone=STRANGER)
    assert person["opted_out"] is True
    async with h.session() as session:
        contact = await session.scalar(select(ContactPoint).where(ContactPoint.address == STRANGER))
        assert contact is not None and contact.person_id == person["id"]


async def test_yes_with_no_open_question_is_handled_kindly(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "ja")
    assert h.sms_to(PHONE) == [
        "Takk! Vi har ikke noe spørsmål til deg nå. En ansatt ser på meldingen."
    ]
    assert await inbox_kinds(h) == ["message"]


async def test_incoming_text_is_stored_and_marked_handled(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    async with h.session() as session:
        inbound = (await session.scalars(select(Message).where(Message.direction == "in"))).one()
    assert inbound.text == "hjelp" and inbound.processed_at is not None
    assert inbound.person_id is not None
