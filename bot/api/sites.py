"""Sites: name, time zone, opening hours, quiet hours, default reminders and own SMS number."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.middleware import audit
from bot.api.registry import (
    endpoint,
    json_response,
    los_of,
    path_id,
    read_body,
    require_admin,
    staff_of,
)
from handlers import sites as rules
from handlers.errors import InputError, NotFound
from handlers.site_settings import apply_site_fields
from storage.models import Site


class SiteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Europe/Oslo"
    opening_hours: dict[str, list[list[str]]] = Field(default_factory=dict)
    quiet_hours: str | None = None
    default_reminders: list[int] = Field(default_factory=lambda: [1440, 120], max_length=10)
    sms_number: str | None = None


class SitePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    timezone: str | None = None
    opening_hours: dict[str, list[list[str]]] | None = None
    quiet_hours: str | None = None
    default_reminders: list[int] | None = Field(None, max_length=10)
    sms_number: str | None = None


def site_json(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "timezone": site.timezone,
        "opening_hours": site.opening_hours,
        "quiet_hours": site.quiet_hours,
        "default_reminders": site.default_reminders,
        "sms_number": site.sms_number,
    }


@endpoint("GET", "/api/sites", summary="All sites", tag="sites")
async def list_sites(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        found = await session.scalars(select(Site).order_by(Site.id))
        return json_response([site_json(s) for s in found])


@endpoint("GET", "/api/sites/{id}", summary="One site", tag="sites")
async def get(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        site = await session.get(Site, path_id(request))
        if site is None:
            raise NotFound("site")
        return json_response(site_json(site))


@endpoint("POST", "/api/sites", summary="A new site (admin)", tag="sites", body=SiteIn, status=201)
async def create(request: web.Request) -> web.Response:
    staff = require_admin(request)
    body = await read_body(request, SiteIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = Site(name="", created_at=los.clock.now())
        apply_site_fields(site, body.model_dump())
        await rules.check_number_free(session, site.sms_number, None)
        session.add(site)
        await session.flush()
        audit(session, los.clock, staff, "site.create", "site", site.id)
        result = site_json(site)
    return json_response(result, 201)


@endpoint(
    "PATCH",
    "/api/sites/{id}",
    summary="Change a site's name, hours or number",
    tag="sites",
    body=SitePatch,
)
async def patch(request: web.Request) -> web.Response:
    body = await read_body(request, SitePatch)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await session.get(Site, path_id(request))
        if site is None:
            raise NotFound("site")
        fields = {name: getattr(body, name) for name in body.model_fields_set}
        if fields.get("name") is None and "name" in fields:
            raise InputError({"name": "must not be empty"})
        apply_site_fields(site, fields)
        await rules.check_number_free(session, site.sms_number, site.id)
        audit(
            session,
            los.clock,
            staff_of(request),
            "site.update",
            "site",
            site.id,
            fields=sorted(fields),
        )
        result = site_json(site)
    return json_response(result)
