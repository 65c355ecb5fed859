"""Sites: staff set hours and numbers; a site's own number routes texts and sends its own."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import InboxItem
from tests.harness import TWILIO_FROM, Harness

PHONE = "+4791234567"
STRANGER = "+4798765432"
BERGEN = "+4755000000"


async def test_default_site_can_be_named_and_given_hours(h: Harness) -> None:
    [site] = await h.api("GET", "/api/sites", expect=200)
    changed = await h.api(
        "PATCH",
        f"/api/sites/{site['id']}",
        {
            "name": "Dagsenteret",
            "opening_hours": {"1": [["8:00", "16:30"]]},
            "quiet_hours": "22:00-07:00",
        },
        expect=200,
    )
    assert changed["name"] == "Dagsenteret"
    assert changed["opening_hours"] == {"1": [["08:00", "16:30"]]}
    await h.person(phone=PHONE)
    await h.sms(PHONE, "Kan noen ringe meg?")  # Monday 10:00, but open only on Tuesdays
    assert "tilbake i morgen kl. 08:00" in h.sms_to(PHONE)[-1]


async def test_bad_site_fields_are_422_naming_the_field(h: Harness) -> None:
    [site] = await h.api("GET", "/api/sites", expect=200)
    path = f"/api/sites/{site['id']}"
    for body, field in (
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"opening_hours": {"7": [["08:00", "16:00"]]}}, "opening_hours.7"),
        ({"opening_hours": {"0": [["16:00", "08:00"]]}}, "opening_hours.0"),
        ({"quiet_hours": "late"}, "quiet_hours"),
        ({"default_reminders": [0]}, "default_reminders"),
        ({"sms_number": "12"}, "sms_number"),
    ):
        answer = await h.api("PATCH", path, body, expect=422)
        assert list(answer["error"]["fields"]) == [field], body


async def test_a_second_site_with_its_own_number(h: Harness) -> None:
    bergen = await h.api(
        "POST",
        "/api/sites",
        {
            "name": "Bergen",
            "sms_number": "55 00 00 00",
            "opening_hours": {str(d): [["00:00", "23:59"]] for d in range(7)},
        },
        expect=201,
    )
    assert bergen["sms_number"] == BERGEN
    await h.api("POST", "/api/sites", {"name": "Kopi", "sms_number": BERGEN}, expect=409)

    # A stranger texting Bergen's number lands in Bergen's inbox and is answered from it.
    params = {"From": STRANGER, "To": BERGEN, "Body": "Hei", "MessageSid": "SMbergen1"}
    resp = await h.twilio_post("/webhooks/twilio/sms", params)
    assert resp.status == 200
    await h.send_due()
    async with h.session() as session:
        item = await session.scalar(select(InboxItem))
        assert item is not None and item.site_id == bergen["id"]
    [reply] = [m for m in h.twilio.sent if m["To"] == STRANGER]
    assert reply["From"] == BERGEN

    # Its participants' texts go out from Bergen's number; the first site's from TWILIO_FROM.
    await h.person(name="Kari Berg", phone=PHONE, site_id=bergen["id"])
    await h.person(name="Per Oslo", phone="+4791234568")
    await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Stengt i dag", "audience": {"roles": ["participant"]}, "site_id": bergen["id"]},
        expect=202,
    )
    await h.send_due()
    assert [m["From"] for m in h.twilio.sent if m["To"] == PHONE] == [BERGEN]
    assert [m for m in h.twilio.sent if m["To"] == "+4791234568"] == []
    await h.sms("+4791234568", "hjelp")
    assert [m["From"] for m in h.twilio.sent if m["To"] == "+4791234568"] == [TWILIO_FROM]


async def test_only_an_admin_may_add_a_site(h: Harness) -> None:
    from bot.staff_users import add_staff

    async with h.session() as session:
        _, coordinator = await add_staff(session, h.clock, name="Kari", email="kari@los.test")
    await h.api("POST", "/api/sites", {"name": "Trondheim"}, token=coordinator, expect=403)
