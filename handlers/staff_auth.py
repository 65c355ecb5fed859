"""Staff sign-in: passwords, the TOTP second factor, lockout, set-up links and sessions.

The rules of CONTRACT §7 live here once; ``bot/web`` only carries them over HTTP. Time comes from
the Clock, so the idle and absolute time-outs, the lockout and the TOTP codes all follow the fake
clock in tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from handlers.common_passwords import is_common
from handlers.errors import InputError
from handlers.tokens import hash_token, new_secret
from storage.loading import STAFF_LOADS
from storage.models import StaffSession, StaffUser

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=12)
# Between the password and the code: long enough to open an authenticator app, no longer.
SECOND_STEP_TIMEOUT = timedelta(minutes=10)
SETUP_LINK_VALID = timedelta(hours=72)
# Writing last_seen_at on every request costs a write per click; a minute is precise enough.
TOUCH_EVERY = timedelta(minutes=1)
TOTP_ISSUER = "Los"

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so an unknown address takes as long as a known one.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """422 naming ``password`` unless it is long enough and not a common or personal one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError({"password": "too_short"})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError({"password": "too_long"})
    folded = password.lower()
    personal = {email.lower(), email.lower().split("@")[0], name.lower().replace(" ", "")}
    if is_common(folded) or folded in personal or len(set(folded)) <= 3:
        raise InputError({"password": "too_common"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_setup_link(user: StaffUser, clock: Clock) -> str:
    """A one-time set-up token for ``user`` (valid 72 h); the old password and TOTP go."""
    token = new_secret()
    user.setup_token_hash = hash_token(token)
    user.setup_expires_at = clock.now() + SETUP_LINK_VALID
    user.password_hash = None
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.failed_sign_ins = 0
    user.locked_until = None
    return token


async def user_for_setup(session: AsyncSession, clock: Clock, token: str) -> StaffUser | None:
    """The user a set-up link is for, if the link is unused, unexpired and the user enabled."""
    user = await session.scalar(
        select(StaffUser)
        .options(*STAFF_LOADS)
        .where(StaffUser.setup_token_hash == hash_token(token))
    )
    if (
        user is None
        or user.disabled_at is not None
        or user.setup_expires_at is None
        or user.setup_expires_at <= clock.now()
    ):
        return None
    return user


def finish_setup(user: StaffUser, password: str) -> None:
    """Set the password from a set-up link; the link is used up, the TOTP is enrolled next."""
    check_new_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    user.setup_token_hash = None
    user.setup_expires_at = None


@dataclass
class PasswordResult:
    """What the first step decided: a user to ask for the code, or why not."""

    user: StaffUser | None
    locked: bool = False


def is_locked(user: StaffUser, clock: Clock) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


def record_failure(user: StaffUser, clock: Clock) -> None:
    """One more wrong password or code; the fifth locks the account for 15 minutes."""
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= MAX_FAILURES:
        user.locked_until = clock.now() + LOCKOUT
        user.failed_sign_ins = 0


async def check_password(
    session: AsyncSession, clock: Clock, email: str, password: str
) -> PasswordResult:
    """The first factor. A locked account is refused even with the right password."""
    user = await session.scalar(
        select(StaffUser).options(*STAFF_LOADS).where(StaffUser.email == email.strip().lower())
    )
    if user is None:
        password_matches(None, password)
        return PasswordResult(None)
    if is_locked(user, clock):
        return PasswordResult(None, locked=True)
    if user.disabled_at is not None or not password_matches(user.password_hash, password):
        record_failure(user, clock)
        return PasswordResult(None, locked=is_locked(user, clock))
    return PasswordResult(user)


def totp_for(user: StaffUser) -> pyotp.TOTP:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret)


def start_enrolment(user: StaffUser) -> str:
    """A TOTP secret for a user who has none yet; kept until the first code confirms it."""
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def enrolment_uri(user: StaffUser) -> str:
    return totp_for(user).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_code(user: StaffUser, clock: Clock, code: str) -> bool:
    """The second factor: a 6-digit code for now (±30 s), each code used once."""
    code = "".join(code.split())
    if user.totp_secret is None or len(code) != 6 or not code.isdigit() or is_locked(user, clock):
        return False
    totp = totp_for(user)
    now = clock.now()
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=30 * drift)
        step = int(moment.timestamp()) // totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            user.failed_sign_ins = 0
            if user.totp_enrolled_at is None:
                user.totp_enrolled_at = now
            return True
    record_failure(user, clock)
    return False


@dataclass
class NewSession:
    row: StaffSession
    token: str  # the cookie's value; only its hash is stored


async def open_session(
    session: AsyncSession, clock: Clock, user: StaffUser, *, stage: str
) -> NewSession:
    token = new_secret()
    now = clock.now()
    row = StaffSession(
        staff_user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        stage=stage,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    await session.flush()
    return NewSession(row, token)


def session_alive(row: StaffSession, user: StaffUser, now: datetime) -> bool:
    if row.ended_at is not None or user.disabled_at is not None:
        return False
    if row.stage == "password":
        return now - row.created_at < SECOND_STEP_TIMEOUT
    return now - row.last_seen_at < IDLE_TIMEOUT and now - row.created_at < MAX_SESSION


async def find_session(
    session: AsyncSession, clock: Clock, token: str | None
) -> tuple[StaffSession, StaffUser] | None:
    """The live session for a cookie value, and its user; touches ``last_seen_at``."""
    if not token:
        return None
    found = (
        await session.execute(
            select(StaffSession, StaffUser)
            .options(*STAFF_LOADS)
            .join(StaffUser, StaffUser.id == StaffSession.staff_user_id)
            .where(StaffSession.token_hash == hash_token(token))
        )
    ).first()
    if found is None:
        return None
    row, user = found
    now = clock.now()
    if not session_alive(row, user, now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


async def end_sessions(session: AsyncSession, clock: Clock, user_id: int) -> None:
    """Every session of this user stops working (sign-out everywhere, reset, disable)."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )
