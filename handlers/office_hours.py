"""Office hours: is a site staffed now, and when is it next.

``site.opening_hours`` is ``{"0": [["08:00", "16:30"]], ...}``: weekday (Monday=0) to open
intervals in local time. An interval that ends at or before it starts runs past midnight. A site
with no hours at all is treated as always open (there is nothing true to say about "back at").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.localtime import format_when, to_utc
from storage.models import Site

SEARCH_DAYS = 14


Interval = tuple[datetime, datetime]


def _intervals(hours: dict[str, Any], day: date, tz: ZoneInfo) -> Iterator[Interval]:
    """The open intervals that start on local ``day``, as UTC."""
    for start_s, end_s in hours.get(str(day.weekday()), []) or []:
        start_t = time.fromisoformat(start_s)
        end_day = day
        if end_s in ("24:00", "24:00:00"):
            end_t, end_day = time(0), day + timedelta(days=1)
        else:
            end_t = time.fromisoformat(end_s)
            if end_t <= start_t:
                end_day = day + timedelta(days=1)
        yield to_utc(day, start_t, tz), to_utc(end_day, end_t, tz)


def is_open(hours: dict[str, Any], moment: datetime, tz: ZoneInfo) -> bool:
    if not hours:
        return True
    today = moment.astimezone(tz).date()
    for day in (today - timedelta(days=1), today):
        for start, end in _intervals(hours, day, tz):
            if start <= moment < end:
                return True
    return False


def next_opening(hours: dict[str, Any], moment: datetime, tz: ZoneInfo) -> datetime | None:
    """The start of the next open interval after ``moment`` (UTC), or None if none is set."""
    today = moment.astimezone(tz).date()
    for offset in range(SEARCH_DAYS + 1):
        for start, _end in sorted(_intervals(hours, today + timedelta(days=offset), tz)):
            if start > moment:
                return start
    return None


def back_at(site: Site, moment: datetime, language: str) -> str | None:
    """When staff are back, in words ("i morgen kl. 08:00"), or None while the site is open."""
    tz = ZoneInfo(site.timezone)
    hours = site.opening_hours or {}
    if is_open(hours, moment, tz):
        return None
    opening = next_opening(hours, moment, tz)
    if opening is None:
        return None
    return format_when(opening, tz, language, today=moment.astimezone(tz).date())
