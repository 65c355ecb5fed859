"""Exports that name a person obey their consent (handlers/followup/consent.py): the desk list
leaves out someone who withdrew consent to texts, and a partner is suggested only while the
person's consent to contact that partner is recorded: in the API and on the staff pages alike.

The clock starts on Monday 2 March 2026 at 10:00 in Oslo.
"""

from __future__ import annotations

from typing import Any

from tests.harness import Harness, oslo
from tests.staff_app import make_staff, sign_in

OLA = "+4791234567"
PICKUP = "Husk hentingen i dag. Svar FERDIG når det er gjort."


async def consent(h: Harness, person: dict[str, Any], scope: str, party: str | None = None) -> int:
    body = {"scope": scope, "how": "oral", **({"party": party} if party else {})}
    made = await h.api("POST", f"/api/people/{person['id']}/consents", body, expect=201)
    return int(made["id"])


async def withdraw(h: Harness, person: dict[str, Any], consent_id: int) -> None:
    path = f"/api/people/{person['id']}/consents/{consent_id}/withdraw"
    await h.api("POST", path, expect=200)


async def desk_names(h: Harness) -> tuple[list[str | None], str]:
    """The desk list from the API, and the staff app's printable page."""
    desk = await h.api("GET", "/api/desk-list", expect=200)
    resp = await h.client.get("/desk")
    assert resp.status == 200
    page = await resp.text()
    return [d["name"] for d in desk["messages"]], page


async def test_the_desk_list_follows_consent_to_texts(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=None)
    await h.api(
        "POST",
        "/api/reminders",
        {"person_id": ola["id"], "kind": "pickup", "weekday": 3, "at": "10:00"},
        expect=201,
    )
    await h.set_time(oslo(2026, 3, 5, 10, 0))
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    # Registered, nothing recorded: registering is the consent to texts, so he is on it.
    names, page = await desk_names(h)
    assert names == ["Ola Nordmann"] and PICKUP in page
    first = await consent(h, ola, "texts")
    await withdraw(h, ola, first)
    names, page = await desk_names(h)
    assert names == [] and "Ola Nordmann" not in page and PICKUP not in page
    again = await consent(h, ola, "texts")
    names, page = await desk_names(h)
    assert names == ["Ola Nordmann"] and PICKUP in page
    await withdraw(h, ola, again)
    names, page = await desk_names(h)
    assert names == [] and PICKUP not in page


async def test_a_partner_is_suggested_only_with_consent(h: Harness) -> None:
    kari = await h.person("Kari Ansatt", roles=["staff"], phone=None)
    ola = await h.person("Ola Nordmann", phone=OLA, contact_staff_id=kari["id"])
    siri = await h.person("Siri Hansen", roles=["volunteer"], phone=None)
    made = await h.api(
        "POST",
        "/api/assignments",
        {"volunteer_id": siri["id"], "participant_id": ola["id"], "review_on": "2026-12-01"},
        expect=201,
    )
    await h.advance(minutes=1)  # following starts: the count begins
    await h.set_time(oslo(2026, 3, 20, 10, 0))  # 18 days quiet: on the "not seen" list

    await make_staff(h, "anne@los.test")
    await sign_in(h, "anne@los.test")

    async def suggested() -> tuple[list[str], list[str]]:
        """The API's answers; the staff app's Oppdrag page must name the same partners."""
        shown = await h.api("GET", f"/api/assignments/{made['id']}", expect=200)
        [quiet] = await h.api("GET", "/api/not-seen", expect=200)
        page = await (await h.client.get("/assignments")).text()
        marker = f'data-may-contact="{made["id"]}"'
        if shown["may_contact"]:
            assert marker in page and "Samtykke til kontakt med: NAV Grünerløkka" in page
        else:
            assert marker not in page and "NAV" not in page
        return shown["may_contact"], quiet["may_contact"]

    assert made["may_contact"] == []
    assert await suggested() == ([], [])
    await consent(h, ola, "texts")
    await consent(h, ola, "photos")
    assert await suggested() == ([], [])  # no consent names a partner
    nav = await consent(h, ola, "partner", "NAV Grünerløkka")
    assert await suggested() == (["NAV Grünerløkka"], ["NAV Grünerløkka"])
    await withdraw(h, ola, nav)
    assert await suggested() == ([], [])
    # The key worker's inbox item three days after "Alt vel?" names no partner either.
    await h.set_time(oslo(2026, 3, 24, 10, 0))
    items = await h.api("GET", "/api/inbox?status=all", expect=200)
    summaries = [i.get("summary") or "" for i in items["items"]]
    assert summaries and not any("NAV" in s for s in summaries)
