"""The first conversations: help, stop/start, unknown texts to the inbox, unknown numbers."""

from __future__ import annotations

from tests.harness import Harness

PHONE = "+4791234567"


async def test_help_in_norwegian_and_english(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.person(name="Anna Smith", phone="+4791234568", language="en")
    await h.sms(PHONE, "hjelp")
    await h.sms("+4791234568", "Help!")
    assert "TIMER" in h.sms_to(PHONE)[-1]
    assert "APPOINTMENTS" in h.sms_to("+4791234568")[-1]
