"""The staff pages over HTTP: every view renders, forms keep what was typed, errors are kind."""

from __future__ import annotations

from sqlalchemy import select

from handlers.clock import FakeClock
from storage.models import Site
from tests import harness
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import Harness, running_harness
from tests.staff_app import PASSWORD, csrf_of, make_staff, page_csrf, sign_in

PHONE = "+4791234567"


async def test_every_view_renders_for_a_signed_in_coordinator(h: Harness) -> None:
    person = await h.person("Ola Nordmann", phone=PHONE)
    await h.sms(PHONE, "Kan noen ringe meg?")
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    for path in (
        "/",
        "/inbox",
        "/inbox?view=mine",
        "/inbox?view=resolved",
        f"/inbox/p{person['id']}",
        "/people",
        "/people?q=ola",
        "/people/new",
        f"/people/{person['id']}",
        "/settings",
    ):
        resp = await h.client.get(path)
        html = await resp.text()
        assert resp.status == 200, (path, html[:2000])
        assert "<main" in html and 'lang="nb"' in html, path
    thread = await (await h.client.get(f"/inbox/p{person['id']}")).text()
    assert "Kan noen ringe meg?" in thread


async def test_pages_need_sign_in_and_unknown_pages_are_friendly(h: Harness) -> None:
    resp = await h.client.get("/inbox", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/login")
    resp = await h.client.get("/finnes-ikke")
    assert resp.status == 404
    assert "Fant ikke siden" in await resp.text()


async def test_another_sites_person_is_not_found(h: Harness) -> None:
    async with h.session() as session:
        other = Site(name="Annet sted", created_at=h.clock.now())
        session.add(other)
        await session.flush()
        first = await session.scalar(select(Site.id).where(Site.id != other.id))
    stranger = await h.person("Per Annensted", phone=PHONE, site_id=other.id)
    assert first is not None
    await make_staff(h, "kari@los.test", site_ids=[first])
    await sign_in(h, "kari@los.test")
    resp = await h.client.get(f"/people/{stranger['id']}")
    assert resp.status == 404
    assert "Per Annensted" not in await (await h.client.get("/people")).text()


async def test_a_form_with_bad_input_keeps_what_was_typed(h: Harness) -> None:
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    csrf = await page_csrf(h, "/people/new")
    resp = await h.client.post(
        "/people/new",
        data={"name": "Åse Ny", "phone": "12", "roles": "participant", "csrf": csrf},
    )
    html = await resp.text()
    assert resp.status == 422
    assert 'value="Åse Ny"' in html and "Ikke et gyldig mobilnummer." in html


async def test_a_post_without_the_csrf_token_is_refused(h: Harness) -> None:
    person = await h.person("Ola Nordmann", phone=PHONE)
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    resp = await h.client.post(f"/people/{person['id']}/pause", data={})
    assert resp.status == 403
    fetched = await h.api("GET", f"/api/people/{person['id']}", expect=200)
    assert fetched["status"] == "active"


async def test_the_session_cookie_is_secure_behind_https(
    database_url: str, clock: FakeClock, twilio: FakeTwilio, telegram: FakeTelegram
) -> None:
    settings = harness.test_settings(
        database_url, twilio.url, telegram.url, public_url="https://los.example.org"
    )
    async with running_harness(settings, clock, twilio, telegram) as h:
        await make_staff(h, "kari@los.test")
        form = await h.client.get("/login")
        assert form.cookies["los_pre"]["secure"]
        token = csrf_of(await form.text())
        # A browser sends a Secure cookie back over https only; the test server is plain http.
        resp = await h.client.post(
            "/login",
            data={"email": "kari@los.test", "password": PASSWORD, "csrf": token},
            cookies={"los_pre": token},
            allow_redirects=False,
        )
        assert resp.status == 303
        cookie = resp.cookies["los_session"]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_an_unknown_numbers_thread_offers_to_register_the_number(h: Harness) -> None:
    await h.sms("+4798765432", "Hei, er dette dagsenteret?")
    await make_staff(h, "kari@los.test")
    await sign_in(h, "kari@los.test")
    listed = await h.api("GET", "/api/inbox", expect=200)
    thread = await (await h.client.get(f"/inbox/{listed['items'][0]['id']}")).text()
    assert "/people/new?phone=%2B4798765432" in thread
    form = await (await h.client.get("/people/new?phone=%2B4798765432")).text()
    assert 'value="+4798765432"' in form
