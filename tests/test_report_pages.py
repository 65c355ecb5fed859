"""The Rapporter and Undersøkelser pages over HTTP: exact numbers on the page, "<5" in the
downloads and on the print page, and a survey written, sent and read through the forms."""

from __future__ import annotations

import csv
import io

from bot.demo import fill_demo
from tests.harness import Harness
from tests.staff_app import make_staff, page_csrf, sign_in

PERIOD = "from=2025-03-02&to=2026-03-02"


async def signed_in_with_demo(h: Harness) -> None:
    async with h.session() as session:
        await fill_demo(session, h.clock)
    await make_staff(h, "kari@los.test", site_ids=[1])
    await sign_in(h, "kari@los.test")


async def test_reports_show_exact_numbers_and_downloads_protect_small_ones(h: Harness) -> None:
    await signed_in_with_demo(h)
    resp = await h.client.get(f"/reports?{PERIOD}")
    html = await resp.text()
    assert resp.status == 200, html[:3000]
    assert 'data-key="people.intakes.short_term">3<' in html
    assert "<svg" in html and "Quiz og bingo" in html
    assert 'href="/reports/report.csv?' in html
    # Follow-up: the demo's assignments and signs of life, exact on the staff page.
    assert "Timer i oppdrag (TREFF)</th>" in html
    assert 'data-key="volunteers.assignments_handed_over">1<' in html
    assert 'data-key="volunteers.assignment_meetings">9<' in html
    assert "Ikke hørt fra innen fristen</th>" in html
    assert 'data-key="signs_of_life.gentle_texts">1<' in html

    resp = await h.client.get(f"/reports/report.csv?{PERIOD}&site=1")
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(await resp.text()))}
    assert rows[("people", "intakes.short_term")] == "<5"
    assert rows[("people", "intakes.taken_in")] == "24"
    assert rows[("activities", "by_type.quiz_bingo.held")] == "17"
    assert rows[("volunteers", "assignments_handed_over")] == "<5"
    assert rows[("volunteers", "assignment_meetings")] == "9"
    assert rows[("signs_of_life", "reached")] == "5"
    assert rows[("signs_of_life", "not_reached")] == "<5"

    printed = await (await h.client.get(f"/reports/print?{PERIOD}")).text()
    assert 'data-key="people.intakes.short_term">&lt;5<' in printed
    assert 'data-key="volunteers.assignments_handed_over">&lt;5<' in printed
    assert 'data-key="signs_of_life.gentle_texts">&lt;5<' in printed
    resp = await h.client.get(f"/reports/report.xlsx?{PERIOD}")
    assert resp.status == 200 and (await resp.read())[:2] == b"PK"


async def test_a_bad_period_keeps_the_page_and_names_the_field(h: Harness) -> None:
    await signed_in_with_demo(h)
    resp = await h.client.get("/reports?from=2026-03-01&to=2026-01-01")
    assert resp.status == 422
    assert 'id="e-to"' in await resp.text()
    resp = await h.client.get("/reports/report.csv?from=nope")
    assert resp.status == 404


async def test_a_survey_is_written_sent_and_read_through_the_pages(h: Harness) -> None:
    phones = [f"+479200000{n}" for n in range(5)]
    for n, phone in enumerate(phones):
        await h.person(f"Deltaker {n}", phone=phone)
    await make_staff(h, "kari@los.test", site_ids=[1])
    await sign_in(h, "kari@los.test")
    csrf = await page_csrf(h, "/surveys")
    resp = await h.client.post(
        "/surveys",
        data={"csrf": csrf, "title": "", "q1": "Hvordan var maten?", "kind1": "scale"},
    )
    assert resp.status == 422
    assert 'id="e-title"' in await resp.text()
    resp = await h.client.post(
        "/surveys",
        data={
            "csrf": csrf,
            "title": "Matundersøkelse",
            "anonymous": "1",
            "q1": "Hvordan var maten?",
            "kind1": "scale",
            "q2": "Noe vi bør endre?",
            "kind2": "text",
        },
    )
    assert resp.status == 200 and "/surveys/" in str(resp.url)
    page_url = str(resp.url.path)
    resp = await h.client.post(f"{page_url}/send", data={"csrf": csrf, "audience": "participants"})
    assert "Sendt til 5" in await resp.text()
    await h.send_due()
    for n, phone in enumerate(phones):
        await h.sms(phone, str(3 + n % 3))
        await h.sms(phone, "Mer grønnsaker")
    html = await (await h.client.get(page_url)).text()
    assert 'id="count-answered">5<' in html
    assert "n = 5" in html and "snitt 3.8" in html
    assert "Mer grønnsaker" in html
