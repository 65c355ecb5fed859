"""Explicit loading of relationships, which are all ``lazy="raise"``: nothing loads by accident.

A query that hands out people or staff users whose relationships will be read asks for them
(``PERSON_LOADS``, ``STAFF_LOADS``); a function given an object it did not load calls ``load``,
which costs a statement only for what is not loaded yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from storage.models import Person, StaffUser

PERSON_LOADS: tuple[_AbstractLoad, ...] = (
    selectinload(Person.roles),
    selectinload(Person.contacts),
)
STAFF_LOADS: tuple[_AbstractLoad, ...] = (selectinload(StaffUser.sites),)


async def load(session: AsyncSession, obj: Any, *attributes: str) -> None:
    """Load the named relationships of ``obj`` that are not loaded yet (none for a new object)."""
    state = inspect(obj)
    missing = [name for name in attributes if name in state.unloaded]
    if missing and state.persistent:
        await session.refresh(obj, missing)
