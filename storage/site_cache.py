"""Sites and their settings, cached per process for a few seconds.

Every incoming text needs its site (time zone, opening hours, name); sites change a few times a
year. The whole table is read at once and kept for ``TTL`` seconds per database engine; any
change to a site flushed in this process empties the cache at once, and another process's
change is seen within ``TTL``. Callers get detached copies: reading them never touches a
session, and no session's rollback can expire them.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached

from storage.models import Site

TTL = 5.0


@dataclass
class _Sites:
    loaded_at: float = float("-inf")
    by_id: dict[int, Site] = field(default_factory=dict)
    by_number: dict[str, Site] = field(default_factory=dict)
    first: Site | None = None


_caches: weakref.WeakKeyDictionary[Any, _Sites] = weakref.WeakKeyDictionary()
_COLUMNS = [c.key for c in inspect(Site).column_attrs]


def _copy(site: Site) -> Site:
    copy = Site(**{name: getattr(site, name) for name in _COLUMNS})
    make_transient_to_detached(copy)
    return copy


async def _sites(session: AsyncSession, *, fresh: bool = False) -> _Sites:
    engine = session.get_bind()
    cache = _caches.get(engine)
    if cache is not None and not fresh and time.monotonic() - cache.loaded_at < TTL:
        return cache
    rows = [_copy(s) for s in await session.scalars(select(Site).order_by(Site.id))]
    cache = _Sites(
        loaded_at=time.monotonic(),
        by_id={s.id: s for s in rows},
        by_number={s.sms_number: s for s in rows if s.sms_number},
        first=rows[0] if rows else None,
    )
    _caches[engine] = cache
    return cache


async def site(session: AsyncSession, site_id: int) -> Site | None:
    """The site with this id (read again at once if this process has not seen it yet)."""
    found = (await _sites(session)).by_id.get(site_id)
    if found is None:
        found = (await _sites(session, fresh=True)).by_id.get(site_id)
    return found


async def for_number(session: AsyncSession, number: str | None) -> Site | None:
    """The site whose own number this is, else the first site."""
    sites = await _sites(session)
    if sites.first is None:
        sites = await _sites(session, fresh=True)
    return sites.by_number.get(number or "", sites.first)


def forget() -> None:
    """Read the sites again, through every engine of this process (on SQLite the router's
    thread has one of its own, and must see a change at once too)."""
    _caches.clear()


@event.listens_for(Session, "after_flush")
def _site_changed(session: Session, _context: Any) -> None:
    """A site written through any session of this process: read them all again next time."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Site):
            forget()
            return
