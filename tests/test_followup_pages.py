"""The follow-up pages over HTTP: the person page's sections, Oppdrag with matching and
hand-over in one step, "not seen" on I dag with its button, and the desk list."""

from __future__ import annotations

from tests.harness import Harness, oslo
from tests.staff_app import make_staff, page_csrf, sign_in

OLA = "+4791234567"
SIRI = "+4790000001"


async def test_matching_pairing_and_hand_over_from_the_oppdrag_page(h: Harness) -> None:
    kari = await h.person("Kari Ansatt", roles=["staff"], phone=None)
    ola = await h.person("Ola Nordmann", phone=OLA, contact_staff_id=kari["id"])
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=SIRI)
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")

    page = await (await h.client.get(f"/assignments?participant_id={ola['id']}")).text()
    assert "Forslag for Ola Nordmann" in page and "Siri Hansen" in page
    csrf = await page_csrf(h, "/assignments")
    resp = await h.client.post(
        "/assignments",
        data={
            "csrf": csrf,
            "participant_id": str(ola["id"]),
            "volunteer_id": str(siri["id"]),
            "goal": "Gå turer",
        },
        allow_redirects=False,
    )
    assert resp.status == 303
    await h.send_due()
    assert h.sms_to(SIRI)[-1].startswith("Du er nå koblet med Ola.")
    [made] = await h.items("/api/assignments")
    page = await (await h.client.get("/assignments")).text()
    assert "Gå turer" in page and "Overlever nå" in page

    resp = await h.client.post(
        f"/assignments/{made['id']}/hand-over",
        data={"csrf": csrf, "staff_person_id": str(kari["id"])},
        allow_redirects=False,
    )
    assert resp.status == 303
    await h.send_due()
    assert h.sms_to(OLA)[-1] == "Fra nå er det Kari hos oss du kan kontakte. Skriv hit som før."
    shown = await h.api("GET", f"/api/assignments/{made['id']}", expect=200)
    assert shown["status"] == "handed_over"


async def test_person_page_records_consent_reminders_and_seen_today(h: Harness) -> None:
    kari = await h.person("Kari Ansatt", roles=["staff"], phone=None)
    ola = await h.person("Ola Nordmann", phone=OLA, contact_staff_id=kari["id"])
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=None)
    await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": siri["id"], "participant_id": ola["id"], "review_on": "2026-12-01"},
        expect=201,
    )
    await h.advance(minutes=1)
    await h.set_time(oslo(2026, 3, 20, 10, 0))  # 18 days quiet: on I dag's "not seen"
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    path = f"/people/{ola['id']}"
    csrf = await page_csrf(h, path)

    bad = await h.client.post(
        f"{path}/consents", data={"csrf": csrf, "scope": "partner", "how": "oral", "party": ""}
    )
    assert bad.status == 422 and "Skriv hvem samtykket gjelder." in await bad.text()
    await h.client.post(
        f"{path}/consents",
        data={"csrf": csrf, "scope": "partner", "how": "written", "party": "Boligkontoret"},
    )
    await h.client.post(
        f"{path}/reminders",
        data={"csrf": csrf, "kind": "mailbox", "weekday": "2", "at": "11:00"},
    )
    page = await (await h.client.get(path)).text()
    assert "Boligkontoret" in page and "Sjekk postkassen" in page
    assert "neste 25.03.2026 11:00" in page

    today = await (await h.client.get("/")).text()
    assert "Ikke sett" in today and "17 dager siden sist" in today
    resp = await h.client.post(
        f"{path}/seen?back=today", data={"csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"] == "/"
    today = await (await h.client.get("/")).text()
    assert "17 dager siden sist" not in today


async def test_the_desk_list_page_shows_what_to_hand_over(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=None)
    await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "rent", "day_of_month": 5, "at": "10:00"},
        expect=201,
    )
    await h.set_time(oslo(2026, 3, 5, 10, 0))
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    page = await (await h.client.get("/desk")).text()
    assert "Ola Nordmann" in page and "Husk husleia i dag." in page
