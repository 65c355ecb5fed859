"""Creating staff users and their API tokens (``los staff add``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import Conflict, InputError
from handlers.sites import default_site
from handlers.staff_tokens import issue_token
from storage.models import Site, StaffUser
from storage.models.states import StaffRole


async def add_staff(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    email: str,
    role: str = "coordinator",
    site_ids: list[int] | None = None,
) -> tuple[StaffUser, str]:
    """Create a staff user; returns it and its token, which is shown once and never stored.

    A coordinator belongs to the sites named, or to the first site when none is named; an admin
    sees every site whatever is named.
    """
    if role not in set(StaffRole):
        raise InputError({"role": "use admin or coordinator"})
    if "@" not in email:
        raise InputError({"email": "not an e-mail address"})
    email = email.strip().lower()
    if await session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise Conflict("a staff user with this e-mail exists", {"email": "in use"})
    sites = await sites_named(session, site_ids or [])
    user = StaffUser(name=name.strip(), email=email, role=role, created_at=clock.now(), sites=sites)
    session.add(user)
    await session.flush()
    _, token = await issue_token(session, clock, user)
    return user, token


async def sites_named(session: AsyncSession, site_ids: list[int]) -> list[Site]:
    """The sites with these ids (422 naming ``site`` for one that does not exist); the first site
    when none is named."""
    if not site_ids:
        first = await default_site(session)
        return [first] if first is not None else []
    sites = list((await session.scalars(select(Site).where(Site.id.in_(site_ids)))).all())
    missing = sorted(set(site_ids) - {site.id for site in sites})
    if missing:
        raise InputError({"site": f"no site with id {missing[0]}"})
    return sites
