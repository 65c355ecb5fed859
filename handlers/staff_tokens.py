"""Staff users' API tokens and their lifecycle: issue, authenticate, list, revoke, disable.

A token is 256 random bits shown once; only its hash is stored. Disabling a user stops every
token of theirs at once, because authenticating checks the user as well as the token.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import pages
from handlers.clock import Clock
from handlers.errors import NotFound
from handlers.pages import Page, PageRequest
from handlers.tokens import hash_token, new_secret
from storage.loading import STAFF_LOADS
from storage.models import ApiToken, StaffUser

# Writing last_used_at on every request would make every read a write; once a minute is enough
# to answer "is this token still used?".
LAST_USED_EVERY = timedelta(minutes=1)


async def issue_token(
    session: AsyncSession, clock: Clock, user: StaffUser, name: str = "default"
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token (shown once)."""
    secret = new_secret("los_")
    token = ApiToken(
        staff_user_id=user.id,
        name=name.strip() or "default",
        token_hash=hash_token(secret),
        created_at=clock.now(),
    )
    session.add(token)
    await session.flush()
    return token, secret


async def authenticate(session: AsyncSession, secret: str) -> tuple[StaffUser, ApiToken] | None:
    """The enabled staff user whose live token this is, and the token; else None."""
    row = (
        await session.execute(
            select(ApiToken, StaffUser)
            .options(*STAFF_LOADS)
            .join(StaffUser, StaffUser.id == ApiToken.staff_user_id)
            .where(
                ApiToken.token_hash == hash_token(secret),
                ApiToken.revoked_at.is_(None),
                StaffUser.disabled_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    token, user = row
    return user, token


def use_is_news(clock: Clock, token: ApiToken) -> bool:
    """Whether this use should be written down (not more than once a minute per token)."""
    return token.last_used_at is None or clock.now() - token.last_used_at >= LAST_USED_EVERY


async def record_use(session: AsyncSession, clock: Clock, token_id: int) -> None:
    await session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now())
    )


async def tokens_of(session: AsyncSession, user_id: int, page: PageRequest) -> Page[ApiToken]:
    query = select(ApiToken).where(ApiToken.staff_user_id == user_id)
    return await pages.read(session, query, [ApiToken.id], page, lambda t: [t.id])


async def revoke_token(
    session: AsyncSession, clock: Clock, user_id: int, token_id: int
) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None or token.staff_user_id != user_id:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    return token


async def disable_user(session: AsyncSession, clock: Clock, user: StaffUser) -> None:
    """No token of theirs works from now on; the tokens are revoked too, so enabling the user
    again later does not bring old tokens back to life."""
    now = clock.now()
    if user.disabled_at is None:
        user.disabled_at = now
    await session.execute(
        update(ApiToken)
        .where(ApiToken.staff_user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
