"""Rapporter and Undersøkelser in the browser: download the report's CSV and read its numbers,
print the funder page, and write, send and read a survey by keyboard; axe at both widths."""

from __future__ import annotations

import csv
from pathlib import Path

from playwright.async_api import Browser, expect

from bot.demo import fill_demo
from tests.browser.pages import (
    NARROW,
    WIDE,
    check_axe,
    enrolled_staff,
    main_menu,
    open_page,
    sign_in,
)
from tests.harness import Harness


async def test_download_the_report_csv_and_read_its_numbers(
    h: Harness, browser: Browser, tmp_path: Path
) -> None:
    async with h.session() as session:
        await fill_demo(session, h.clock)
    secret = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    for viewport in (WIDE, NARROW):
        page = await open_page(browser, h, viewport)
        await sign_in(page, h, "kari@los.test", secret)
        await (await main_menu(page)).get_by_role("link", name="Rapporter").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Rapporter")
        await check_axe(page)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"/reports scrolls sideways at {viewport['width']}"
        await expect(page.locator('[data-key="people.intakes.short_term"]')).to_have_text("3")
        await expect(page.get_by_role("img", name="Deltakelser per aktivitetstype")).to_be_visible()
        if viewport is WIDE:
            async with page.expect_download() as info:
                await page.get_by_role("link", name="CSV (regneark, enkel)").click()
            target = tmp_path / "report.csv"
            await (await info.value).save_as(target)
            with target.open(encoding="utf-8") as f:
                rows = {(r[0], r[1]): r[2] for r in csv.reader(f)}
            assert rows[("activities", "by_type.quiz_bingo.held")] == "17"
            assert rows[("activities", "by_type.quiz_bingo.participations")] == "204"
            assert rows[("people", "intakes.taken_in")] == "24"
            assert rows[("people", "intakes.short_term")] == "<5"
            await page.get_by_role("link", name="Utskrift / PDF for bidragsytere").click()
            await expect(page.locator('[data-key="people.intakes.short_term"]')).to_have_text("<5")
            await check_axe(page)
        await page.context.close()


async def test_write_send_and_read_a_survey_by_keyboard(h: Harness, browser: Browser) -> None:
    phones = [f"+479300000{n}" for n in range(5)]
    for n, phone in enumerate(phones):
        await h.person(f"Deltaker {n}", phone=phone)
    secret = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/surveys")
    await check_axe(page)
    await page.get_by_label("Tittel").fill("Kaffe")
    await page.get_by_label("Spørsmål 1").fill("Hvor god er kaffen?")
    await page.get_by_label("Spørsmål 2").fill("Vil du ha te også?")
    await page.locator("#f-kind2").select_option("yesno")
    await page.get_by_role("button", name="Lagre undersøkelsen").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Kaffe")
    await page.get_by_role("button", name="Send", exact=True).focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#sent-notice")).to_contain_text("Sendt til 5")
    await check_axe(page)
    await h.send_due()
    for n, phone in enumerate(phones):
        await h.sms(phone, str(5 - n % 2))
        await h.sms(phone, "ja" if n else "nei")
    await page.reload()
    await expect(page.locator("#count-answered")).to_have_text("5")
    await expect(page.locator('[data-q="1-mean"]')).to_have_text("snitt 4.6")
    await expect(page.get_by_role("img", name="Svarene på spørsmål 2")).to_be_visible()
    await check_axe(page)
    await page.goto("/surveys")
    await expect(page.get_by_role("link", name="Kaffe")).to_be_visible()


async def test_the_person_form_feeds_the_reports_breakdown(h: Harness, browser: Browser) -> None:
    secret = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/people/new")
    await page.get_by_label("Navn").fill("Åse Ny")
    await page.get_by_label("Kjønn").select_option(label="Kvinne")
    await page.get_by_label("Kommune").fill("Asker")
    await page.get_by_label("Inntakssamtale", exact=True).select_option(label="Kortvarig")
    await check_axe(page)
    await page.get_by_role("button", name="Registrer").click()
    await expect(page.locator("#fact-gender")).to_have_text("Kvinne")
    await expect(page.locator("#fact-intake")).to_have_text("Kortvarig (02.03.2026)")
    await page.get_by_role("link", name="Endre opplysninger").click()
    await expect(page.get_by_label("Kommune")).to_have_value("Asker")
    await check_axe(page)
    await page.get_by_label("Inntakssamtale", exact=True).select_option(label="Henvist videre")
    await page.get_by_label("Dato for inntakssamtalen").fill("2026-02-20")
    await page.get_by_role("button", name="Lagre").click()
    await expect(page.locator("#fact-intake")).to_have_text("Henvist videre (20.02.2026)")
    await expect(page.locator("#fact-municipality")).to_have_text("Asker")
    await check_axe(page)
    await page.get_by_role("link", name="Rapporter").click()
    await expect(page.locator('[data-key="people.by_municipality.Asker"]')).to_have_text("1")
    await expect(page.locator('[data-key="people.intakes.referred"]')).to_have_text("1")
    await expect(page.locator('[data-key="people.participants_by_gender.woman"]')).to_have_text("1")
    await page.context.close()
