"""The pieces every request and response model is built from.

- ``ApiModel`` refuses fields it does not know (a typo is a 422, never silently ignored).
- ``Id`` and ``Count`` fit the database's 32-bit integers, so a huge number is a 422, not a 500.
- ``Text`` is a string without NUL bytes or lone surrogates, which PostgreSQL cannot store.
- ``Period`` is the one way to ask for a stretch of time: ``from`` inclusive, ``to`` exclusive.
- ``Time`` is how every time is answered: UTC, ISO 8601 with the offset (``+00:00``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from handlers.errors import InputError
from handlers.pages import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

INT32 = 2**31 - 1
# Times outside these years are typing errors, and near year 1 or 9999 time zone arithmetic fails.
FIRST_YEAR, LAST_YEAR = 1900, 2200


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode") from None
    return value


def _sane_year(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _as_utc(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


Id = Annotated[int, Field(ge=1, le=INT32)]
Count = Annotated[int, Field(ge=0, le=INT32)]
Text = Annotated[str, AfterValidator(_storable)]
Day = Annotated[date, AfterValidator(_sane_year)]
# A time in a request: with an offset, or without one meaning the site's time zone.
When = Annotated[datetime, AfterValidator(_sane_year)]
# A time in an answer: always UTC with its offset.
Time = Annotated[datetime, PlainSerializer(_as_utc, return_type=str, when_used="json")]


def keep(**constraints: Any) -> Any:
    """A field of a change (PATCH): left out, it stays as it is; ``null`` is refused (422)
    because the field may not be empty."""
    return Field(None, **constraints)


class ApiModel(BaseModel):
    """Base of every request and response model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_unstorable_text(cls, data: Any) -> Any:
        """Strings anywhere (also in free-form dicts and lists) must be storable."""
        bad = _unstorable(data)
        if bad is not None:
            raise ValueError(f"{bad or 'a value'} holds a NUL character or invalid Unicode")
        return data


def _unstorable(value: Any, where: str = "") -> str | None:
    if isinstance(value, str):
        try:
            _storable(value)
        except ValueError:
            return where
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, where) if isinstance(key, str) else None
            found = found if found is not None else _unstorable(item, f"{where}.{key}".lstrip("."))
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{where}.{index}".lstrip("."))
            if found is not None:
                return found
    return None


def local_to_utc(value: datetime, timezone: str) -> datetime:
    """A time without an offset is in the site's time zone (CONTRACT §4)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(UTC)


def day_start(day: date, timezone: str) -> datetime:
    """Local midnight at the start of ``day``, in UTC (right across daylight-saving changes)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


class Period(ApiModel):
    """``from`` (inclusive) and ``to`` (exclusive): dates, or times; a date or a time without an
    offset is in the site's time zone. ``to`` must come after ``from``."""

    from_: Day | When | None = Field(None, alias="from")
    to: Day | When | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.from_ is not None and self.to is not None:
            if isinstance(self.from_, datetime) != isinstance(self.to, datetime):
                raise ValueError("give from and to both as dates or both as times")
            first, last = self.from_, self.to
            if (
                isinstance(first, datetime)
                and isinstance(last, datetime)
                and (first.tzinfo is None) != (last.tzinfo is None)
            ):
                raise ValueError("give from and to both with or both without an offset")
            if not first < last:
                raise ValueError("to must be after from (to is exclusive)")
        return self

    def bounds(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The period as UTC times, either end open when not given."""

        def utc(value: date | datetime | None) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, datetime):
                return local_to_utc(value, timezone)
            return day_start(value, timezone)

        return utc(self.from_), utc(self.to)

    def days(self, first: date, end: date) -> tuple[date, date]:
        """The period as dates (``end`` exclusive), with defaults for an open end."""
        start = self.from_ if self.from_ is not None else first
        stop = self.to if self.to is not None else end
        if isinstance(start, datetime) or isinstance(stop, datetime):
            raise InputError({"from": "this period is in whole days: use YYYY-MM-DD"})
        return start, stop


class AttachmentOut(ApiModel):
    """An attachment as staff see it: its kind and label, and where Los fetches it from."""

    n: int
    kind: str
    label: str
    content_type: str | None
    url: str | None


class ContentOut(ApiModel):
    """What staff see of a message beyond its text: a label, attachments and whether the sender
    edited it."""

    label: str | None = None
    attachments: list[AttachmentOut] = Field(default_factory=list)
    edited: bool = False


class Paging(ApiModel):
    """A page of a list: ``limit`` rows (50, at most 500) after ``cursor`` (the ``next`` of the
    page before); ``total=true`` counts everything that matches as well."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Text | None = Field(None, max_length=500)
    total: bool = False

    def page(self) -> PageRequest:
        return PageRequest(limit=self.limit, cursor=self.cursor, total=self.total)
