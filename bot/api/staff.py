"""Staff users and their API tokens (admins only): list, add, disable; tokens named, listed,
made and revoked. ``los staff list|add|disable`` do the same from the command line."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Id, Paging, Text, Time
from bot.staff_users import add_staff
from handlers import pages, staff_tokens
from handlers.errors import NotFound
from storage.loading import STAFF_LOADS
from storage.models import ApiToken, StaffUser
from storage.models.states import StaffRole


class StaffIn(ApiModel):
    name: Text = Field(min_length=1, max_length=200)
    email: Text = Field(min_length=3, max_length=254)
    role: StaffRole = StaffRole.COORDINATOR
    site_ids: list[Id] = Field(default_factory=list, max_length=100)


class TokenIn(ApiModel):
    name: Text = Field(min_length=1, max_length=100)


class StaffOut(ApiModel):
    id: int
    name: str
    email: str
    role: StaffRole
    site_ids: list[int]
    created_at: Time
    disabled_at: Time | None

    @classmethod
    def of(cls, user: StaffUser) -> StaffOut:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            role=StaffRole(user.role),
            site_ids=sorted(user.site_ids),
            created_at=user.created_at,
            disabled_at=user.disabled_at,
        )


class TokenOut(ApiModel):
    id: int
    name: str
    created_at: Time
    last_used_at: Time | None
    revoked_at: Time | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class NewTokenOut(TokenOut):
    """The token itself is shown here once and never again."""

    token: str


class NewStaffOut(StaffOut):
    token: str


async def load_user(session: AsyncSession, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id, options=STAFF_LOADS)
    if user is None:
        raise NotFound("staff user")
    return user


class StaffPage(ApiModel):
    items: list[StaffOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/staff",
    summary="Staff users (admin), a page at a time",
    tag="staff",
    query=Paging,
    response=StaffPage,
    admin=True,
)
async def list_staff(request: web.Request, *, query: Paging) -> Any:
    async with los_of(request).sessions() as session:
        found = await pages.read(
            session,
            select(StaffUser).options(*STAFF_LOADS),
            [StaffUser.id],
            query.page(),
            lambda u: [u.id],
        )
        return {
            "items": [StaffOut.of(u) for u in found.items],
            "next": found.next,
            "total": found.total,
        }


@endpoint(
    "POST",
    "/api/staff",
    summary="Add a staff user; the answer holds their first API token, shown once (admin)",
    tag="staff",
    body=StaffIn,
    response=NewStaffOut,
    status=201,
    admin=True,
)
async def create(request: web.Request, *, body: StaffIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        user, token = await add_staff(
            session,
            los.clock,
            name=body.name,
            email=body.email,
            role=body.role,
            site_ids=body.site_ids,
        )
        audit(session, los.clock, staff_of(request), "staff.create", "staff_user", user.id)
        return NewStaffOut(**StaffOut.of(user).model_dump(), token=token)


@endpoint(
    "POST",
    "/api/staff/{id}/disable",
    summary="Disable a staff user: every token of theirs stops working at once (admin)",
    tag="staff",
    response=StaffOut,
    admin=True,
)
async def disable(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        user = await load_user(session, path_id(request))
        await staff_tokens.disable_user(session, los.clock, user)
        audit(session, los.clock, staff_of(request), "staff.disable", "staff_user", user.id)
        return StaffOut.of(user)


class TokensPage(ApiModel):
    items: list[TokenOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/staff/{id}/tokens",
    summary="A staff user's API tokens, with their last use (admin), a page at a time",
    tag="staff",
    query=Paging,
    response=TokensPage,
    admin=True,
)
async def list_tokens(request: web.Request, *, query: Paging) -> Any:
    async with los_of(request).sessions() as session:
        user = await load_user(session, path_id(request))
        found = await staff_tokens.tokens_of(session, user.id, query.page())
        return {
            "items": [TokenOut.of(t) for t in found.items],
            "next": found.next,
            "total": found.total,
        }


@endpoint(
    "POST",
    "/api/staff/{id}/tokens",
    summary="A new named API token; shown once in the answer (admin)",
    tag="staff",
    body=TokenIn,
    response=NewTokenOut,
    status=201,
    admin=True,
)
async def create_token(request: web.Request, *, body: TokenIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        user = await load_user(session, path_id(request))
        if user.disabled_at is not None:
            raise NotFound("staff user")
        token, secret = await staff_tokens.issue_token(session, los.clock, user, body.name)
        audit(session, los.clock, staff_of(request), "staff.token", "staff_user", user.id)
        return NewTokenOut(**TokenOut.of(token).model_dump(), token=secret)


@endpoint(
    "DELETE",
    "/api/staff/{id}/tokens/{token_id}",
    summary="Revoke one API token (admin)",
    tag="staff",
    response=TokenOut,
    admin=True,
)
async def revoke_token(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        user = await load_user(session, path_id(request))
        token = await staff_tokens.revoke_token(
            session, los.clock, user.id, path_id(request, "token_id")
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "staff.revoke_token",
            "staff_user",
            user.id,
            token_id=token.id,
        )
        return TokenOut.of(token)
