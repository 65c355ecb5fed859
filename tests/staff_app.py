"""Signing in to the staff app from tests, through the real forms (no shortcut past the rules)."""

from __future__ import annotations

import re

import pyotp

from bot.staff_users import add_staff
from handlers import staff_auth
from tests.harness import Harness

PASSWORD = "lang nok passord for test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')


async def make_staff(
    h: Harness,
    email: str,
    *,
    role: str = "coordinator",
    site_ids: list[int] | None = None,
    name: str = "Kari Koordinator",
) -> int:
    async with h.session() as session:
        user, _ = await add_staff(
            session, h.clock, name=name, email=email, role=role, site_ids=site_ids
        )
        user.password_hash = staff_auth.hash_password(PASSWORD)
        return user.id


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def sign_in(h: Harness, email: str, password: str = PASSWORD) -> str:
    """Both steps of the sign-in (enrolling TOTP the first time); returns the TOTP secret."""
    page = await (await h.client.get("/login")).text()
    resp = await h.client.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    page = await (await h.client.get("/login/code")).text()
    found = SECRET.search(page)
    assert found, "enrolment shows the secret"
    secret = found.group(1)
    resp = await h.client.post(
        "/login/code",
        data={"otp": pyotp.TOTP(secret).at(h.clock.now()), "csrf": csrf_of(page)},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return secret


async def page_csrf(h: Harness, path: str = "/") -> str:
    return csrf_of(await (await h.client.get(path)).text())
