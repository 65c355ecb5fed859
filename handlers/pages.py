"""Lists in pages: a request never builds more than one page of objects, however long the list.

A page is read with keyset paging: the query is ordered by columns that end in a unique one
(``starts_at, id``), and the opaque cursor holds the last row's values of those columns, so the
next page starts through the same index wherever it is, without counting past earlier pages.
The total is counted only when asked (it costs a count of everything that matches).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import InputError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class PageRequest:
    """Which page: at most ``limit`` rows after ``cursor``; ``total`` asks for a count too."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    total: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None
    total: int | None = None


def encode(values: Sequence[Any]) -> str:
    raw = [["t", v.isoformat()] if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def decode(cursor: str, width: int) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != width:
            raise ValueError("wrong width")
        values = [
            datetime.fromisoformat(v[1]) if isinstance(v, list) and v[:1] == ["t"] else v
            for v in raw
        ]
        if any(not isinstance(v, int | str | datetime) or isinstance(v, bool) for v in values):
            raise ValueError("wrong value")
        if any(isinstance(v, datetime) and v.tzinfo is None for v in values):
            raise ValueError("naive time")
        return values
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InputError({"cursor": "not a cursor from this list"}) from exc


async def read(
    session: AsyncSession,
    query: Any,
    keys: Sequence[Any],
    request: PageRequest,
    key_of: Callable[[Any], Sequence[Any]],
    *,
    scalars: bool = True,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``query`` in the order of ``keys`` (the last one unique; ``descending``:
    newest first); ``key_of`` gives a row's values of those keys, for the next cursor."""
    total = None
    if request.total:
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        total = int(await session.scalar(counted) or 0)
    if request.cursor:
        after = decode(request.cursor, len(keys))
        bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, after, strict=True)]
        beyond = tuple_(*keys) < tuple_(*bound) if descending else tuple_(*keys) > tuple_(*bound)
        query = query.where(beyond)
    order = [k.desc() for k in keys] if descending else list(keys)
    query = query.order_by(*order).limit(request.limit + 1)
    result = await (session.scalars(query) if scalars else session.execute(query))
    rows = list(result.all())
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    return Page(rows, encode(key_of(rows[-1])) if more and rows else None, total)
