"""Sites are boundaries: which sites a staff user may see and change.

Admins see every site. A coordinator sees only the sites they belong to; anything of another site
is answered as if it did not exist (404), so ids reveal nothing. The API and the staff pages both
ask here, so the rule lives once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true

from handlers.errors import NotFound
from storage.models import StaffUser


def visible_site_ids(staff: StaffUser) -> frozenset[int] | None:
    """The sites this user may see, or None for all of them (admins)."""
    if staff.role == "admin":
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
