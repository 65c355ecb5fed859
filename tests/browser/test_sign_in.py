"""Sign-in as a person does it: a set-up link, a password, the TOTP app, lockout, CSRF."""

from __future__ import annotations

import re

import pyotp
from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.staff_users import add_staff
from handlers import staff_auth
from storage.models import StaffSession, StaffUser
from tests.browser.pages import PASSWORD, check_axe, code, enrolled_staff, open_page, sign_in
from tests.harness import Harness


async def test_a_new_staff_user_sets_up_from_the_link_with_totp_and_signs_in(
    h: Harness, browser: Browser
) -> None:
    async with h.session() as session:
        user, _ = await add_staff(session, h.clock, name="Nina Ny", email="nina@los.test")
        token = staff_auth.new_setup_link(user, h.clock)
    page = await open_page(browser, h)
    await page.goto(f"/setup/{token}")
    await check_axe(page)
    await page.get_by_label("Nytt passord").fill("passord12345")
    await page.get_by_label("Gjenta passordet").fill("passord12345")
    await page.get_by_role("button", name="Lagre passord").click()
    await expect(page.locator("#e-password")).to_have_text(
        "Dette passordet er for vanlig eller lett å gjette. Velg et annet."
    )
    await page.get_by_label("Nytt passord").fill(PASSWORD)
    await page.get_by_label("Gjenta passordet").fill(PASSWORD)
    await page.get_by_role("button", name="Lagre passord").click()
    await expect(page.get_by_role("status")).to_contain_text("Passordet er lagret")

    await page.get_by_label("E-post").fill("nina@los.test")
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sett opp engangskoder")
    await expect(page.locator("figure.qr svg")).to_be_visible()
    await check_axe(page)
    secret = await page.locator("#totp-secret").inner_text()
    await page.get_by_label("Kode (6 sifre)").fill("000000")
    await page.get_by_role("button", name="Bekreft").click()
    await expect(page.get_by_role("alert")).to_contain_text("Koden stemmer ikke")
    await page.get_by_label("Kode (6 sifre)").fill(pyotp.TOTP(secret).at(h.clock.now()))
    await page.get_by_role("button", name="Bekreft").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("I dag")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "los_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # The link is used up; the second sign-in asks for a code without enrolling again.
    await page.get_by_role("button", name="Logg ut").click()
    await page.goto(f"/setup/{token}")
    await expect(page.get_by_role("alert")).to_contain_text("Lenken virker ikke lenger")
    h.clock.advance(30)
    await sign_in(page, h, "nina@los.test", secret)
    async with h.session() as session:
        stored = await session.scalar(select(StaffUser).where(StaffUser.email == "nina@los.test"))
        assert stored is not None and stored.password_hash != PASSWORD
        assert stored.password_hash and stored.password_hash.startswith("$argon2id$")


async def test_five_bad_passwords_lock_the_account_for_15_minutes(
    h: Harness, browser: Browser
) -> None:
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await page.goto("/login")
    for _ in range(5):
        await page.get_by_label("E-post").fill("kari@los.test")
        await page.get_by_label("Passord").fill("feil passord igjen")
        await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "For mange feil forsøk. Kontoen er låst i 15 minutter."
    )
    await check_axe(page)
    # Even the right password is refused while locked.
    await page.get_by_label("E-post").fill("kari@los.test")
    await page.get_by_label("Passord").fill(PASSWORD)
    await page.get_by_role("button", name="Logg inn").click()
    await expect(page.get_by_role("alert")).to_contain_text("låst i 15 minutter")
    h.clock.advance(15 * 60 + 1)
    await sign_in(page, h, "kari@los.test", secret)


async def test_a_post_without_the_csrf_token_is_rejected(h: Harness, browser: Browser) -> None:
    person = await h.person("Ola Nordmann", phone="+4791234567")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto(f"/people/{person['id']}")
    # Someone else's page (or a tampered one) posts the form without the token.
    await page.locator("form[action$='/pause'] input[name=csrf]").evaluate("e => e.remove()")
    await page.get_by_role("button", name="Sett på pause").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ikke tilgang")
    await expect(page.locator("main")).to_contain_text("Skjemaet var for gammelt")
    fetched = await h.api("GET", f"/api/people/{person['id']}", expect=200)
    assert fetched["status"] == "active"
    # An htmx request carries the token in a header; without it, refused too.
    refused = await page.request.post("/inbox/count", form={"text": "hei"})
    assert refused.status == 403


async def test_sessions_time_out_and_a_disabled_user_is_out_at_once(
    h: Harness, browser: Browser
) -> None:
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    h.clock.advance(31 * 60)  # idle for more than 30 minutes
    await page.goto("/inbox")
    await expect(page).to_have_url(re.compile(r"/login\?expired=1"))
    h.clock.advance(30)
    await sign_in(page, h, "kari@los.test", secret)
    async with h.session() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "kari@los.test"))
        assert user is not None
        user.disabled_at = h.clock.now()
    await page.goto("/people")
    await expect(page).to_have_url(re.compile(r"/login"))
    async with h.session() as session:
        sessions = list(await session.scalars(select(StaffSession)))
    assert all(len(s.token_hash) == 64 for s in sessions)  # only hashes are stored
    assert code(h, secret).isdigit()
