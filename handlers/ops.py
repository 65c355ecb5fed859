"""What is stuck, at a glance: the outbox, failures and their reasons, the inbox, held texts.

This is the database half of the operations overview (``GET /api/ops`` and the admin page);
the shell adds what only the running process knows (jobs, webhooks, backups, disk). It also
holds the rules for texts restored from a backup: they are ``held`` until an admin releases or
cancels them, so a restore never re-sends yesterday's reminders.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import pages
from handlers.clock import Clock
from handlers.inbox import add_item
from handlers.pages import Page, PageRequest
from handlers.sites import default_site
from storage.models import InboxItem, JobRun, Message, Person

# What a provider's error code means, in the words an operator needs.
PROVIDER_ERRORS = {
    "20003": "wrong credentials: Twilio refused the account SID or auth token",
    "20005": "the Twilio account is not active",
    "21211": "invalid phone number",
    "21408": "sending to this region is not enabled in Twilio",
    "21610": "the number has unsubscribed (STOP to Twilio)",
    "21612": "Twilio cannot route to this number",
    "21614": "not a mobile number",
    "30002": "the Twilio account is suspended",
    "30003": "unreachable phone (off or out of coverage)",
    "30004": "blocked by the recipient or the carrier",
    "30005": "unknown number at the carrier",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier as spam",
    "30008": "unknown delivery error at the carrier",
    "telegram_blocked": "the person blocked the bot, or the chat is gone",
    "telegram_unauthorized": "wrong Telegram bot token",
    "channel_off": "the channel is not configured",
    "other": "another error (see the message's error field)",
}
# Errors after which every send on that channel will fail: pause the channel, tell an admin.
FATAL_CODES = frozenset({"20003", "20005", "30002", "telegram_unauthorized"})
TWILIO_CODE = re.compile(r"^twilio \S+ (\d{5})")
WINDOW = timedelta(hours=24)
# A failed text fails within hours of being due; this bounds the index range scanned.
FAILED_LOOKBACK = timedelta(hours=30)


def error_code(error: str | None) -> str:
    """The provider's code in a message's ``error`` (never the rest: it may hold a number)."""
    if not error:
        return "other"
    found = TWILIO_CODE.match(error)
    if found:
        return found.group(1)
    if error.startswith("telegram: Forbidden") or "chat not found" in error:
        return "telegram_blocked"
    if error.startswith("telegram unauthorized"):
        return "telegram_unauthorized"
    if error == "channel_off":
        return "channel_off"
    return "other"


def meaning(code: str) -> str:
    return PROVIDER_ERRORS.get(code, "provider error " + code)


def _outgoing() -> ColumnElement[bool]:
    return Message.direction == "out"


async def queue_by_state(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Outbox rows still to send (queued, sending, held) by state and channel."""
    rows = await session.execute(
        select(Message.status, Message.channel, func.count())
        .where(_outgoing(), Message.status.in_(("queued", "sending", "held")))
        .group_by(Message.status, Message.channel)
    )
    found: dict[str, dict[str, int]] = {"queued": {}, "sending": {}, "held": {}}
    for status, channel, count in rows.all():
        found[status][channel] = int(count)
    return found


async def oldest_due_age(session: AsyncSession, clock: Clock) -> float | None:
    """Seconds the oldest due, unsent text has waited; None when nothing due is waiting."""
    now = clock.now()
    oldest = await session.scalar(
        select(func.min(Message.send_after)).where(
            Message.status == "queued", Message.send_after <= now, _outgoing()
        )
    )
    if oldest is None:
        return None
    if isinstance(oldest, str):  # SQLite's min() of a text column comes back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())


async def failures(session: AsyncSession, clock: Clock) -> list[dict[str, Any]]:
    """Texts that failed in the last 24 hours, by channel and provider error code."""
    now = clock.now()
    rows = await session.execute(
        select(Message.channel, Message.error, func.count())
        .where(
            Message.status == "failed",
            Message.send_after >= now - FAILED_LOOKBACK,
            func.coalesce(Message.claimed_at, Message.send_after) >= now - WINDOW,
            _outgoing(),
        )
        .group_by(Message.channel, Message.error)
    )
    counted: dict[tuple[str, str], int] = {}
    for channel, error, count in rows.all():
        key = (channel, error_code(error))
        counted[key] = counted.get(key, 0) + int(count)
    return [
        {"channel": channel, "code": code, "meaning": meaning(code), "count": count}
        for (channel, code), count in sorted(counted.items(), key=lambda kv: -kv[1])
    ]


