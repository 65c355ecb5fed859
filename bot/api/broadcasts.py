"""Broadcasts: one text to many, now or later, with progress counts."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import Role
from bot.api.registry import (
    endpoint,
    json_response,
    local_to_utc,
    los_of,
    path_id,
    read_body,
    staff_of,
)
from handlers import broadcasts as rules
from handlers.errors import NotFound
from handlers.sites import site_or_default
from storage.models import Broadcast, Site


class AudienceIn(BaseModel):
    roles: list[Role] | None = None
    person_ids: list[int] | None = None
    activity_id: int | None = None
    site_id: int | None = None


class PreviewIn(BaseModel):
    text: str = Field(min_length=1, max_length=1600)
    audience: AudienceIn
    site_id: int | None = None


async def site_for(session: AsyncSession, body: BroadcastIn | PreviewIn) -> Site:
    """The audience's site, else the body's, else the default one."""
    return await site_or_default(session, body.audience.site_id or body.site_id, "audience.site_id")


class BroadcastIn(BaseModel):
    text: str = Field(min_length=1, max_length=1600)
    audience: AudienceIn
    send_at: datetime | None = None
    site_id: int | None = None


@endpoint(
    "POST",
    "/api/broadcasts",
    summary="Send a text to an audience",
    tag="broadcasts",
    body=BroadcastIn,
    status=202,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BroadcastIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_for(session, body)
        send_at = local_to_utc(body.send_at, site.timezone) if body.send_at else None
        broadcast = await rules.create_broadcast(
            session,
            los.clock,
            site_id=site.id,
            text=body.text,
            audience=body.audience.model_dump(exclude_none=True, exclude={"site_id"}),
            send_at=send_at,
            staff_user_id=staff_of(request).id,
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "broadcast.create",
            "broadcast",
            broadcast.id,
            recipients=broadcast.recipients,
        )
        result = await rules.progress(session, los.clock, broadcast)
    los.dispatcher.wake()
    return json_response(result, 202)


@endpoint(
    "POST",
    "/api/broadcasts/preview",
    summary="Recipients, opted out, unreachable and SMS segments of a text, before sending",
    tag="broadcasts",
    body=PreviewIn,
)
async def preview(request: web.Request) -> web.Response:
    body = await read_body(request, PreviewIn)
    los = los_of(request)
    async with los.sessions() as session:
        site = await site_for(session, body)
        result = await rules.preview(
            session,
            site.id,
            body.text,
            body.audience.model_dump(exclude_none=True, exclude={"site_id"}),
        )
    return json_response(result)


@endpoint("GET", "/api/broadcasts/{id}", summary="Progress of a broadcast", tag="broadcasts")
async def get(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions() as session:
        broadcast = await session.get(Broadcast, path_id(request))
        if broadcast is None:
            raise NotFound("broadcast")
        return json_response(await rules.progress(session, los.clock, broadcast))


@endpoint(
    "POST", "/api/broadcasts/{id}/cancel", summary="Stop what has not gone out", tag="broadcasts"
)
async def cancel(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        broadcast = await session.get(Broadcast, path_id(request))
        if broadcast is None:
            raise NotFound("broadcast")
        await rules.cancel_broadcast(session, broadcast)
        audit(session, los.clock, staff_of(request), "broadcast.cancel", "broadcast", broadcast.id)
        await session.flush()
        result = await rules.progress(session, los.clock, broadcast)
    return json_response(result)
