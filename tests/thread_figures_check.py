"""Whether the kept figures in ``inbox_threads`` are what counting the items gives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.thread_figures import ThreadKey, key_of
from storage.models import InboxItem, InboxThread

# site, items, open, urgent, last at, last id, items at other sites than the first
Figures = tuple[int, int, int, bool, datetime | None, int | None, bool]


def _key(row: InboxThread) -> str:
    if row.person_id is not None:
        return str(ThreadKey("p", row.person_id))
    if row.contact_point_id is not None:
        return str(ThreadKey("c", row.contact_point_id))
    return str(ThreadKey("i", row.item_id or 0))


async def counted(session: AsyncSession) -> dict[str, Figures]:
    """Every thread's figures, counted from all its items (slowly, in Python)."""
    result: dict[str, Figures] = {}
    for item in await session.scalars(select(InboxItem).order_by(InboxItem.id)):
        key = str(key_of(item))
        site, items, open_items, urgent, last_at, _, other_sites = result.get(
            key, (item.site_id, 0, 0, False, None, None, False)
        )
        is_open = item.status == "open"
        result[key] = (
            min(site, item.site_id),
            items + 1,
            open_items + int(is_open),
            urgent or (is_open and bool(item.urgent)),
            item.created_at if last_at is None else max(last_at, item.created_at),
            item.id,  # read in id order: the last one is the newest id
            other_sites or item.site_id != site,
        )
    return result


async def kept(session: AsyncSession) -> dict[str, Figures]:
    """The rows' figures, for every row that is listed (or should not be there)."""
    rows = await session.scalars(select(InboxThread).execution_options(populate_existing=True))
    return {
        _key(r): (
            r.site_id,
            r.items,
            r.open_items,
            bool(r.urgent),
            r.last_at,
            r.last_item_id,
            bool(r.other_sites),
        )
        for r in rows
        if r.items or r.item_id is not None
    }


async def differences(session: AsyncSession) -> list[str]:
    """Each thread whose kept figures differ from its items' (an empty list: all agree)."""
    want, have = await counted(session), await kept(session)
    return [
        f"{key}: kept {have.get(key)}, counted {want.get(key)}"
        for key in sorted(set(want) | set(have))
        if want.get(key) != have.get(key)
    ]
