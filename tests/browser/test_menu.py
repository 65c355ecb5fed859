"""The phone menu: at 390 px the main menu folds behind a "Meny" button that is used from the
keyboard; at 1280 px, and without JavaScript, the menu is simply shown."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.pages import (
    NARROW,
    WIDE,
    base_url,
    check_axe,
    enrolled_staff,
    open_page,
    sign_in,
)
from tests.harness import Harness


async def test_phone_menu_opens_by_keyboard_and_follows_a_link(
    h: Harness, browser: Browser
) -> None:
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    button = page.get_by_role("button", name="Meny")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(button).to_have_attribute("aria-controls", "main-menu")
    await expect(menu).to_be_hidden()
    # One row: the brand, the button and "Logg ut" share the header's height.
    header = await page.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 70, header
    await check_axe(page)

    await page.keyboard.press("Tab")  # the skip link
    await page.keyboard.press("Tab")  # the brand
    await page.keyboard.press("Tab")
    await expect(button).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(menu).to_be_visible()
    await expect(menu.get_by_role("link", name="I dag")).to_have_attribute("aria-current", "page")
    await check_axe(page)
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(button).to_be_focused()

    await page.keyboard.press("Enter")
    rota = menu.get_by_role("link", name="Vaktplan")
    for _ in range(12):
        await page.keyboard.press("Tab")
        if await rota.evaluate("link => link === document.activeElement"):
            break
    await expect(rota).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{base_url(h)}/rota")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Vaktplan")
    await expect(menu).to_be_hidden()  # a new page starts with the menu folded
    await page.get_by_role("button", name="Meny").click()
    await expect(rota).to_have_attribute("aria-current", "page")
    await page.context.close()


async def test_wide_screen_and_no_javascript_show_the_menu(h: Harness, browser: Browser) -> None:
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, WIDE)
    await sign_in(page, h, "kari@los.test", secret)
    await expect(page.get_by_role("navigation", name="Hovedmeny")).to_be_visible()
    await expect(page.get_by_role("button", name="Meny")).to_be_hidden()
    cookies = await page.context.cookies()
    await page.context.close()

    context = await browser.new_context(
        base_url=base_url(h), viewport=NARROW, locale="nb-NO", java_script_enabled=False
    )
    # Signed in, as above.
    await context.add_cookies(
        [{"name": c["name"], "value": c["value"], "url": base_url(h)} for c in cookies]
    )
    page = await context.new_page()
    await page.goto("/appointments")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    await expect(menu).to_be_visible()
    await expect(page.get_by_role("button", name="Meny")).to_be_hidden()
    await expect(menu.get_by_role("link", name="Avtaler")).to_have_attribute("aria-current", "page")
    await context.close()