async def inbox_open(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(InboxItem.urgent, func.count())
        .where(InboxItem.status == "open")
        .group_by(InboxItem.urgent)
    )
    found = {"urgent": 0, "normal": 0}
    for urgent, count in rows.all():
        found["urgent" if urgent else "normal"] += int(count)
    return found


async def people_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Person.status, Person.erased_at.is_(None), func.count()).group_by(
            Person.status, Person.erased_at.is_(None)
        )
    )
    found: dict[str, int] = {}
    for status, kept, count in rows.all():
        key = status if kept else "erased"
        found[key] = found.get(key, 0) + int(count)
    return found


ALERT_KINDS = ("provider_down", "bad_signatures")


async def open_alerts(session: AsyncSession) -> list[dict[str, Any]]:
    """Operations items still open in the inbox (a paused channel, refused webhooks), whichever
    process raised them."""
    items = await session.scalars(
        select(InboxItem)
        .where(InboxItem.status == "open", InboxItem.kind.in_(ALERT_KINDS))
        .order_by(InboxItem.created_at, InboxItem.id)
    )
    return [
        {"id": i.id, "kind": i.kind, "summary": i.summary, "created_at": i.created_at.isoformat()}
        for i in items
    ]


async def job_runs(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every periodic job's last run and last success, whichever process ran it."""
    rows = await session.scalars(select(JobRun).order_by(JobRun.name))
    return {
        run.name: {
            "job": run.name,
            "every_seconds": run.every_seconds,
            "last_run": run.last_run_at.isoformat() if run.last_run_at else None,
            "last_success": run.last_success_at.isoformat() if run.last_success_at else None,
            "last_error": run.last_error,
            "worker": run.worker,
        }
        for run in rows
    }


async def last_backup(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(JobRun.last_success_at).where(JobRun.name == "backup"))


async def overview(session: AsyncSession, clock: Clock) -> dict[str, Any]:
    """The database's part of the operations overview."""
    return {
        "alerts": await open_alerts(session),
        "job_runs": await job_runs(session),
        "last_backup": await last_backup(session),
        "queue": await queue_by_state(session),
        "oldest_queued_seconds": await oldest_due_age(session, clock),
        "failed_24h": await failures(session, clock),
        "inbox_open": await inbox_open(session),
        "people": await people_by_status(session),
    }


# --- texts restored from a backup ------------------------------------------------------------


async def hold_outbox(session: AsyncSession) -> int:
    """After a restore: every text that was waiting when the backup was taken is held."""
    result = await session.execute(
        update(Message)
        .where(_outgoing(), Message.status.in_(("queued", "sending")))
        .values(status="held", claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _held(ids: list[int] | None) -> list[ColumnElement[bool]]:
    where = [_outgoing(), Message.status == "held"]
    if ids is not None:
        where.append(Message.id.in_(ids))
    return where


async def list_held(session: AsyncSession, page: PageRequest) -> Page[dict[str, Any]]:
    """Held texts for an admin to decide on: what kind, when due, never the text or number."""
    query = select(Message).where(*_held(None))
    found = await pages.read(session, query, [Message.id], page, lambda m: [m.id])
    items = [
        {
            "id": m.id,
            "channel": m.channel,
            "kind": m.kind,
            "person_id": m.person_id,
            "send_after": m.send_after.isoformat() if m.send_after else None,
        }
        for m in found.items
    ]
    return Page(items, found.next, found.total)


async def release_held(
    session: AsyncSession, clock: Clock, ids: list[int] | None, *, future_only: bool = False
) -> int:
    """Queue held texts again (all, or these ids; or only those still due in the future)."""
    where = _held(ids)
    if future_only:
        where.append(Message.send_after > clock.now())
    result = await session.execute(
        update(Message)
        .where(*where)
        .values(status="queued", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def cancel_held(session: AsyncSession, ids: list[int] | None) -> int:
    result = await session.execute(
        update(Message)
        .where(*_held(ids))
        .values(status="cancelled", error="held after restore")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- urgent items for admins -----------------------------------------------------------------


async def alert_admins(session: AsyncSession, clock: Clock, kind: str, summary: str) -> bool:
    """One urgent inbox item on the first site, unless the same one is still open."""
    open_already = await session.scalar(
        select(InboxItem.id).where(
            InboxItem.kind == kind, InboxItem.summary == summary, InboxItem.status == "open"
        )
    )
    site = await default_site(session)
    if open_already is not None or site is None:
        return False
    await add_item(session, clock, site_id=site.id, kind=kind, summary=summary, urgent=True)
    return True
