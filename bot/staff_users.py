"""Creating staff users and their API tokens (``los staff add``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.errors import Conflict, InputError
from handlers.tokens import hash_token, new_secret
from storage.models import StaffUser


async def add_staff(
    session: AsyncSession, clock: Clock, *, name: str, email: str, role: str = "coordinator"
) -> tuple[StaffUser, str]:
    """Create a staff user; returns it and its token, which is shown once and never stored."""
    if role not in ("admin", "coordinator"):
        raise InputError({"role": "use admin or coordinator"})
    if "@" not in email:
        raise InputError({"email": "not an e-mail address"})
    email = email.strip().lower()
    if await session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise Conflict("a staff user with this e-mail exists", {"email": "in use"})
    token = new_secret("los_")
    user = StaffUser(
        name=name.strip(),
        email=email,
        role=role,
        token_hash=hash_token(token),
        created_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    return user, token
