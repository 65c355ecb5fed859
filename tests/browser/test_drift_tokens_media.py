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
