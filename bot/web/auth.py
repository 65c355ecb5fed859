"""Sign-in (password, then a TOTP code), set-up links, sign-out, and the session check that
guards every staff page (CONTRACT §7)."""

from __future__ import annotations

import functools
import secrets
from typing import Any

import segno
from aiohttp import web

from bot.web.core import (
    PRE_COOKIE,
    PRE_CSRF_KEY,
    SAFE_METHODS,
    SESSION_COOKIE,
    SESSION_KEY,
    USER_KEY,
    Form,
    Handler,
    PageError,
    check_csrf,
    error_key,
    los_of,
    redirect,
    render,
)
from handlers import staff_auth
from handlers.errors import InputError
from storage.loading import STAFF_LOADS
from storage.models import StaffSession, StaffUser


def is_https(request: web.Request) -> bool:
    public = los_of(request).settings.public_url or ""
    return request.secure or public.startswith("https://")


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
        path="/",
    )


def staff_page(handler: Handler) -> Handler:
    """Only for a signed-in user with both factors; every unsafe request carries the CSRF token."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        los = los_of(request)
        token = request.cookies.get(SESSION_COOKIE)
        async with los.sessions.begin() as session:
            found = await staff_auth.find_session(session, los.clock, token)
            if found is not None and found[0].stage != "full":
                found = None
        if found is None:
            where = "/login?expired=1" if token else "/login"
            if request.method in SAFE_METHODS and request.path != "/":
                where += ("&" if "?" in where else "?") + "next=" + request.path
            return redirect(request, where)
        request[SESSION_KEY], request[USER_KEY] = found
        if request.method not in SAFE_METHODS:
            check_csrf(request, found[0].csrf_token, await request.post())
        return await handler(request)

    return guarded


def admin_only(request: web.Request) -> StaffUser:
    user = request[USER_KEY]
    if user.role != "admin":
        raise PageError(403)
    return user


def pre_csrf(request: web.Request) -> str:
    """The double-submit token of the forms shown before sign-in."""
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    request[PRE_CSRF_KEY] = token
    return token


def with_pre_cookie(request: web.Request, response: web.Response) -> web.Response:
    response.set_cookie(
        PRE_COOKIE,
        request[PRE_CSRF_KEY],
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
        path="/",
    )
    return response


async def check_pre_csrf(request: web.Request) -> Form:
    data = await request.post()
    check_csrf(request, request.cookies.get(PRE_COOKIE, ""), data)
    pre_csrf(request)
    return Form.of(data)


def safe_next(value: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def login_form(request: web.Request) -> web.Response:
    pre_csrf(request)
    notice = None
    if request.query.get("locked"):
        notice = "login.locked"
    elif request.query.get("done"):
        notice = "login.setup_done"
    elif request.query.get("expired"):
        notice = "login.expired"
    elif request.query.get("out"):
        notice = "login.signed_out"
    context = {"notice": notice, "next": safe_next(request.query.get("next")), "error": None}
    return with_pre_cookie(request, render(request, "login.html", context))


async def login(request: web.Request) -> web.StreamResponse:
    form = await check_pre_csrf(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        result = await staff_auth.check_password(
            session, los.clock, form.get("email"), form.get("password")
        )
        opened = (
            await staff_auth.open_session(session, los.clock, result.user, stage="password")
            if result.user is not None
            else None
        )
    if opened is None:
        error = "login.locked" if result.locked else "login.wrong"
        context = {
            "form": form,
            "error": error,
            "notice": None,
            "next": safe_next(form.get("next")),
        }
        response = render(request, "login.html", context, status=401 if not result.locked else 429)
        return with_pre_cookie(request, response)
    response = web.HTTPSeeOther("/login/code?next=" + safe_next(form.get("next")))
    set_session_cookie(request, response, opened.token)
    raise response


async def pending(request: web.Request) -> tuple[StaffSession, StaffUser] | None:
    los = los_of(request)
    async with los.sessions() as session:
        found = await staff_auth.find_session(
            session, los.clock, request.cookies.get(SESSION_COOKIE)
        )
    if found is None or found[0].stage != "password":
        return None
    return found


async def code_page(
    request: web.Request, user: StaffUser, row: StaffSession, error: str | None, status: int = 200
) -> web.Response:
    request[SESSION_KEY] = row
    context: dict[str, Any] = {"error": error, "next": safe_next(request.query.get("next"))}
    if user.totp_enrolled_at is None:
        los = los_of(request)
        async with los.sessions.begin() as session:
            fresh = await session.get(StaffUser, user.id, options=STAFF_LOADS)
            assert fresh is not None
            secret = staff_auth.start_enrolment(fresh)
            uri = staff_auth.enrolment_uri(fresh)
        context["secret"] = secret
        context["qr"] = segno.make(uri, error="m").svg_inline(scale=4, title=None)
    return render(request, "code.html", context, status=status)


async def code_form(request: web.Request) -> web.StreamResponse:
    found = await pending(request)
    if found is None:
        return redirect(request, "/login")
    return await code_page(request, found[1], found[0], None)


async def check_code(request: web.Request) -> web.StreamResponse:
    found = await pending(request)
    if found is None:
        return redirect(request, "/login")
    row, user = found
    data = await request.post()
    check_csrf(request, row.csrf_token, data)
    los = los_of(request)
    async with los.sessions.begin() as session:
        fresh = await session.get(StaffUser, user.id, options=STAFF_LOADS)
        stale = await session.get(StaffSession, row.id)
        assert fresh is not None and stale is not None
        ok = staff_auth.check_code(fresh, los.clock, str(data.get("otp", "")))
        locked = staff_auth.is_locked(fresh, los.clock)
        opened = None
        if ok or locked:
            stale.ended_at = los.clock.now()  # a new cookie after sign-in: no session fixation
        if ok:
            opened = await staff_auth.open_session(session, los.clock, fresh, stage="full")
        user = fresh
    if locked:
        return redirect(request, "/login?locked=1")
    if opened is None:
        return await code_page(request, user, row, "otp.wrong", status=401)
    response = web.HTTPSeeOther(safe_next(str(data.get("next", "/"))))
    set_session_cookie(request, response, opened.token)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    row = request[SESSION_KEY]
    async with los.sessions.begin() as session:
        stored = await session.get(StaffSession, row.id)
        if stored is not None:
            stored.ended_at = los.clock.now()
    response = web.HTTPSeeOther("/login?out=1")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def setup_form(request: web.Request) -> web.Response:
    pre_csrf(request)
    los = los_of(request)
    async with los.sessions() as session:
        user = await staff_auth.user_for_setup(session, los.clock, request.match_info["token"])
    if user is None:
        return render(request, "setup.html", {"invalid": True}, status=404)
    return with_pre_cookie(
        request, render(request, "setup.html", {"invalid": False, "name": user.name})
    )


async def setup(request: web.Request) -> web.StreamResponse:
    form = await check_pre_csrf(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        user = await staff_auth.user_for_setup(session, los.clock, request.match_info["token"])
        if user is None:
            return render(request, "setup.html", {"invalid": True}, status=404)
        try:
            if form.get("password") != form.get("password2"):
                raise InputError({"password2": "mismatch"})
            staff_auth.finish_setup(user, form.get("password"))
        except InputError as exc:
            form.errors.update(error_key(exc.fields, user.language))
            form.values = {}  # passwords are never sent back to the page
            context = {"invalid": False, "name": user.name, "form": form}
            return with_pre_cookie(request, render(request, "setup.html", context, status=422))
    raise web.HTTPSeeOther("/login?done=1")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/login", login_form),
        web.post("/login", login),
        web.get("/login/code", code_form),
        web.post("/login/code", check_code),
        web.post("/logout", staff_page(logout)),
        web.get("/setup/{token}", setup_form),
        web.post("/setup/{token}", setup),
    ]
