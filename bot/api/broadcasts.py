"""Broadcasts: one text to many, now or later, with progress counts."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Count, Id, Text, Time, When, local_to_utc
from handlers import broadcasts as rules
from handlers.access import site_for, visible
from storage.models import Broadcast, Site, StaffUser
from storage.models.states import Language, PersonRoleName


class AudienceIn(ApiModel):
    """Who a text is for. It must name someone: everyone is ``{"all": true}``; otherwise roles,
    people or an activity's sign-ups (combined with AND). Unknown keys are refused."""

    all: Literal[True] | None = None
    roles: list[PersonRoleName] | None = Field(None, min_length=1, max_length=3)
    person_ids: list[Id] | None = Field(None, min_length=1, max_length=5000)
    activity_id: Id | None = None
    languages: list[Language] | None = Field(None, min_length=1, max_length=10)
    site_id: Id | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> AudienceIn:
        narrowed = any(
            x is not None for x in (self.roles, self.person_ids, self.activity_id, self.languages)
        )
        if self.all and narrowed:
            raise ValueError("all: true means everyone; leave out roles, person_ids, activity_id")
        if not self.all and not narrowed:
            raise ValueError('name who it is for: {"all": true}, roles, person_ids or activity_id')
        return self

    def rule(self) -> dict[str, Any]:
        """The audience as the rules take it: everyone is no condition."""
        return self.model_dump(exclude_none=True, exclude={"site_id", "all"})


class PreviewIn(ApiModel):
    text: Text = Field(min_length=1, max_length=1600)
    audience: AudienceIn
    site_id: Id | None = None


class BroadcastIn(ApiModel):
    text: Text = Field(min_length=1, max_length=1600)
    audience: AudienceIn
    send_at: When | None = None
    site_id: Id | None = None


class ProgressOut(ApiModel):
    id: int
    status: Literal["queueing", "scheduled", "sending", "held", "done", "cancelled"] = Field(
        description="queueing: recipients are still being queued (recipients is the total); "
        "scheduled, sending, held, then done; or cancelled"
    )
    recipients: Count
    queued: Count
    sent: Count
    delivered: Count
    failed: Count
    skipped: Count
    cancelled: Count
    held: Count = Field(description="restored from a backup; an admin releases or cancels them")
    send_at: Time


class SegmentsOut(ApiModel):
    encoding: str
    characters: int
    units: int
    segments: int
    per_segment: int


class PreviewOut(ApiModel):
    recipients: int
    reachable: int
    opted_out: int
    unreachable: int
    paused: int
    by_channel: dict[str, int]
    sms: SegmentsOut
    sms_messages: int


async def audience_site(
    session: AsyncSession, staff: StaffUser, body: BroadcastIn | PreviewIn
) -> Site:
    """The audience's site, else the body's, else the user's first one."""
    if body.audience.site_id is not None:
        return await site_for(session, staff, body.audience.site_id, "audience.site_id")
    return await site_for(session, staff, body.site_id)


@endpoint(
    "POST",
    "/api/broadcasts",
    summary='Send a text to an audience ({"all": true} for everyone)',
    tag="broadcasts",
    body=BroadcastIn,
    response=ProgressOut,
    status=202,
)
async def create(request: web.Request, *, body: BroadcastIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        site = await audience_site(session, staff, body)
        send_at = local_to_utc(body.send_at, site.timezone) if body.send_at else None
        broadcast = await rules.create_broadcast(
            session,
            los.clock,
            site_id=site.id,
            text=body.text,
            audience=body.audience.rule(),
            send_at=send_at,
            staff_user_id=staff.id,
        )
        audit(
            session,
            los.clock,
            staff,
            "broadcast.create",
            "broadcast",
            broadcast.id,
            recipients=broadcast.recipients,
        )
        result = await rules.progress(session, los.clock, broadcast)
    if broadcast.status == "queueing":
        los.queue_broadcasts_soon()
    los.dispatcher.wake()
    return result


@endpoint(
    "POST",
    "/api/broadcasts/preview",
    summary="Recipients, opted out, unreachable and SMS segments of a text, before sending",
    tag="broadcasts",
    body=PreviewIn,
    response=PreviewOut,
)
async def preview(request: web.Request, *, body: PreviewIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        site = await audience_site(session, staff_of(request), body)
        return await rules.preview(session, site.id, body.text, body.audience.rule())


@endpoint(
    "GET",
    "/api/broadcasts/{id}",
    summary="Progress of a broadcast",
    tag="broadcasts",
    response=ProgressOut,
)
async def get(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        broadcast = await visible(
            session, staff_of(request), Broadcast, path_id(request), "broadcast"
        )
        return await rules.progress(session, los.clock, broadcast)


@endpoint(
    "POST",
    "/api/broadcasts/{id}/cancel",
    summary="Stop what has not gone out",
    tag="broadcasts",
    response=ProgressOut,
)
async def cancel(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        broadcast = await visible(
            session, staff_of(request), Broadcast, path_id(request), "broadcast"
        )
        await rules.cancel_broadcast(session, broadcast)
        audit(session, los.clock, staff_of(request), "broadcast.cancel", "broadcast", broadcast.id)
        await session.flush()
        return await rules.progress(session, los.clock, broadcast)
