"""Sites: name, time zone, opening hours, quiet hours, default reminders and own SMS number."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Text, keep
from handlers import lists
from handlers import sites as rules
from handlers.access import visible
from handlers.site_settings import apply_site_fields
from storage.models import Site

HHMM = Annotated[str, Field(pattern=r"^\d{1,2}:\d{2}$")]
# {"0": [["08:00", "16:30"]], ...}: weekday (Monday = 0) to open intervals, local time.
OpeningHours = dict[
    str,
    Annotated[list[Annotated[list[HHMM], Field(min_length=2, max_length=2)]], Field(max_length=6)],
]
Minutes = Annotated[list[Annotated[int, Field(ge=0, le=60 * 24 * 60)]], Field(max_length=10)]


class SiteIn(ApiModel):
    name: Text = Field(min_length=1, max_length=200)
    timezone: Text = Field("Europe/Oslo", max_length=60)
    opening_hours: OpeningHours = Field(default_factory=dict)
    quiet_hours: Text | None = Field(None, max_length=20)
    default_reminders: Minutes = Field(default_factory=lambda: [1440, 120])
    sms_number: Text | None = Field(None, max_length=40)


class SitePatch(ApiModel):
    """Fields left out stay; only ``quiet_hours`` and ``sms_number`` may be null."""

    name: Text = keep(min_length=1, max_length=200)
    timezone: Text = keep(max_length=60)
    opening_hours: OpeningHours = keep()
    quiet_hours: Text | None = Field(None, max_length=20)
    default_reminders: Minutes = keep()
    sms_number: Text | None = Field(None, max_length=40)


class SiteOut(ApiModel):
    id: int
    name: str
    timezone: str
    opening_hours: dict[str, list[list[str]]]
    quiet_hours: str | None
    default_reminders: list[int]
    sms_number: str | None


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


@endpoint(
    "GET",
    "/api/sites",
    summary="Your sites (all, for an admin)",
    tag="sites",
    response=list[SiteOut],
)
async def list_sites(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        return [site_json(s) for s in await lists.sites(session, staff_of(request))]


@endpoint("GET", "/api/sites/{id}", summary="One site", tag="sites", response=SiteOut)
async def get(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        return site_json(await visible(session, staff_of(request), Site, path_id(request), "site"))


@endpoint(
    "POST",
    "/api/sites",
    summary="A new site (admin)",
    tag="sites",
    body=SiteIn,
    response=SiteOut,
    status=201,
    admin=True,
)
async def create(request: web.Request, *, body: SiteIn, query: object) -> Any:
    staff = staff_of(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = Site(name="", created_at=los.clock.now())
        apply_site_fields(site, body.model_dump())
        await rules.check_number_free(session, site.sms_number, None)
        session.add(site)
        await session.flush()
        audit(session, los.clock, staff, "site.create", "site", site.id)
        result = site_json(site)
    return result


@endpoint(
    "PATCH",
    "/api/sites/{id}",
    summary="Change a site's name, hours or number (admin)",
    tag="sites",
    body=SitePatch,
    response=SiteOut,
    admin=True,
)
async def patch(request: web.Request, *, body: SitePatch, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await visible(session, staff_of(request), Site, path_id(request), "site")
        fields = {name: getattr(body, name) for name in body.model_fields_set}
        if "sms_number" in fields:  # checked before it is set: the column is unique
            number = rules.check_sms_number(fields["sms_number"])
            await rules.check_number_free(session, number, site.id)
        apply_site_fields(site, fields)
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
    return result
