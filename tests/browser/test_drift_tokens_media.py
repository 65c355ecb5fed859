"""Leftovers of the staff app: the operations page (/drift) for admins, API tokens and disabling
a staff user in Innstillinger, and pictures and voice notes opened through Los."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect
from sqlalchemy import select

from handlers import ops
from storage.models import Message
from tests.browser.pages import NARROW, WIDE, check_axe, enrolled_staff, open_page, sign_in
from tests.harness import Harness

PHONE = "+4791234567"


async def test_drift_shows_held_texts_and_an_admin_cancels_them(
    h: Harness, browser: Browser
) -> None:
    ola = await h.person("Ola Nordmann", phone=PHONE)
    when = (h.clock.now() + timedelta(days=3)).replace(microsecond=0)
    await h.api(
        "POST",
        "/api/appointments",
        {"person_id": ola["id"], "starts_at": when.isoformat(), "reminders_minutes_before": [60]},
        expect=201,
    )
    async with h.session() as session:
        held = await ops.hold_outbox(session)  # as after a restore
    assert held >= 1
    coordinator = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", coordinator)
    await expect(page.get_by_role("link", name="Drift")).to_have_count(0)
    response = await page.goto("/drift")
    assert response is not None and response.status == 403
    await page.context.close()

    admin = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    page = await open_page(browser, h, WIDE)
    await sign_in(page, h, "anne@los.test", admin)
    await page.get_by_role("link", name="Drift").click()
    await expect(
        page.get_by_role("heading", name="Holdt tilbake etter gjenoppretting")
    ).to_contain_text(str(held))
    await check_axe(page)
    await page.get_by_role("button", name="Forkast alle").click()
    await expect(page.get_by_role("status")).to_have_text("De holdte meldingene er forkastet.")
    await expect(page.get_by_text("Ingen meldinger holdes tilbake.")).to_be_visible()
    async with h.session() as session:
        statuses = set(await session.scalars(select(Message.status)))
    assert "held" not in statuses and "cancelled" in statuses


async def test_admin_makes_uses_and_revokes_a_token_and_disables_a_user(
    h: Harness, browser: Browser
) -> None:
    admin = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    other = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    kari = await open_page(browser, h, NARROW)
    await sign_in(kari, h, "kari@los.test", other)
    page = await open_page(browser, h)
    await sign_in(page, h, "anne@los.test", admin)
    await page.goto("/settings")
    await page.get_by_role("link", name="API-nøkler og å stenge en bruker").click()
    await check_axe(page)
    await page.get_by_label("Navn").fill("rapportskript")
    await page.get_by_role("button", name="Lag nøkkel").click()
    secret = (await page.locator("#token-secret").inner_text()).strip()
    assert secret.startswith("los_")
    resp = await h.client.get("/api/people", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status == 200
    await page.goto("/settings/tokens")
    await expect(page.locator("#token-secret")).to_have_count(0)  # shown once
    row = page.locator("tr", has_text="rapportskript")
    await expect(row).not_to_contain_text("aldri")  # its last use is shown
    await row.get_by_role("button", name="Trekk tilbake: rapportskript (Anne Admin)").click()
    await expect(page.get_by_role("status")).to_have_text("Nøkkelen virker ikke lenger.")
    resp = await h.client.get("/api/people", headers={"Authorization": f"Bearer {secret}"})
    assert resp.status == 401
    await page.get_by_role("button", name="Steng: Kari Koordinator").click()
    await expect(page.get_by_role("status")).to_contain_text("Brukeren er stengt.")
    await check_axe(page)
    await kari.goto("/inbox")
    await expect(kari.get_by_role("heading", level=1)).to_have_text("Logg inn")
