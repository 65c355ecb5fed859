"""Local time for people: site time zones, quiet hours and Norwegian/English date words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from handlers.texts import t

# Babel's locale for each language's day and month names.
LOCALES = {
    "nb": "nb_NO",
    "en": "en_GB",
    "pl": "pl_PL",
    "lt": "lt_LT",
    "ro": "ro_RO",
    "uk": "uk_UA",
    "ru": "ru_RU",
    "ar": "ar_EG",
    "so": "so_SO",
}


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
    """``"i morgen kl. 10:00"``, ``"tirsdag 5. mars kl. 10:00"`` / ``"tomorrow at 10:00"``: the
    words are each language's catalogue texts ``when_today``/``when_tomorrow``/``when_day``."""
    local = moment.astimezone(tz)
    clock = local.strftime("%H:%M")
    if today is not None:
        delta = (local.date() - today).days
        if delta == 0:
            return t(language, "when_today", clock=clock)
        if delta == 1:
            return t(language, "when_tomorrow", clock=clock)
    return t(language, "when_day", day=format_day(local.date(), language), clock=clock)


def format_day(day: date, language: str) -> str:
    """``"tirsdag 5. mars"`` / ``"Tuesday 5 March"`` / ``"wtorek 5 marca"``; digits stay 0-9."""
    pattern = "EEEE d. MMMM" if language == "nb" else "EEEE d MMMM"
    return format_date(day, pattern, locale=LOCALES.get(language, "nb_NO"))
