"""What Twilio's delivery reports say about a number, and what Los does about it.

- 21610: the recipient has unsubscribed at the carrier (replied STOP to Twilio). The contact is
  opted out, as if they had written STOPP to us, and staff are told in the inbox.
- 30003 (unreachable), 30005 (unknown or inactive number), 30006 (landline or unreachable
  carrier): three of these in a row, with no delivery between, mark the number as possibly
  wrong, and the person's key worker gets an inbox item. A delivery clears the mark.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import inbox
from handlers.clock import Clock
from storage.models import ContactPoint, Message, Person

UNSUBSCRIBED = 21610
UNREACHABLE = frozenset({30003, 30005, 30006})
SUSPECT_AFTER = 3
OPEN_STATUSES = ("sent", "delivered", "sending")

CARRIER_OPT_OUT = (
    "Nummeret har meldt seg av hos mobiloperatøren (Twilio 21610). Los sender ikke flere "
    "meldinger dit før personen skriver START."
)
POSSIBLY_WRONG = (
    "Tre meldinger på rad kom ikke fram (Twilio {codes}). Nummeret kan være feil eller ute av "
    "bruk; sjekk det med personen."
)


def error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


async def record_status(
    session: AsyncSession, clock: Clock, message: Message, status: str, code: int | None
) -> None:
    """Apply one status callback to an outgoing text and to what it says about the number.

    Callbacks may come twice and in any order: only the first that moves the text from sent to
    delivered or failed counts.
    """
    if message.status not in OPEN_STATUSES:
        return
    contact = (
        await session.get(ContactPoint, message.contact_point_id)
        if message.contact_point_id
        else None
    )
    if status == "delivered":
        message.status = "delivered"
        message.delivered_at = clock.now()
        if contact is not None:
            contact.failed_in_row = 0
            contact.suspect_at = None
        return
    if status not in ("failed", "undelivered"):
        return
    message.status = "failed"
    message.error = f"twilio {status} {code or ''}".strip()
    if contact is None or code is None:
        return
    if code == UNSUBSCRIBED:
        await carrier_opt_out(session, clock, message, contact)
    elif code in UNREACHABLE:
        contact.failed_in_row = (contact.failed_in_row or 0) + 1
        if contact.failed_in_row >= SUSPECT_AFTER and contact.suspect_at is None:
            await possibly_wrong(session, clock, message, contact)


async def carrier_opt_out(
    session: AsyncSession, clock: Clock, message: Message, contact: ContactPoint
) -> None:
    if contact.opted_out_at is not None:
        return
    contact.opted_out_at = clock.now()
    await _tell_staff(session, clock, message, contact, "carrier_opt_out", CARRIER_OPT_OUT)


async def possibly_wrong(
    session: AsyncSession, clock: Clock, message: Message, contact: ContactPoint
) -> None:
    contact.suspect_at = clock.now()
    codes = "/".join(str(c) for c in sorted(UNREACHABLE))
    await _tell_staff(
        session, clock, message, contact, "wrong_number", POSSIBLY_WRONG.format(codes=codes)
    )


async def _tell_staff(
    session: AsyncSession,
    clock: Clock,
    message: Message,
    contact: ContactPoint,
    kind: str,
    summary: str,
) -> None:
    person = await session.get(Person, contact.person_id) if contact.person_id else None
    site_id = person.site_id if person else message.site_id
    if site_id is None:
        return
    await inbox.add_item(
        session,
        clock,
        site_id=site_id,
        kind=kind,
        summary=summary,
        person_id=person.id if person else None,
        contact_point_id=contact.id,
        assigned_to=person.contact_staff_id if person else None,
    )
