"""Bearer-token check for /api, the one error format, and the audit trail of staff actions."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import select

from bot.api.registry import STAFF_KEY, ApiError, Handler, los_of
from handlers.audit import audit
from handlers.errors import Conflict, InputError, NotFound
from handlers.tokens import hash_token
from scheduler import outage
from storage.models import StaffUser

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
    async with los_of(request).sessions() as session:
        staff = await session.scalar(
            select(StaffUser).where(
                StaffUser.token_hash == hash_token(token.strip()), StaffUser.disabled_at.is_(None)
            )
        )
    if staff is None:
        raise ApiError(401, "unauthorized", "unknown or disabled token")
    request[STAFF_KEY] = staff
    return await handler(request)
