"""The shared first steps of every webhook: store once, answer, then understand.

The webhook costs one INSERT and one commit, shared with the texts that arrive at the same moment
(scheduler/storing.py); routing happens right after, outside the request, in the router's workers
(scheduler/routing.py).

A webhook never loses a text it received: if the database cannot take it within
``LOS_SPOOL_AFTER`` seconds (down, unreachable, or locked), the text goes to the spool
(scheduler/spool.py) and the webhook answers 200 all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from handlers.attachments import IncomingAttachment
from handlers.incoming_text import clean_text
from handlers.router import ButtonPress
from scheduler.inbound import Incoming
from scheduler.metrics import INBOUND_SPOOLED
from scheduler.outage import Outage

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)
OUTAGE = Outage("storing incoming texts (they go to the spool meanwhile)")


async def receive(
    los: Los,
    *,
    channel: str,
    address: str,
    text: str,
    provider_id: str,
    kind: str = "inbound",
    via: str | None = None,
    attachments: Sequence[IncomingAttachment] = (),
    provider_ref: str | None = None,
    button: ButtonPress | None = None,
) -> bool:
    """Store an incoming text (deduplicated on the provider id) and commit it; the router routes
    it right after, outside the request.

    The text is kept whole and normalised once, in ``store_inbound``, for every channel.

    Returns False for a provider id seen before. A text the database cannot take in time is
    spooled.
    """
    incoming = Incoming(
        channel=channel,
        address=address,
        text=clean_text(text),  # before the spool too: a lone surrogate cannot be written as JSON
        provider_id=provider_id,
        received_at=los.clock.now(),
        kind=kind,
        via=via,
        attachments=tuple(attachments),
        provider_ref=provider_ref,
        button=button,
    )
    storing = los.texts_in.submit(incoming)
    done, _ = await asyncio.wait({storing}, timeout=los.settings.los_spool_after)
    if storing in done and storing.exception() is None:
        OUTAGE.ok()
        message_id = storing.result()
        if message_id is not None:
            los.router.submit(message_id, incoming.address)
        return message_id is not None
    if storing in done:
        OUTAGE.failed(storing.exception() or RuntimeError("store failed"))
    else:  # still waiting for the database: it may yet store it; the spool is deduplicated
        OUTAGE.failed(TimeoutError(f"no database within {los.settings.los_spool_after} s"))
        los.late_stores.add(storing)
        storing.add_done_callback(lambda stored: finish_late(los, stored))
    await los.spool.append(incoming)
    INBOUND_SPOOLED.inc()
    return True


def finish_late(los: Los, stored: asyncio.Future[int | None]) -> None:
    los.late_stores.discard(stored)
    if not stored.cancelled() and stored.exception() is None and (found := stored.result()):
        los.router.submit(found, "")
