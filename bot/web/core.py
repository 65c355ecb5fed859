"""What every staff page shares: the signed-in user, rendering, forms, CSRF and error pages."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.numbers import format_decimal
from multidict import MultiDictProxy

from bot.api.registry import LOS_KEY
from bot.web.texts import ui
from handlers.errors import NotFound
from storage.models import StaffSession, StaffUser
from storage.models.states import Language

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "los_session"
PRE_COOKIE = "los_pre"  # double-submit CSRF token for the forms before sign-in
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

USER_KEY: web.RequestKey[StaffUser] = web.RequestKey("web_user", StaffUser)
SESSION_KEY: web.RequestKey[StaffSession] = web.RequestKey("web_session", StaffSession)
PRE_CSRF_KEY: web.RequestKey[str] = web.RequestKey("pre_csrf", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def los_of(request: web.Request) -> Los:
    return request.app[LOS_KEY]


def user_of(request: web.Request) -> StaffUser:
    return request[USER_KEY]


def language_of(request: web.Request) -> str:
    user = request.get(USER_KEY)
    return user.language if user is not None else "nb"


class PageError(Exception):
    """A friendly error page: 403, 404 or a stale form (CSRF)."""

    def __init__(self, status: int, body_key: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body_key = body_key


@dataclass
class Form:
    """What was typed and what was wrong with it, to show beside each field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, data: MultiDictProxy[Any]) -> Form:
        values: dict[str, Any] = {}
        for key in data:
            items = [v for v in data.getall(key) if isinstance(v, str)]
            values[key] = items if len(items) > 1 else (items[0] if items else "")
        return cls(values)

    def get(self, name: str, default: str = "") -> str:
        value = self.values.get(name, default)
        return value if isinstance(value, str) else (value[0] if value else default)

    def getall(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None or value == "":
            return []
        return value if isinstance(value, list) else [value]


def error_key(fields: dict[str, str], language: str) -> dict[str, str]:
    """Handler errors name a field and a reason; the page shows it in the user's words."""
    shown = {}
    for name, reason in fields.items():
        base = name.split(".")[0]
        specific = f"err.{base}.{reason}"
        text = ui(language, specific)
        if text == specific:
            general = f"err.{base}"
            text = ui(language, general)
            if text == general:
                text = reason
        shown[base] = text
    return shown


def local(value: datetime | None, tz: ZoneInfo, pattern: str = "%d.%m.%Y %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(tz).strftime(pattern)


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local


# The languages a person can be written to in (the person forms' choice), in menu order.
PERSON_LANGUAGES = [language.value for language in Language]


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    language = language_of(request)
    session = request.get(SESSION_KEY)
    base: dict[str, Any] = {
        "t": lambda key, **values: ui(language, key, **values),
        # Figures as the reader writes them: "23,5" in Norwegian, "23.5" in English.
        "num": lambda value, digits=1: format_decimal(
            value, format=f"#,##0.{'0' * digits}", locale="nb_NO" if language == "nb" else "en"
        ),
        "lang": language,
        "user": request.get(USER_KEY),
        "csrf": session.csrf_token if session is not None else request.get(PRE_CSRF_KEY, ""),
        "path": request.path,
        "form": Form(),
        "flash": request.query.get("ok", ""),
        "languages": PERSON_LANGUAGES,
    }
    base.update(context)
    response = aiohttp_jinja2.render_template(template, request, base, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(request: web.Request, location: str) -> web.Response:
    """303 after a form; htmx follows ``HX-Redirect`` instead of swapping in a page."""
    if request.headers.get("HX-Request"):
        return web.Response(status=204, headers={"HX-Redirect": location})
    raise web.HTTPSeeOther(location)


def error_page(request: web.Request, status: int, body_key: str | None = None) -> web.Response:
    kind = {403: "403", 404: "404"}.get(status, "500")
    return render(
        request,
        "error.html",
        {
            "title_key": f"error.{kind}.title",
            "body_key": body_key or f"error.{kind}.body",
            "status": status,
        },
        status=status,
    )


def check_csrf(request: web.Request, expected: str, data: MultiDictProxy[Any]) -> None:
    given = request.headers.get("X-CSRF-Token") or data.get("csrf") or ""
    if not isinstance(given, str) or not expected or not secrets.compare_digest(given, expected):
        raise PageError(403, "error.csrf.body")


@web.middleware
async def pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Staff pages never show a stack trace: friendly 403/404/500 pages in the user's language.

    The API and the webhooks keep their own error answers.
    """
    if request.path.startswith(("/api/", "/webhooks/")):
        return await handler(request)
    try:
        return await handler(request)
    except PageError as exc:
        return error_page(request, exc.status, exc.body_key)
    except NotFound:
        return error_page(request, 404)
    except web.HTTPNotFound:
        return error_page(request, 404)
    except web.HTTPMethodNotAllowed:
        return error_page(request, 404)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on page %s %s", request.method, request.path)
        return error_page(request, 500)
