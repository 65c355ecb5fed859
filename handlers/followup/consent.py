"""Consent: what a person agreed to (texts from Los, contact with a named partner or relative,
photos), when, recorded by whom, how, and its withdrawal. Outreach and exports check it; the
person can text SAMTYKKE to hear what is recorded.

What each export that names a person needs, asked here by the handler that builds it so the API
and the staff app obey alike:
- the desk list (what Los would have texted someone with no phone): texts, which hold unless
  withdrawn, since registering a number is the consent to texts (``texts_withdrawn``);
- a partner suggestion (on an assignment, the "not seen" list and its inbox items): a current
  consent naming that partner or relative (``partners_allowed``).
Aggregate exports (the yearly report's CSV, XLSX and print page, with "<5") name nobody and need
no consent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import Conversation
from handlers.errors import InputError
from handlers.localtime import format_day
from storage.models import Consent

NEEDS_PARTY = frozenset({"partner", "relative"})


def check(scope: str, party: str | None) -> None:
    if scope in NEEDS_PARTY and not (party or "").strip():
        raise InputError({"party": "name the partner or relative"})


async def of_person(
    session: AsyncSession, person_id: int, *, current_only: bool = False
) -> list[Consent]:
    query = select(Consent).where(Consent.person_id == person_id)
    if current_only:
        query = query.where(Consent.withdrawn_at.is_(None))
    return list(await session.scalars(query.order_by(Consent.given_at, Consent.id)))


def texts_withdrawn() -> Select[int]:
    """People whose every consent to texts is withdrawn: for filtering an export in its query."""
    return (
        select(Consent.person_id)
        .where(Consent.scope == "texts")
        .group_by(Consent.person_id)
        .having(func.count(Consent.id) == func.count(Consent.withdrawn_at))
    )


async def texts_allowed(session: AsyncSession, person_id: int) -> bool:
    """Unprompted texts ("Alt vel?") go out unless consent to texts was recorded and withdrawn
    with none given since. Registering a number is the consent the rest of Los relies on."""
    rows = [c for c in await of_person(session, person_id) if c.scope == "texts"]
    return not rows or any(c.withdrawn_at is None for c in rows)


async def partners_allowed(session: AsyncSession, person_id: int) -> list[str]:
    """The partners and relatives staff may contact about this person, by name: the partner
    suggestion of an assignment and of the "not seen" follow-up. Nobody without consent."""
    return [
        c.party
        for c in await of_person(session, person_id, current_only=True)
        if c.scope in NEEDS_PARTY and c.party
    ]


def withdraw(consent: Consent, now: datetime, staff_id: int | None) -> None:
    if consent.withdrawn_at is None:
        consent.withdrawn_at = now
        consent.withdrawn_by = staff_id


async def consent_command(conv: Conversation, args: list[str]) -> None:
    """SAMTYKKE / CONSENT: what is recorded, in plain words."""
    assert conv.person is not None
    current = await of_person(conv.session, conv.person.id, current_only=True)
    if not current:
        await conv.reply("consent_none")
        return
    items = []
    for c in current:
        what = conv.text(f"consent_{c.scope}", party=c.party or "")
        day = format_day(c.given_at.astimezone(conv.tz).date(), conv.language)
        items.append(f"{what} ({day})")
    await conv.reply("consent_summary", items="; ".join(items))
