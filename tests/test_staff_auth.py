"""Sign-in rules (handlers/staff_auth.py) on the real database, with the fake clock."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from bot.staff_users import add_staff
from bot.web.texts import en, nb
from handlers import staff_auth
from handlers.errors import InputError
from storage.models import StaffUser
from tests.harness import Harness

PASSWORD = "lang nok passord for test"


async def new_user(h: Harness, email: str = "kari@los.test") -> int:
    async with h.session() as session:
        user, _ = await add_staff(session, h.clock, name="Kari Berg", email=email)
        user.password_hash = staff_auth.hash_password(PASSWORD)
        user.totp_secret = pyotp.random_base32()
        user.totp_enrolled_at = h.clock.now()
        return user.id


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kort", "too_short"),
        ("password1234", "too_common"),
        ("Sommer2026!!", "too_common"),
        ("abcabcabcabc", "too_common"),
        ("kari@los.test", "too_common"),
        ("aaaaaaaaaaab", "too_common"),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(password: str, reason: str) -> None:
    with pytest.raises(InputError) as refused:
        staff_auth.check_new_password(password, email="kari@los.test", name="Kari Berg")
    assert refused.value.fields == {"password": reason}


def test_a_long_uncommon_password_is_hashed_with_argon2id() -> None:
    staff_auth.check_new_password("kaffe og brød på torsdag", email="kari@los.test")
    stored = staff_auth.hash_password("kaffe og brød på torsdag")
    assert stored.startswith("$argon2id$")
    assert staff_auth.password_matches(stored, "kaffe og brød på torsdag")
    assert not staff_auth.password_matches(stored, "kaffe og brød på fredag")
    assert not staff_auth.password_matches(None, "")


async def test_five_failures_lock_for_15_minutes_and_codes_count_too(h: Harness) -> None:
    await new_user(h)
    async with h.session() as session:
        for _ in range(3):
            result = await staff_auth.check_password(session, h.clock, "kari@los.test", "feil")
            assert result.user is None and not result.locked
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "kari@los.test"))
        assert user is not None
        assert not staff_auth.check_code(user, h.clock, "000000")
        assert not staff_auth.check_code(user, h.clock, "111111")
        assert staff_auth.is_locked(user, h.clock)
        right = await staff_auth.check_password(session, h.clock, "KARI@los.test", PASSWORD)
        assert right.user is None and right.locked
    h.clock.advance(15 * 60 + 1)
    async with h.session() as session:
        right = await staff_auth.check_password(session, h.clock, "kari@los.test", PASSWORD)
        assert right.user is not None


async def test_a_code_works_once_and_only_near_its_time(h: Harness) -> None:
    await new_user(h)
    async with h.session() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "kari@los.test"))
        assert user is not None and user.totp_secret
        totp = pyotp.TOTP(user.totp_secret)
        assert not staff_auth.check_code(
            user, h.clock, totp.at(h.clock.now() - timedelta(minutes=5))
        )
        code = totp.at(h.clock.now())
        assert staff_auth.check_code(user, h.clock, code[:3] + " " + code[3:])
        assert not staff_auth.check_code(user, h.clock, code)  # replayed


async def test_sessions_end_when_idle_after_12_hours_and_when_disabled(h: Harness) -> None:
    user_id = await new_user(h)
    async with h.session() as session:
        user = await session.get(StaffUser, user_id)
        assert user is not None
        opened = await staff_auth.open_session(session, h.clock, user, stage="full")
    for _ in range(26):  # busy all day (12.5 hours): never idle for 30 minutes
        h.clock.advance(29 * 60)
        async with h.session() as session:
            found = await staff_auth.find_session(session, h.clock, opened.token)
        if h.clock.now() - opened.row.created_at < timedelta(hours=12):
            assert found is not None
    async with h.session() as session:
        assert await staff_auth.find_session(session, h.clock, opened.token) is None  # 12 h max
        user = await session.get(StaffUser, user_id)
        assert user is not None
        fresh = await staff_auth.open_session(session, h.clock, user, stage="full")
    h.clock.advance(31 * 60)
    async with h.session() as session:
        assert await staff_auth.find_session(session, h.clock, fresh.token) is None  # idle
        again = await staff_auth.open_session(session, h.clock, user, stage="full")
        stored = await session.get(StaffUser, user_id)
        assert stored is not None
        stored.disabled_at = h.clock.now()
    async with h.session() as session:
        assert await staff_auth.find_session(session, h.clock, again.token) is None


async def test_a_set_up_link_works_once_within_72_hours(h: Harness) -> None:
    async with h.session() as session:
        user, _ = await add_staff(session, h.clock, name="Nina", email="nina@los.test")
        token = staff_auth.new_setup_link(user, h.clock)
        late, _ = await add_staff(session, h.clock, name="Per", email="per@los.test")
        late_token = staff_auth.new_setup_link(late, h.clock)
    h.clock.advance(71 * 3600)
    async with h.session() as session:
        found = await staff_auth.user_for_setup(session, h.clock, token)
        assert found is not None
        staff_auth.finish_setup(found, PASSWORD)
    async with h.session() as session:
        assert await staff_auth.user_for_setup(session, h.clock, token) is None
    h.clock.advance(3600 + 1)
    async with h.session() as session:
        assert await staff_auth.user_for_setup(session, h.clock, late_token) is None


def test_the_staff_app_has_every_word_in_both_languages() -> None:
    assert set(nb.TEXTS) == set(en.TEXTS)
    assert all(value.strip() for value in [*nb.TEXTS.values(), *en.TEXTS.values()])
