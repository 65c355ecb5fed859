"""A coordinator's work through the pages: answer, assign and resolve an inbox thread, register
a participant by keyboard, erase one as admin, and be refused another site's person."""

from __future__ import annotations

from playwright.async_api import Browser, expect
from sqlalchemy import select

from storage.loading import PERSON_LOADS
from storage.models import InboxItem, Person, Site
from tests.browser.pages import NARROW, check_axe, enrolled_staff, open_page, sign_in
from tests.harness import Harness

PHONE = "+4791234567"


async def test_answer_assign_and_resolve_an_inbox_thread(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    await h.sms(PHONE, "Hei, kan noen ringe meg om husleia?")
    await h.sms(PHONE, "Det haster litt")
    secret = await enrolled_staff(h, "kari@los.test", name="Kari Koordinator")
    await enrolled_staff(h, "marius@los.test", name="Marius Dahl")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)

    await page.get_by_role("link", name="Innboks", exact=True).click()
    await check_axe(page)
    threads = page.locator(".thread")
    await expect(threads).to_have_count(1)  # two texts, one thread
    await expect(threads.first).to_contain_text("Åpne: 2")
    await threads.first.get_by_role("link").click()
    await expect(page.locator(".messages")).to_contain_text("Det haster litt")
    await check_axe(page)

    reply = page.get_by_label("Svar til Ola Nordmann")
    await reply.fill("Hei Ola! Vi ringer deg i dag før kl. 14.")
    await expect(page.locator("#counter")).to_have_text("40 tegn · 1 SMS")
    await reply.fill("Hei 😊")
    await expect(page.locator("#counter")).to_contain_text("70 tegn")
    await reply.fill("Hei Ola! Vi ringer deg i dag før kl. 14.")
    await page.keyboard.press("Tab")  # from the text to "Send svar", by keyboard
    await expect(page.get_by_role("button", name="Send svar")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Svaret er sendt til utsending.")
    await h.send_due()
    assert h.sms_to(PHONE)[-1] == "Hei Ola! Vi ringer deg i dag før kl. 14."
    await page.reload()
    await expect(page.locator(".msg-out").last).to_contain_text("sendt")

    await page.get_by_label("Tildel til").select_option(label="Marius Dahl")
    await page.get_by_role("button", name="Tildel", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Samtalen er tildelt.")
    await page.get_by_label("Notat (bare for ansatte)").fill("Gjelder husleie for mars.")
    await page.get_by_role("button", name="Lagre notat").click()
    await expect(page.locator(".msg-note")).to_contain_text("Gjelder husleie for mars.")
    await page.goto("/inbox?view=unassigned")
    await expect(page.locator(".thread")).to_have_count(0)

    await page.goto("/inbox")
    await page.locator(".thread a").first.click()
    await page.get_by_role("button", name="Marker som løst").click()
    await expect(page.get_by_role("status")).to_have_text("Samtalen er markert som løst.")
    await expect(page.locator(".thread")).to_have_count(0)
    await page.get_by_role("link", name="Løste").click()
    await expect(page.locator(".thread")).to_have_count(1)
    async with h.session() as session:
        statuses = list(await session.scalars(select(InboxItem.status)))
    assert statuses == ["resolved", "resolved"]


async def test_crisis_threads_are_pinned_on_top(h: Harness, browser: Browser) -> None:
    await h.person("Ola Nordmann", phone=PHONE)
    await h.person("Eva Berg", phone="+4791234568")
    await h.sms(PHONE, "Jeg vil ta livet mitt")
    h.clock.advance(600)
    await h.sms("+4791234568", "Når åpner dere?")
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/inbox")
    first = page.locator(".thread").first
    await expect(first).to_contain_text("Ola Nordmann")
    await expect(first).to_contain_text("Krise")
    await check_axe(page)


async def test_register_a_participant_by_keyboard(h: Harness, browser: Browser) -> None:
    secret = await enrolled_staff(h, "kari@los.test")
    page = await open_page(browser, h, NARROW)
    await sign_in(page, h, "kari@los.test", secret)
    await page.goto("/people")
    await page.get_by_role("link", name="Registrer person").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Registrer person")
    await check_axe(page)
    await page.get_by_label("Navn").focus()
    await page.keyboard.type("Åse Ny")
    await page.keyboard.press("Tab")
    await page.keyboard.type("123")  # not a number
    await page.keyboard.press("Enter")
    await expect(page.locator("#e-phone")).to_have_text("Ikke et gyldig mobilnummer.")
    await expect(page.get_by_label("Navn")).to_have_value("Åse Ny")
    await page.get_by_label("Mobilnummer").fill("")
    await page.get_by_label("Mobilnummer").focus()
    await page.keyboard.type("912 34 569")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Åse Ny")
    await expect(page.get_by_role("status")).to_have_text("Personen er registrert.")
    await expect(page.locator("main")).to_contain_text("Deltaker")
    await check_axe(page)
    async with h.session() as session:
        person = await session.scalar(
            select(Person).where(Person.name == "Åse Ny").options(*PERSON_LOADS)
        )
        assert person is not None and person.role_names == ["participant"]
        assert [c.address for c in person.contacts] == ["+4791234569"]


async def test_an_admin_erases_a_person_behind_a_typed_confirmation(
    h: Harness, browser: Browser
) -> None:
    person = await h.person("Ola Nordmann", phone=PHONE)
    await h.sms(PHONE, "Hei, dette er privat")
    coordinator = await enrolled_staff(h, "kari@los.test")
    admin = await enrolled_staff(h, "anne@los.test", role="admin", name="Anne Admin")
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", coordinator)
    await page.goto(f"/people/{person['id']}")
    await expect(page.get_by_role("link", name="Slett personopplysninger")).to_have_count(0)
    await page.goto(f"/people/{person['id']}/erase")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ikke tilgang")

    await page.get_by_role("button", name="Logg ut").click()
    await sign_in(page, h, "anne@los.test", admin)
    await page.goto(f"/people/{person['id']}")
    await page.get_by_role("link", name="Slett personopplysninger").click()
    await check_axe(page)
    await page.get_by_label("Skriv SLETT for å bekrefte").fill("slett")
    await page.get_by_role("button", name="Slett for godt").click()
    await expect(page.locator("#e-confirm")).to_have_text("Skriv SLETT med store bokstaver.")
    await page.get_by_label("Skriv SLETT for å bekrefte").fill("SLETT")
    await page.get_by_role("button", name="Slett for godt").click()
    await expect(page.get_by_role("status")).to_have_text("Personopplysningene er slettet.")
    async with h.session() as session:
        erased = await session.get(Person, person["id"])
        assert erased is not None and erased.name is None and erased.erased_at is not None
    await page.goto(f"/people/{person['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Fant ikke siden")


async def test_a_coordinator_is_refused_another_sites_person(h: Harness, browser: Browser) -> None:
    async with h.session() as session:
        home = await session.scalar(select(Site.id).order_by(Site.id).limit(1))
        other = Site(name="Bergen", created_at=h.clock.now())
        session.add(other)
        await session.flush()
        other_id = other.id
    assert home is not None
    theirs = await h.person("Per Bergen", phone=PHONE, site_id=other_id)
    await h.sms(PHONE, "Hei fra Bergen")
    secret = await enrolled_staff(h, "kari@los.test", site_ids=[home])
    page = await open_page(browser, h)
    await sign_in(page, h, "kari@los.test", secret)
    response = await page.goto(f"/people/{theirs['id']}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Fant ikke siden")
    await check_axe(page)
    response = await page.goto(f"/inbox/p{theirs['id']}")
    assert response is not None and response.status == 404
    await page.goto("/inbox")
    await expect(page.locator(".thread")).to_have_count(0)
    await page.goto("/people?q=Per")
    await expect(page.locator("main")).to_contain_text("Ingen personer passer søket.")
