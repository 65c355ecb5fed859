"""Activity types per site: what the yearly report counts occurrences and participations by.

A site starts with the categories day centres report (quiz and bingo, hairdresser, football,
culture trips, talk group, course, other); staff may add their own.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import InputError
from storage.models import ActivityType

DEFAULTS: tuple[tuple[str, str], ...] = (
    ("quiz_bingo", "Quiz og bingo"),
    ("hairdresser", "Frisør"),
    ("football", "Fotball"),
    ("culture_trip", "Kulturtur"),
    ("talk_group", "Samtalegruppe"),
    ("course", "Kurs"),
    ("other", "Annet"),
)


async def types_of(session: AsyncSession, site_id: int) -> list[ActivityType]:
    """The site's types, in the order they were made; the defaults on first use."""
    found = list(
        await session.scalars(
            select(ActivityType).where(ActivityType.site_id == site_id).order_by(ActivityType.id)
        )
    )
    if found:
        return found
    for key, name in DEFAULTS:
        session.add(ActivityType(site_id=site_id, key=key, name=name))
    await session.flush()
    return await types_of(session, site_id)


async def names_of(session: AsyncSession, site_id: int | None) -> dict[str, str]:
    """key -> name for a site (the defaults' names when no site is named)."""
    if site_id is None:
        return dict(DEFAULTS)
    return {t.key: t.name for t in await types_of(session, site_id)}


async def check_type(session: AsyncSession, site_id: int, key: str | None) -> str | None:
    if key is None:
        return None
    if key not in {t.key for t in await types_of(session, site_id)}:
        raise InputError({"activity_type": "not one of the site's activity types"})
    return key


def key_for(name: str) -> str:
    """ "Båttur i juni" -> "battur_i_juni"."""
    folded = name.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:40] or "type"


async def add_type(session: AsyncSession, site_id: int, name: str) -> ActivityType:
    key = key_for(name)
    if key in {t.key for t in await types_of(session, site_id)}:
        raise InputError({"name": "the site has this type already"})
    row = ActivityType(site_id=site_id, key=key, name=name.strip())
    session.add(row)
    await session.flush()
    return row
