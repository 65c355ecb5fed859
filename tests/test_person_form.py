"""The staff app's person form records gender, municipality and the intake conversation (optional,
as the API has them) on registering and on changing a person, and the yearly report counts them.

The clock starts on Monday 2 March 2026 at 10:00 in Oslo.
"""

from __future__ import annotations

from typing import Any

from tests.harness import Harness
from tests.staff_app import make_staff, page_csrf, sign_in


def figures(report: dict[str, Any], section: str) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["sections"][section]}


async def test_register_and_change_the_report_fields(h: Harness) -> None:
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    csrf = await page_csrf(h, "/people/new")
    resp = await h.client.post(
        "/people/new",
        data={
            "name": "Åse Ny",
            "roles": "participant",
            "gender": "woman",
            "municipality": "  Bærum ",
            "intake_outcome": "short_term",
            "intake_on": "",
            "csrf": csrf,
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    person_path = resp.headers["Location"].split("?")[0]
    person = await h.api("GET", f"/api{person_path}", expect=200)
    assert (person["gender"], person["municipality"]) == ("woman", "Bærum")
    assert (person["intake_outcome"], person["intake_on"]) == ("short_term", "2026-03-02")
    profile = await (await h.client.get(person_path)).text()
    assert "Kvinne" in profile and "Bærum" in profile and "Kortvarig (02.03.2026)" in profile

    edit = await (await h.client.get(f"{person_path}/edit")).text()
    assert 'value="Bærum"' in edit and '<option value="short_term" selected>' in edit
    resp = await h.client.post(
        f"{person_path}/edit",
        data={
            "name": "Åse Ny",
            "gender": "",
            "municipality": "Oslo",
            "intake_outcome": "referred",
            "intake_on": "2026-02-10",
            "csrf": csrf,
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    person = await h.api("GET", f"/api{person_path}", expect=200)
    assert (person["gender"], person["municipality"]) == (None, "Oslo")
    assert (person["intake_outcome"], person["intake_on"]) == ("referred", "2026-02-10")

    report = await h.api("GET", "/api/reports/year?from=2026-01-01&to=2026-03-03", expect=200)
    people = figures(report, "people")
    assert people["intakes.referred"] == 1 and people["intakes.short_term"] == 0
    assert people["by_municipality.Oslo"] == 1
    assert people["participants_by_gender.not_recorded"] == 1


async def test_bad_report_fields_are_named_and_nothing_is_saved(h: Harness) -> None:
    ola = await h.person("Ola Nordmann", phone=None)
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    csrf = await page_csrf(h, f"/people/{ola['id']}/edit")
    cases = [
        ({"gender": "ukjent"}, "Velg kjønn fra listen."),
        ({"intake_outcome": "maybe"}, "Velg resultat fra listen."),
        ({"intake_outcome": "taken_in", "intake_on": "31.02.2026"}, "Skriv en dato som"),
        ({"intake_on": "2026-02-10"}, "Velg resultat av inntakssamtalen"),
        ({"municipality": "x" * 81}, "høyst 80 tegn"),
        ({"name": "  "}, "Skriv et navn."),
    ]
    for extra, message in cases:
        data = {"name": "Ola Nordmann", "municipality": "Oslo", "csrf": csrf, **extra}
        resp = await h.client.post(f"/people/{ola['id']}/edit", data=data)
        assert resp.status == 422, extra
        html = await resp.text()
        assert message in html, extra
        assert 'aria-invalid="true"' in html
    person = await h.api("GET", f"/api/people/{ola['id']}", expect=200)
    assert (person["municipality"], person["gender"], person["intake_outcome"]) == (
        None,
        None,
        None,
    )
    # Registering with a bad field registers nobody.
    csrf = await page_csrf(h, "/people/new")
    resp = await h.client.post(
        "/people/new",
        data={"name": "Per Ny", "roles": "participant", "gender": "x", "csrf": csrf},
    )
    assert resp.status == 422 and 'value="Per Ny"' in await resp.text()
    everyone = await h.items("/api/people")
    assert [p["name"] for p in everyone] == ["Ola Nordmann"]
