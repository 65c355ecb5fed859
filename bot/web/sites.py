"""The sites a staff user works at, as the pages need them (time zone, choices in forms)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import site_filter
from storage.models import Site, StaffUser


async def visible_sites(session: AsyncSession, user: StaffUser) -> list[Site]:
    return list(
        await session.scalars(select(Site).where(site_filter(user, Site.id)).order_by(Site.id))
    )


async def zone_for(session: AsyncSession, user: StaffUser) -> ZoneInfo:
    """The time zone pages show times in: the user's first site's."""
    name = await session.scalar(
        select(Site.timezone).where(site_filter(user, Site.id)).order_by(Site.id).limit(1)
    )
    return ZoneInfo(name or "Europe/Oslo")
