"""The staff app, part 2, through the pages as a coordinator would: appointments, activities at
the door, broadcasts, the rota and check-ins, each checked where its result lands."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from tests.browser.pages import NARROW, check_axe, enrolled_staff, main_menu, open_page, sign_in
from tests.harness import Harness

PHONE = "+4791234567"
OSLO = ZoneInfo("Europe/Oslo")


async def test_appointment_reminder_and_answer_in_the_list(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.get_by_role("link", name="Avtaler").click()
    await check_axe(page)
    await page.get_by_role("link", name="Ny avtale").click()
    await page.get_by_label("Finn person").fill("Ola")
    await page.get_by_role("button", name="Søk").click()
    await page.get_by_label("Person", exact=True).select_option(label="Ola Nordmann")
    when = (h.clock.now() + timedelta(days=2)).astimezone(OSLO).replace(hour=10, minute=0)
    await page.get_by_label("Tidspunkt").fill(when.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Sted").fill("NAV Grünerløkka")
    await page.get_by_label("Påminnelser (timer før)").fill("24")
    await check_axe(page)
    await page.get_by_role("button", name="Lagre avtalen").click()
    await expect(page.get_by_role("status")).to_contain_text("Avtalen er lagret")
    await expect(page.locator(".appt")).to_contain_text("Ikke svart ennå")

    await h.set_time(when - timedelta(hours=24, minutes=-1))
    await h.send_due()
    assert any("10:00" in text for text in h.sms_to(PHONE)), h.sms_to(PHONE)
    await h.sms(PHONE, "JA")
    await sign_in(page, h, "kari@los.test", secret)  # a day later the session has timed out
    await page.goto("/appointments?span=week&day=" + when.date().isoformat())
    await expect(page.locator(".appt")).to_contain_text("Kommer (JA)")
    await check_axe(page)


async def test_appointment_form_keeps_what_was_typed(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/appointments/new")
    await page.get_by_label("Person", exact=True).select_option(label="Ola Nordmann")
    past = (h.clock.now() - timedelta(days=1)).astimezone(OSLO)
    await page.get_by_label("Tidspunkt").fill(past.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Sted").fill("Kontoret")
    await page.get_by_role("button", name="Lagre avtalen").click()
    await expect(page.locator("#e-starts_at")).to_have_text("Skriv et tidspunkt fram i tid.")
    await expect(page.get_by_label("Sted")).to_have_value("Kontoret")
    await check_axe(page)


async def test_announce_an_activity_and_see_the_invitations(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    await h.person("Kari Hansen", phone="+4791234568")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.get_by_role("link", name="Aktiviteter").click()
    when = (h.clock.now() + timedelta(days=3)).astimezone(OSLO).replace(hour=18, minute=0)
    await page.get_by_label("Navn").fill("Quiz")
    await page.get_by_label("Starter").fill(when.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Sted", exact=True).fill("Kafeen")
    await page.get_by_label("Plasser").fill("10")
    await check_axe(page)
    await page.get_by_role("button", name="Lag aktiviteten").click()
    await expect(page.get_by_role("status")).to_have_text("Aktiviteten er laget.")
    await page.get_by_role("link", name="Forhåndsvis invitasjonen").click()
    await expect(page.get_by_text("2 personer får invitasjonen.")).to_be_visible()
    await check_axe(page)
    await page.get_by_role("button", name="Send invitasjon til 2 personer").click()
    await h.send_due()
    assert "Quiz" in h.sms_to(PHONE)[-1]
    assert "Quiz" in h.sms_to("+4791234568")[-1]


async def test_check_in_two_people_at_the_door_on_a_phone(h: Harness, browser: Browser) -> None:
    ola = await h.person("Ola Nordmann", phone=PHONE)
    kari = await h.person("Kari Hansen", phone="+4791234568")
    start = h.clock.now() + timedelta(minutes=30)
    quiz = await h.api(
        "POST",
        "/api/activities",
        {"title": "Quiz", "starts_at": start.astimezone(OSLO).replace(tzinfo=None).isoformat()},
        expect=201,
    )
    for person in (ola, kari):
        await h.api(
            "POST", f"/api/activities/{quiz['id']}/signups", {"person_id": person["id"]}, expect=201
        )
    secret = await enrolled_staff(h, "dora@los.test", name="Dora Dørvakt")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "dora@los.test", secret)
    await page.goto(f"/activities/{quiz['id']}")
    await page.get_by_role("button", name="Ola Nordmann kom").click()
    await expect(page.get_by_role("status")).to_have_text("Registrert: kom.")
    await page.get_by_role("button", name="Kari Hansen kom").focus()
    await page.keyboard.press("Enter")  # the second by keyboard
    await expect(page.get_by_role("heading", name="Oppmøte")).to_contain_text("2 har kommet")
    await page.get_by_label("Navn", exact=True).fill("Per Uten Påmelding")
    await page.get_by_role("button", name="Søk").click()
    await page.get_by_role("button", name="Legg til og registrer").click()
    await expect(page.get_by_role("heading", name="Oppmøte")).to_contain_text("3 har kommet")
    await page.get_by_label("Antall (også de uten navn)").fill("5")
    await page.get_by_role("button", name="Lagre antallet").click()
    await check_axe(page)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"]
    signed = await h.items(f"/api/activities/{quiz['id']}/signups")
    assert sorted(s["status"] for s in signed) == ["attended", "attended", "attended"]
    assert (await h.api("GET", f"/api/activities/{quiz['id']}"))["head_count"] == 5


async def test_confirm_a_broadcast_and_watch_it_reach_sent(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    await h.person("Kari Hansen", phone="+4791234568")
    await h.person("Vera Frivillig", roles=["volunteer"], phone="+4791234569")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.get_by_role("link", name="Utsendinger").click()
    text = page.get_by_label("Meldingen")
    await text.fill("Husk julemiddag på fredag 😊")
    await expect(page.locator("#counter")).to_contain_text("70 tegn")
    await text.fill("Husk julemiddagen på fredag kl 17. Velkommen!")
    await expect(page.locator("#counter")).to_have_text("45 tegn · 1 SMS")
    await page.get_by_label("Deltakere").check()
    await check_axe(page)
    await page.get_by_role("button", name="Se mottakere og pris").click()
    assert h.sms_to(PHONE) == []  # the preview sends nothing
    await expect(page.get_by_role("heading", name="2 personer får meldingen")).to_be_visible()
    await expect(page.locator(".rows").last).to_contain_text("Kari Hansen")
    await check_axe(page)
    await page.get_by_role("button", name="Send til 2 personer").click()
    await expect(page.get_by_role("status")).to_have_text("Utsendingen er bekreftet.")
    await h.send_due()
    await expect(page.locator("#bc-status")).to_have_text("Sendt", timeout=8000)
    await expect(page.locator("#bc-sent")).to_have_text("2")
    assert h.sms_to(PHONE)[-1] == "Husk julemiddagen på fredag kl 17. Velkommen!"
    assert h.sms_to("+4791234569") == []  # a volunteer, not in the audience
    await check_axe(page)


async def test_plan_a_week_send_offers_and_see_the_next_asked(h: Harness, browser: Browser) -> None:
    from tests.test_rota import KARI, PER, cafe, volunteer

    await volunteer(h, "Kari Frivillig", KARI)
    await volunteer(h, "Per Frivillig", PER)
    shift = await cafe(h)
    secret = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/rota?week=2026-03-02")
    await expect(page.locator(f"#shift-{shift}")).to_contain_text("0 av 1 fylt")
    await check_axe(page)
    await page.get_by_label("Fra og med").fill("2026-03-02")
    await page.get_by_label("Til og med").fill("2026-03-08")
    await page.get_by_role("button", name="Lag forslag").click()
    await expect(page.get_by_role("heading", name="1 tilbud blir sendt")).to_be_visible()
    assert h.sms_to(KARI) == [] and h.sms_to(PER) == []  # reviewing sends nothing
    await check_axe(page)
    await page.get_by_role("button", name="Send 1 tilbud").click()
    await expect(page.get_by_role("status")).to_have_text("Tilbudene er sendt.")
    await h.send_due()
    first, second = (KARI, PER) if h.sms_to(KARI) else (PER, KARI)
    await expect(page.locator(f"#shift-{shift}")).to_contain_text("1 spurt")
    await h.sms(first, "NEI")
    await h.send_due()
    assert "kafévakt" in h.sms_to(second)[-1]
    await page.locator(f"#shift-{shift}").click()
    asked = page.locator("#asked")
    await expect(asked).to_contain_text("NEI")
    await expect(asked).to_contain_text("Venter på svar")
    await check_axe(page)


async def test_pause_and_resume_a_check_in_plan(h: Harness, browser: Browser) -> None:
    ola = await h.person("Ola Nordmann", phone=PHONE)
    plan = await h.api("POST", "/api/checkins", {"person_id": ola["id"], "at": "10:00"}, expect=201)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await (await main_menu(page)).get_by_role("link", name="Innsjekk").click()
    card = page.locator(f"#plan-{plan['id']}")
    await expect(card).to_contain_text("Hver dag kl. 10:00")
    await check_axe(page)
    await card.get_by_role("button", name="Sett på pause").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Planen har pause. Ingen spørsmål sendes."
    )
    assert (await h.api("GET", f"/api/checkins/{plan['id']}"))["status"] == "paused"
    await page.locator(f"#plan-{plan['id']}").get_by_role("button", name="Fortsett").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Planen er i gang igjen.")
    assert (await h.api("GET", f"/api/checkins/{plan['id']}"))["status"] == "active"
    await check_axe(page)


async def test_every_work_view_passes_axe_at_both_widths(h: Harness, browser: Browser) -> None:
    from bot.demo import fill_demo
    from tests.browser.pages import WIDE
    from tests.browser.screenshots import work_views

    async with h.session() as session:
        await fill_demo(session, h.clock)
    paths = [path for _, path in await work_views(h)]
    assert len(paths) >= 12, paths
    secret = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    for viewport in (WIDE, NARROW):
        page = await open_page(browser, h, viewport)
        await sign_in(page, h, "anne@los.test", secret)
        for path in paths:
            response = await page.goto(path)
            assert response is not None and response.status == 200, path
            await check_axe(page)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways at {viewport['width']}"
        await page.context.close()


async def test_mark_attended_and_cancel_from_the_list(h: Harness, browser: Browser) -> None:
    ola = await h.person("Ola Nordmann", phone=PHONE)
    kari = await h.person("Kari Hansen", phone="+4791234568")
    soon = (h.clock.now() + timedelta(hours=1)).astimezone(OSLO).replace(second=0, microsecond=0)
    later = soon + timedelta(hours=3)
    made = {}
    for person, when in ((ola, soon), (kari, later)):
        body = {"person_id": person["id"], "starts_at": when.replace(tzinfo=None).isoformat()}
        made[person["name"]] = await h.api("POST", "/api/appointments", body, expect=201)
    await h.advance(hours=2)
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/appointments?day=" + soon.date().isoformat())
    await page.get_by_role("button", name=f"Møtte: Ola Nordmann {soon:%H:%M}").click()
    await expect(page.get_by_role("status")).to_have_text("Registrert som møtt.")
    await page.get_by_role("button", name=f"Avlys: Kari Hansen {later:%H:%M}").click()
    await expect(page.get_by_role("status")).to_contain_text("Avtalen er avlyst")
    ola_now = await h.api("GET", f"/api/appointments/{made['Ola Nordmann']['id']}")
    kari_now = await h.api("GET", f"/api/appointments/{made['Kari Hansen']['id']}")
    assert (ola_now["status"], kari_now["status"]) == ("attended", "cancelled")
    await h.send_due()
    assert "avlyst" in h.sms_to("+4791234568")[-1].lower()
