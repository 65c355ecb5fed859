"""Bearer-token check for /api, the one error format, and the audit trail of staff actions."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.api.registry import STAFF_KEY, ApiError, Handler, los_of
from handlers.audit import audit
from handlers.errors import Conflict, InputError, NotFound
from handlers.staff_tokens import authenticate, record_use, use_is_news
from scheduler import outage

log = logging.getLogger(__name__)

OPEN_PATHS = ("/api/openapi.json",)
__all__ = ["audit", "bearer_auth", "errors"]  # audit lives in handlers/, shared with the pages


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure answers in the contract's JSON form; nothing escapes as a 500 page."""
    try:
        return await handler(request)
    except InputError as exc:
        raise ApiError(422, "invalid", exc.message, exc.fields) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message, exc.fields) from None
    except NotFound as exc:
        raise ApiError(404, "not_found", exc.message) from None
    except IntegrityError:
        # A unique value taken between our check and the write (two requests at once).
        raise ApiError(409, "conflict", "clashes with what is stored; try again") from None
    except ApiError:
        raise
    except web.HTTPException as exc:
        if not request.path.startswith("/api/"):
            raise
        code = exc.reason.lower().replace(" ", "_")
        raise ApiError(exc.status, code, exc.reason) from None
    except Exception as exc:
        if outage.is_unavailable(exc):  # one story in the log per outage, not a traceback a hit
            outage.DATABASE.failed(exc)
            raise ApiError(503, "unavailable", "the database is unavailable; try again") from None
        log.exception("unhandled error on %s %s", request.method, request.path)
        raise ApiError(500, "internal", "something went wrong; it has been logged") from None


@web.middleware
async def bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/") or request.path in OPEN_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    los = los_of(request)
    async with los.sessions() as session:
        found = await authenticate(session, token.strip())
    if found is None:
        raise ApiError(401, "unauthorized", "unknown, revoked or disabled token")
    staff, api_token = found
    if use_is_news(los.clock, api_token):
        async with los.sessions.begin() as session:
            await record_use(session, los.clock, api_token.id)
    request[STAFF_KEY] = staff
    return await handler(request)
