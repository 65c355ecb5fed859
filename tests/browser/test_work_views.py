"""The staff app, part 2, through the pages as a coordinator would: appointments, activities at
the door, broadcasts, the rota and check-ins, each checked where its result lands."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from tests.browser.pages import NARROW, check_axe, enrolled_staff, open_page, sign_in
from tests.harness import Harness

PHONE = "+4791234567"
OSLO = ZoneInfo("Europe/Oslo")


async def test_appointment_reminder_and_answer_in_the_list(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.get_by_role("link", name="Avtaler").click()
    await check_axe(page)
    await page.get_by_role("link", name="Ny avtale").click()
    await page.get_by_label("Finn person").fill("Ola")
    await page.get_by_role("button", name="Søk").click()
    await page.get_by_label("Person", exact=True).select_option(label="Ola Nordmann")
    when = (h.clock.now() + timedelta(days=2)).astimezone(OSLO).replace(hour=10, minute=0)
    await page.get_by_label("Tidspunkt").fill(when.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Sted").fill("NAV Grünerløkka")
    await page.get_by_label("Påminnelser (timer før)").fill("24")
    await check_axe(page)
    await page.get_by_role("button", name="Lagre avtalen").click()
    await expect(page.get_by_role("status")).to_contain_text("Avtalen er lagret")
    await expect(page.locator(".appt")).to_contain_text("Ikke svart ennå")

    await h.set_time(when - timedelta(hours=24, minutes=-1))
    await h.send_due()
    assert any("10:00" in text for text in h.sms_to(PHONE)), h.sms_to(PHONE)
    await h.sms(PHONE, "JA")
    await sign_in(page, h, "kari@los.test", secret)  # a day later the session has timed out
    await page.goto("/appointments?span=week&day=" + when.date().isoformat())
    await expect(page.locator(".appt")).to_contain_text("Kommer (JA)")
    await check_axe(page)


async def test_appointment_form_keeps_what_was_typed(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/appointments/new")
    await page.get_by_label("Person", exact=True).select_option(label="Ola Nordmann")
    past = (h.clock.now() - timedelta(days=1)).astimezone(OSLO)
    await page.get_by_label("Tidspunkt").fill(past.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Sted").fill("Kontoret")
    await page.get_by_role("button", name="Lagre avtalen").click()
    await expect(page.locator("#e-starts_at")).to_have_text("Skriv et tidspunkt fram i tid.")
    await expect(page.get_by_label("Sted")).to_have_value("Kontoret")
    await check_axe(page)
