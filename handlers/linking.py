"""Invite codes: ``/start <code>`` links a Telegram chat to the person the code was made for."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clock import Clock
from storage.models import InviteCode, Person

if TYPE_CHECKING:
    from handlers.context import Conversation

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_VALID_FOR = timedelta(days=30)


async def new_invite(session: AsyncSession, clock: Clock, person: Person) -> InviteCode:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    invite = InviteCode(
        person_id=person.id,
        code=code,
        created_at=clock.now(),
        expires_at=clock.now() + CODE_VALID_FOR,
    )
    session.add(invite)
    await session.flush()
    return invite


async def link_telegram(conv: Conversation, code: str | None) -> None:
    """Attach this chat to the invited person; a bad or used code gets a kind refusal."""
    if code is None:
        await conv.reply("telegram_welcome" if conv.person is None else "started")
        return
    now = conv.clock.now()
    invite = await conv.session.scalar(
        select(InviteCode).where(InviteCode.code == code.upper(), InviteCode.used_at.is_(None))
    )
    if invite is None or invite.expires_at <= now:
        await conv.reply("telegram_bad_code")
        return
    person = await conv.session.get(Person, invite.person_id)
    if person is None or person.erased_at is not None:
        await conv.reply("telegram_bad_code")
        return
    invite.used_at = now
    conv.contact.person_id = person.id
    conv.contact.consent_at = now
    conv.contact.consent_source = "telegram_start"
    conv.contact.opted_out_at = None
    conv.person = person
    conv.message.person_id = person.id
    await conv.reply("telegram_linked", name=person.first_name)
