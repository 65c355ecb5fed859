"""Explicit loading of relationships, which are all ``lazy="raise"``: nothing loads by accident.

A query that hands out people or staff users whose relationships will be read asks for them
(``PERSON_LOADS``, ``STAFF_LOADS``); a function given an object it did not load calls ``load``,
which costs a statement only for what is not loaded yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ONETOMANY, selectinload
from sqlalchemy.orm.attributes import NO_VALUE, set_committed_value
from sqlalchemy.orm.strategy_options import _AbstractLoad

from storage.models import Person, StaffUser

PERSON_LOADS: tuple[_AbstractLoad, ...] = (
    selectinload(Person.roles),
    selectinload(Person.contacts),
)
STAFF_LOADS: tuple[_AbstractLoad, ...] = (selectinload(StaffUser.sites),)


async def load(session: AsyncSession, obj: Any, *attributes: str) -> None:
    """Load the named relationships of ``obj`` that are not loaded yet (none for a new object).

    A plain one-to-many (``Person.roles``, ``Person.contacts``) is one SELECT of its rows by the
    foreign key; ``session.refresh`` would read the parent's row again first."""
    state = inspect(obj)
    missing = [name for name in attributes if name in state.unloaded]
    if not missing or not state.persistent:
        return
    rest = []
    for name in missing:
        relationship = state.mapper.relationships[name]
        pairs = relationship.local_remote_pairs
        simple = (
            relationship.direction is ONETOMANY
            and relationship.secondary is None
            and not relationship.order_by
            and pairs is not None
            and len(pairs) == 1
        )
        value = (
            state.attrs[state.mapper.get_property_by_column(pairs[0][0]).key].loaded_value
            if simple
            else NO_VALUE
        )
        if value is NO_VALUE:
            rest.append(name)
            continue
        remote = pairs[0][1]
        rows = await session.scalars(select(relationship.mapper).where(remote == value))
        set_committed_value(obj, name, list(rows))
    if rest:
        await session.refresh(obj, rest)
