"""Sites: which site a message belongs to, and the default one a fresh install starts with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import InputError
from storage.models import Site

DEFAULT_OPENING_HOURS = {str(day): [["08:00", "16:30"]] for day in range(5)}


async def default_site(session: AsyncSession) -> Site | None:
    """The first site: where texts from unregistered numbers land."""
    return await session.scalar(select(Site).order_by(Site.id).limit(1))


async def site_or_default(
    session: AsyncSession, site_id: int | None, field: str = "site_id"
) -> Site:
    """The site a staff request names, else the default one; 422 naming ``field`` if none."""
    site = await session.get(Site, site_id) if site_id else await default_site(session)
    if site is None:
        raise InputError({field: "no such site"})
    return site


async def ensure_default_site(
    session: AsyncSession, clock: Clock, *, timezone: str, name: str = "Los"
) -> Site:
    site = await default_site(session)
    if site is None:
        site = Site(
            name=name,
            timezone=timezone,
            opening_hours=DEFAULT_OPENING_HOURS,
            default_reminders=[1440, 120],
            created_at=clock.now(),
        )
        session.add(site)
        await session.flush()
    return site
