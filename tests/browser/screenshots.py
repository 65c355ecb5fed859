"""``make screenshots``: every staff view at 1280 and 390 px into docs/screenshots/.

Runs the demo site in-process (fake clock and providers), signs in as a coordinator with a
TOTP app, and photographs each page. Needs Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from storage.models import (
    Activity,
    Appointment,
    Broadcast,
    InboxItem,
    Person,
    Shift,
    Survey,
    VolunteerAssignment,
)
from tests.browser.conftest import CHROMIUM
from tests.browser.demo_site import demo_site
from tests.browser.pages import NARROW, WIDE, enrolled_staff, open_page, sign_in
from tests.harness import Harness

WIDTHS = {"1280": WIDE, "390": NARROW}


async def views(h: Harness) -> list[tuple[str, str]]:
    async with h.session() as session:
        crisis = await session.scalar(
            select(InboxItem.person_id).where(InboxItem.urgent.is_(True)).limit(1)
        )
        first = await session.scalar(
            select(Person.id).where(Person.contact_staff_id.is_not(None)).order_by(Person.id)
        )
        quiet = await session.scalar(
            select(VolunteerAssignment.participant_id).order_by(VolunteerAssignment.id.desc())
        )
        survey = await session.scalar(select(Survey.id).order_by(Survey.id).limit(1))
    return [
        ("today", "/"),
        ("inbox", "/inbox"),
        ("thread", f"/inbox/p{crisis}"),
        ("people", "/people"),
        ("person", f"/people/{first}"),
        ("register", "/people/new"),
        ("settings", "/settings"),
        ("erase", f"/people/{first}/erase"),
        ("not-found", "/people/999999"),
        *await work_views(h),
        ("assignments", f"/assignments?participant_id={first}"),
        ("person-followup", f"/people/{quiet}"),
        ("desk", "/desk"),
        ("reports", "/reports"),
        ("surveys", "/surveys"),
        ("survey", f"/surveys/{survey}"),
    ]


async def work_views(h: Harness) -> list[tuple[str, str]]:
    """The staff app, part 2: appointments, activities, broadcasts, rota, check-ins, drift."""
    now = h.clock.now()
    async with h.session() as session:
        activity = await session.scalar(
            select(Activity.id)
            .where(Activity.starts_at > now, Activity.status == "planned")
            .order_by(Activity.starts_at)
            .limit(1)
        )
        shift = await session.scalar(
            select(Shift.id).where(Shift.starts_at > now).order_by(Shift.starts_at).limit(1)
        )
        appointment = await session.scalar(
            select(Appointment.id).where(Appointment.starts_at > now).limit(1)
        )
        broadcast = await session.scalar(select(Broadcast.id).limit(1))
    found = [
        ("appointments", "/appointments"),
        ("appointments-week", "/appointments?span=week"),
        ("appointment-new", "/appointments/new"),
        ("activities", "/activities"),
        ("broadcasts", "/broadcasts"),
        ("rota", "/rota"),
        ("checkins", "/checkins"),
        ("drift", "/drift"),
        ("tokens", "/settings/tokens"),
    ]
    if appointment:
        found.append(("appointment-edit", f"/appointments/{appointment}"))
    if activity:
        found += [
            ("activity", f"/activities/{activity}"),
            ("activity-preview", f"/activities/{activity}?preview=1"),
        ]
    if shift:
        found.append(("shift", f"/rota/shifts/{shift}"))
    if broadcast:
        found.append(("broadcast", f"/broadcasts/{broadcast}"))
    return found


async def shoot(browser: Browser, h: Harness, out: Path) -> list[str]:
    written = []
    secret = await enrolled_staff(h, "ingrid@los.invalid", role="admin", name="Ingrid Solberg")
    for label, viewport in WIDTHS.items():
        page: Page = await open_page(browser, h, viewport)
        await page.goto("/login")
        await page.screenshot(path=out / f"login-{label}.png", full_page=True)
        await sign_in(page, h, "ingrid@los.invalid", secret)
        for name, path in await views(h):
            await page.goto(path)
            target = out / f"{name}-{label}.png"
            await page.screenshot(path=target, full_page=True)
            written.append(target.name)
        if viewport == NARROW:  # the phone menu, opened
            await page.goto("/rota")
            await page.get_by_role("button", name="Meny").click()
            await page.screenshot(path=out / "menu-390.png")
            written.append("menu-390.png")
        await page.context.close()
    return written


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        async with demo_site(Path(scratch)) as h, async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox"]
            )
            try:
                written = await shoot(browser, h, out)
            finally:
                await browser.close()
    print(f"{len(written) + 2} screenshots in {out}")


if __name__ == "__main__":
    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}: apt-get install -y chromium", file=sys.stderr)
        raise SystemExit(1)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
