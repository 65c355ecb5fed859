"""A person at the staff app: sign in, look at a page, check it with axe-core."""

from __future__ import annotations

from pathlib import Path

import pyotp
from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from bot.staff_users import add_staff
from handlers import staff_auth
from tests.harness import Harness

AXE = Path(__file__).parent / "vendor" / "axe-4.10.2.min.js"
PASSWORD = "tre ord og litt til"
WIDE: ViewportSize = {"width": 1280, "height": 900}
NARROW: ViewportSize = {"width": 390, "height": 844}

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


def base_url(h: Harness) -> str:
    return str(h.client.make_url("")).rstrip("/")


async def open_page(browser: Browser, h: Harness, viewport: ViewportSize = WIDE) -> Page:
    context = await browser.new_context(base_url=base_url(h), viewport=viewport, locale="nb-NO")
    # axe-core goes in before the page's own scripts; the page's CSP stays on.
    await context.add_init_script(path=str(AXE))
    return await context.new_page()


async def main_menu(page: Page) -> Locator:
    """The main menu, opened first on a phone (where it folds behind the "Meny" button)."""
    button = page.get_by_role("button", name="Meny")
    if await button.is_visible() and await button.get_attribute("aria-expanded") != "true":
        await button.click()
    return page.get_by_role("navigation", name="Hovedmeny")


async def check_axe(page: Page) -> None:
    violations: list[str] = await page.evaluate(AXE_RUN)
    assert violations == [], f"axe on {page.url}: {violations}"


async def enrolled_staff(
    h: Harness,
    email: str,
    *,
    role: str = "coordinator",
    name: str = "Kari Koordinator",
    site_ids: list[int] | None = None,
) -> str:
    """A staff user who has set a password and a TOTP app; returns the TOTP secret."""
    async with h.session() as session:
        user, _ = await add_staff(
            session, h.clock, name=name, email=email, role=role, site_ids=site_ids
        )
        user.password_hash = staff_auth.hash_password(PASSWORD)
        user.totp_secret = pyotp.random_base32()
        user.totp_enrolled_at = h.clock.now()
        return user.totp_secret


def code(h: Harness, secret: str) -> str:
    return pyotp.TOTP(secret).at(h.clock.now())


async def sign_in(
    page: Page, h: Harness, email: str, secret: str, password: str = PASSWORD
) -> None:
    await page.goto("/login")
    await page.get_by_label("E-post").fill(email)
    await page.get_by_label("Passord").fill(password)
    await page.get_by_role("button", name="Logg inn").click()
    await page.get_by_label("Kode (6 sifre)").fill(code(h, secret))
    await page.get_by_role("button", name="Bekreft").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("I dag")
    h.clock.advance(30)  # the next sign-in needs the next code: each is used once
