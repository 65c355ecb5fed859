"""Innstillinger → API-nøkler (admins): every token with its owner and last use, make one
(shown once), revoke one, and disable a staff user (sessions end, tokens revoked) at once.
Rules: ``handlers.staff_tokens`` and ``handlers.staff_auth``, shared with the CLI and the API."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.web.auth import admin_only, staff_page
from bot.web.core import Form, los_of, redirect, render
from bot.web.sites import zone_for
from handlers import staff_auth, staff_tokens
from handlers.audit import audit
from handlers.errors import NotFound
from storage.loading import STAFF_LOADS
from storage.models import ApiToken, StaffUser


async def tokens_view(request: web.Request, extra: dict[str, Any] | None = None) -> web.Response:
    user = admin_only(request)
    los = los_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        rows = (
            await session.execute(
                select(ApiToken, StaffUser.name)
                .join(StaffUser, StaffUser.id == ApiToken.staff_user_id)
                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
                .limit(200)
            )
        ).all()
        staff = list(
            await session.scalars(select(StaffUser).options(*STAFF_LOADS).order_by(StaffUser.name))
        )
    context: dict[str, Any] = {"tokens": rows, "staff": staff, "tz": tz, "secret": None}
    context.update(extra or {})
    return render(request, "tokens.html", context)


@staff_page
async def tokens_page(request: web.Request) -> web.Response:
    return await tokens_view(request)


@staff_page
async def make_token(request: web.Request) -> web.Response:
    """A new token for the signed-in admin: shown on this answer only, never stored in clear."""
    user = admin_only(request)
    los = los_of(request)
    form = Form.of(await request.post())
    async with los.sessions.begin() as session:
        me = await session.get(StaffUser, user.id, options=STAFF_LOADS)
        assert me is not None
        token, secret = await staff_tokens.issue_token(
            session, los.clock, me, form.get("name")[:60] or "default"
        )
        audit(session, los.clock, user, "token.create", "api_token", token.id)
    return await tokens_view(request, {"secret": secret, "flash": "made"})


@staff_page
async def revoke(request: web.Request) -> web.StreamResponse:
    user = admin_only(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        token = await session.get(ApiToken, int(request.match_info["id"]))
        if token is None:
            raise NotFound("token")
        await staff_tokens.revoke_token(session, los.clock, token.staff_user_id, token.id)
        audit(session, los.clock, user, "token.revoke", "api_token", token.id)
    return redirect(request, "/settings/tokens?ok=revoked")


@staff_page
async def disable(request: web.Request) -> web.StreamResponse:
    """Disable a colleague at once: sessions end, tokens are revoked (not oneself)."""
    user = admin_only(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        other = await session.get(StaffUser, int(request.match_info["id"]), options=STAFF_LOADS)
        if other is None:
            raise NotFound("staff user")
        if other.id == user.id:
            return redirect(request, "/settings/tokens?ok=not_self")
        await staff_tokens.disable_user(session, los.clock, other)
        await staff_auth.end_sessions(session, los.clock, other.id)
        audit(session, los.clock, user, "staff.disable", "staff_user", other.id)
    return redirect(request, "/settings/tokens?ok=disabled")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/settings/tokens", tokens_page),
        web.post("/settings/tokens", make_token),
        web.post(r"/settings/tokens/{id:\d+}/revoke", revoke),
        web.post(r"/settings/staff/{id:\d+}/disable", disable),
    ]
