"""Every view on the demo data at 1280 and 390 px: axe-core finds nothing serious or critical,
and the profile's actions (pause, resume, Telegram invitation) work from the keyboard."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.demo import demo_phone, fill_demo
from storage.models import ContactPoint, Person
from tests.browser.pages import NARROW, WIDE, check_axe, enrolled_staff, open_page, sign_in
from tests.harness import Harness, oslo


async def test_every_view_passes_axe_at_both_widths(h: Harness, browser: Browser) -> None:
    async with h.session() as session:
        await fill_demo(session, h.clock)
    await h.sms(demo_phone(100), "Kan noen ringe meg i dag?")
    await h.sms("+4798765432", "Hei, hvem er dette?")
    async with h.session() as session:
        person_id = await session.scalar(
            select(ContactPoint.person_id).where(ContactPoint.address == demo_phone(100))
        )
    secret = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    paths = [
        "/",
        "/inbox",
        "/inbox?view=resolved",
        f"/inbox/p{person_id}",
        "/people",
        "/people?q=Hansen",
        "/people/new",
        f"/people/{person_id}",
        f"/people/{person_id}/erase",
        "/settings",
        "/finnes-ikke",
    ]
    for viewport in (WIDE, NARROW):
        page = await open_page(browser, h, viewport)
        await page.goto("/login")
        await check_axe(page)
        await sign_in(page, h, "anne@los.test", secret)
        for path in paths:
            await page.goto(path)
            await check_axe(page)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}"
        await page.context.close()


async def test_pause_resume_and_invite_from_the_keyboard(h: Harness, browser: Browser) -> None:
    person = await h.person("Ola Nordmann", phone="+4791234567")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto(f"/people/{person['id']}")
    await page.get_by_role("button", name="Sett på pause").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Personen har pause.")
    assert (await h.api("GET", f"/api/people/{person['id']}"))["status"] == "paused"
    await page.get_by_role("button", name="Avslutt pausen").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Pausen er avsluttet.")
    await page.get_by_role("button", name="Lag kode").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#invite-code")).to_contain_text("Kode: ")
    await expect(page.get_by_role("img", name="QR-kode for Telegram-invitasjonen")).to_be_visible()
    code = (await page.locator("#invite-code").inner_text()).removeprefix("Kode: ")
    await h.tg(4242, f"/start {code}")
    assert (await h.api("GET", f"/api/people/{person['id']}"))["telegram_linked"] is True
    await check_axe(page)


async def test_call_me_is_set_on_the_person_page_and_calls_show_in_the_conversation(
    h: Harness, browser: Browser
) -> None:
    person = await h.person("Olena Kovalenko", phone="+4791234567", language="uk")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto(f"/people/{person['id']}")
    await expect(page.get_by_role("radio", name="SMS", exact=True)).to_be_checked()
    await page.get_by_role("radio", name="Ring meg (i stedet for SMS)").check()
    await page.get_by_role("button", name="Lagre SMS eller oppringing").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Valget for påminnelser er lagret.")
    assert (await h.api("GET", f"/api/people/{person['id']}"))["reminders_by"] == "call"
    await expect(page.get_by_role("radio", name="Ring meg (i stedet for SMS)")).to_be_checked()
    body = {"person_id": person["id"], "starts_at": "2026-03-04T10:00", "location": "Storgata 1"}
    await h.api("POST", "/api/appointments", body, expect=201)
    h.twilio.answers = ["1"]
    await h.set_time(oslo(2026, 3, 3, 10, 0))
    await h.twilio.calls_done()
    await h.send_due()
    assert len(h.twilio.calls) == 1
    await sign_in(page, h, "kari@los.test", secret)  # a day later: the session has run out
    await page.goto(f"/people/{person['id']}")
    calls = page.locator(".msg-out").filter(has=page.locator(".tag-call"))
    call = calls.filter(has_text="levert")  # the one placed; the later one was withdrawn
    await expect(call).to_have_count(1)
    await expect(call.locator(".tag-lang")).to_have_text("UK")
    await check_axe(page)


async def test_show_more_appends_the_next_page_and_works_without_javascript(
    h: Harness, browser: Browser
) -> None:
    async with h.session() as session:
        session.add_all(
            Person(site_id=1, name=f"Person {n:02}", created_at=h.clock.now()) for n in range(60)
        )
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/people")
    rows = page.locator("#people-rows > tr")
    await expect(rows).to_have_count(50)
    more = page.get_by_role("link", name="Vis flere")
    href = await more.get_attribute("href")
    await more.click()
    await expect(rows).to_have_count(60)  # appended, in place
    await expect(more).to_have_count(0)  # the last page has no link
    names = await page.locator("#people-rows > tr td:first-child").all_inner_texts()
    assert names == [f"Person {n:02}" for n in range(60)]
    await check_axe(page)
    await page.goto(str(href))  # without JavaScript the link opens the next page
    await expect(rows).to_have_count(10)
