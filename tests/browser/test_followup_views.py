"""The follow-up views in a browser on the demo data, at 1280 and 390 px: axe-core finds nothing
serious or critical, nothing scrolls sideways, and each view's main task works."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.demo import fill_demo
from storage.models import Person, VolunteerAssignment
from tests.browser.pages import NARROW, WIDE, check_axe, enrolled_staff, open_page, sign_in
from tests.harness import Harness


async def demo(h: Harness) -> tuple[int, int]:
    """The demo, and the participant of its first assignment and the man without a phone."""
    async with h.session() as session:
        await fill_demo(session, h.clock)
        walker = await session.scalar(
            select(VolunteerAssignment.participant_id).order_by(VolunteerAssignment.id).limit(1)
        )
        bjorn = await session.scalar(select(Person.id).where(Person.name == "Bjørn Uten Telefon"))
    assert walker is not None and bjorn is not None
    return walker, bjorn


async def test_follow_up_views_pass_axe_at_both_widths(h: Harness, browser: Browser) -> None:
    walker, bjorn = await demo(h)
    secret = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    paths = [
        "/assignments",
        f"/assignments?participant_id={walker}",
        f"/people/{walker}",
        f"/people/{bjorn}",
        "/desk",
        "/",
    ]
    for viewport in (WIDE, NARROW):
        page = await open_page(browser, h, viewport)
        await sign_in(page, h, "anne@los.test", secret)
        for path in paths:
            await page.goto(path)
            await check_axe(page)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}"
        await page.context.close()


async def test_seen_today_from_i_dag_takes_the_person_off_not_seen(
    h: Harness, browser: Browser
) -> None:
    await demo(h)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    section = page.locator("section", has=page.get_by_role("heading", name="Ikke sett"))
    await expect(section.get_by_role("listitem")).to_have_count(1)
    await section.get_by_role("button", name="Sett i dag").first.click()
    await expect(
        section.get_by_text("Alle med plan eller oppdrag er sett i det siste.")
    ).to_be_visible()
    await check_axe(page)


async def test_pair_a_volunteer_and_hand_over_from_oppdrag(h: Harness, browser: Browser) -> None:
    await demo(h)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, WIDE)
    await sign_in(page, h, "kari@los.test", secret)
    before = await h.items("/api/assignments?status=handed_over")
    assert len(before) == 1  # the demo's, handed over in the autumn
    await page.goto("/assignments")
    await page.get_by_role("button", name="Finn tidgivere").click()
    await expect(page.get_by_role("heading", level=3)).to_contain_text("Forslag for")
    await page.get_by_role("button", name="Start oppdraget").click()
    await expect(page.get_by_role("status")).to_contain_text("Oppdraget er startet.")
    await page.get_by_text("Overlever", exact=True).first.click()
    await page.get_by_role("button", name="Overlever nå").first.click()
    await expect(page.get_by_role("status")).to_contain_text("Overlevert.")
    handed = await h.items("/api/assignments?status=handed_over")
    assert len(handed) == 2


async def test_record_consent_and_a_reminder_on_the_person_page(
    h: Harness, browser: Browser
) -> None:
    walker, _bjorn = await demo(h)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto(f"/people/{walker}")
    await page.get_by_text("Registrer samtykke").click()
    await page.get_by_label("Hva").select_option("partner")
    await page.get_by_label("Hvem (samarbeidspart eller pårørende)").fill("Boligkontoret")
    await page.get_by_role("button", name="Lagre samtykke").click()
    await expect(page.get_by_role("status")).to_have_text("Samtykket er registrert.")
    await page.get_by_text("Ny påminnelse").click()
    await page.get_by_label("Mal").select_option("mailbox")
    await page.get_by_label("Ukedag").select_option("2")
    await page.get_by_role("button", name="Lagre påminnelse").click()
    await expect(page.get_by_role("status")).to_have_text("Påminnelsen er lagt inn.")
    await check_axe(page)
    listed = await h.items(f"/api/reminders?person_id={walker}")
    assert [r["kind"] for r in listed] == ["mailbox"]
