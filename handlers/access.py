"""Sites are boundaries: which sites a staff user may see and change.

Admins see every site. A coordinator sees only the sites they belong to; anything of another site
is answered as if it did not exist (404), so ids reveal nothing. The API and the staff pages both
ask here, so the rule lives once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import InputError, NotFound
from storage.models import Site, StaffUser
from storage.models.states import StaffRole

T = TypeVar("T")


def visible_site_ids(staff: StaffUser) -> frozenset[int] | None:
    """The sites this user may see, or None for all of them (admins)."""
    if staff.role == StaffRole.ADMIN:
        return None
    return staff.site_ids


def can_see(staff: StaffUser, site_id: int | None) -> bool:
    """Whether a row of ``site_id`` is visible; rows with no site are for admins only."""
    scope = visible_site_ids(staff)
    return scope is None or (site_id is not None and site_id in scope)


def require_visible(staff: StaffUser, site_id: int | None, what: str) -> None:
    """404 for another site's row, as if it did not exist."""
    if not can_see(staff, site_id):
        raise NotFound(what)


def site_filter(staff: StaffUser, column: Any) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (a site_id column) to the user's sites."""
    scope = visible_site_ids(staff)
    if scope is None:
        return true()
    return column.in_(sorted(scope))


async def site_for(
    session: AsyncSession, staff: StaffUser, site_id: int | None, field: str = "site_id"
) -> Site:
    """The site a request names, else the user's first site. Another site's id is refused
    exactly like an unknown one (422 naming ``field``), so ids reveal nothing."""
    if site_id is not None:
        site = await session.get(Site, site_id)
        if site is None or not can_see(staff, site.id):
            raise InputError({field: "no such site"})
        return site
    scope = visible_site_ids(staff)
    query = select(Site).order_by(Site.id).limit(1)
    if scope is not None:
        query = query.where(Site.id.in_(sorted(scope)))
    site = await session.scalar(query)
    if site is None:
        raise InputError({field: "you belong to no site; ask an admin"})
    return site


async def one_site(session: AsyncSession, staff: StaffUser, site_id: int | None) -> int | None:
    """For figures: the named site (422 if not visible); all sites for an admin who names none;
    a coordinator's only site; a coordinator of several must name one."""
    if site_id is not None:
        return (await site_for(session, staff, site_id)).id
    scope = visible_site_ids(staff)
    if scope is None:
        return None
    if len(scope) == 1:
        return next(iter(scope))
    raise InputError({"site_id": "you work at several sites: name one"})


async def visible(
    session: AsyncSession, staff: StaffUser, model: type[T], row_id: int, what: str
) -> T:
    """A row with a ``site_id`` by id, 404 when missing or of another site."""
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound(what)
    require_visible(staff, getattr(row, "site_id", None), what)
    return row


async def home_timezone(
    session: AsyncSession, staff: StaffUser, default: str, site_id: int | None = None
) -> str:
    """The time zone a staff user's dates mean: the named site's, else their first site's (an
    admin's: the default), so "from=2026-03-01" is midnight where they work."""
    if site_id is None and visible_site_ids(staff) is None:
        return default
    site = await site_for(session, staff, site_id)
    return site.timezone
