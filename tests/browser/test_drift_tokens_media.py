"""Leftovers of the staff app: the operations page (/drift) for admins, API tokens and disabling
a staff user in Innstillinger, and pictures and voice notes opened through Los."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, expect
from sqlalchemy import select

from handlers import ops
from storage.models import Message
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

PHONE = "+4791234567"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small real picture, so the browser shows what a participant sent."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PICTURE = png(160, 100, (70, 130, 180))


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
    menu = await main_menu(page)
    await expect(menu.get_by_role("link", name="Vaktplan")).to_be_visible()
    await expect(menu.get_by_role("link", name="Drift")).to_have_count(0)
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


async def test_a_thread_shows_a_picture_and_a_voice_note_through_los(
    h: Harness, browser: Browser, tmp_path: Path
) -> None:
    from tests.harness import TWILIO_FROM, TWILIO_SID
    from tests.test_media import OGG

    ola = await h.person("Ola Nordmann", phone=PHONE)
    h.twilio.media["ME0"] = (PICTURE, "image/png")
    params = {
        "From": PHONE,
        "To": TWILIO_FROM,
        "MessageSid": "MM1",
        "AccountSid": TWILIO_SID,
        "NumMedia": "1",
        "MediaUrl0": h.twilio.media_url("MM1", "ME0", TWILIO_SID),
        "MediaContentType0": "image/png",
        "Body": "Se på brevet",
    }
    assert (await h.twilio_post("/webhooks/twilio/sms", params)).status == 200
    await h.link_telegram(ola["id"], 555001)
    h.telegram.add_file("voice-1", OGG, "voice/file_1.oga")
    voice = {
        "update_id": 9001,
        "message": {
            "message_id": 3,
            "date": 0,
            "chat": {"id": 555001, "type": "private"},
            "voice": {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3},
        },
    }
    assert (await h.telegram_update(voice)).status == 200
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto(f"/inbox/p{ola['id']}")
    messages = page.locator(".messages")
    await expect(messages).to_contain_text("📷 Bilde: Se på brevet")
    await expect(messages).to_contain_text("🎤 Talemelding")
    picture = page.locator(".attachment img")
    await expect(picture).to_have_count(1)
    await expect(picture).to_have_js_property("complete", True)
    assert await picture.evaluate("img => img.naturalWidth") == 160  # the real picture arrived
    assert h.twilio.media_requests, "the picture was fetched from Twilio through Los"
    await expect(page.locator(".attachment audio")).to_have_count(1)
    link = page.get_by_role("link", name="Åpne 🎤 Talemelding")
    href = await link.get_attribute("href")
    assert href is not None
    response = await page.request.get(href)
    assert response.status == 200 and await response.body() == OGG
    assert h.telegram.downloads >= 1
    await check_axe(page)
    # `make screenshots` sets LOS_SCREENSHOT_DIR so that this view lands in docs/screenshots/;
    # an ordinary test run leaves the repository as it was.
    shots = Path(os.environ.get("LOS_SCREENSHOT_DIR") or tmp_path)
    await page.screenshot(path=str(shots / "thread-media-1280.png"), full_page=True)
