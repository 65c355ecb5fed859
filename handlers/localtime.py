"""Local time for people: site time zones, quiet hours and Norwegian/English date words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def parse_hhmm_range(value: str) -> tuple[time, time] | None:
    """Parse ``"21:00-08:00"``; ``"off"`` gives None. Raises ValueError on anything else."""
    value = value.strip().lower()
    if value in ("off", "none", ""):
        return None
    try:
        start_s, end_s = value.split("-")
        start = time.fromisoformat(start_s.strip())
        end = time.fromisoformat(end_s.strip())
    except ValueError as exc:
        raise ValueError(f"expected HH:MM-HH:MM or off, got {value!r}") from exc
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return start, end


def in_quiet_hours(moment: datetime, tz: ZoneInfo, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    local = moment.astimezone(tz).time()
    start, end = quiet
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime:
    """The first moment after ``moment`` when quiet hours are over, in UTC."""
    local = moment.astimezone(tz)
    end = quiet[1]
    candidate = datetime.combine(local.date(), end, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return candidate.astimezone(UTC)


def quiet_hours_start_before(moment: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime:
    """The last moment before ``moment`` that is outside quiet hours (one minute before they began).

    Used to move a reminder earlier rather than later.
    """
    local = moment.astimezone(tz)
    start = quiet[0]
    candidate = datetime.combine(local.date(), start, tzinfo=tz)
    if candidate > local:
        candidate = datetime.combine(local.date() - timedelta(days=1), start, tzinfo=tz)
    return (candidate - timedelta(minutes=1)).astimezone(UTC)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def to_utc(local_date: date, local_time: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time at a site, as UTC; correct on daylight-saving days."""
    return datetime.combine(local_date, local_time, tzinfo=tz).astimezone(UTC)


def format_when(moment: datetime, tz: ZoneInfo, language: str, today: date | None = None) -> str:
    """``"i morgen kl. 10:00"``, ``"tirsdag 5. mars kl. 10:00"`` / ``"tomorrow at 10:00"``."""
    local = moment.astimezone(tz)
    clock = local.strftime("%H:%M")
    if today is not None:
        delta = (local.date() - today).days
        if delta == 0:
            return f"i dag kl. {clock}" if language == "nb" else f"today at {clock}"
        if delta == 1:
            return f"i morgen kl. {clock}" if language == "nb" else f"tomorrow at {clock}"
    day = format_day(local.date(), language)
    return f"{day} kl. {clock}" if language == "nb" else f"{day} at {clock}"


def format_day(day: date, language: str) -> str:
    """``"tirsdag 5. mars"`` / ``"Tuesday 5 March"``."""
    pattern = "EEEE d. MMMM" if language == "nb" else "EEEE d MMMM"
    return format_date(day, pattern, locale=LOCALES.get(language, "nb_NO"))
