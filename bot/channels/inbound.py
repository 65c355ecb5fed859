"""The shared first steps of every webhook: store once, answer, then understand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from handlers.attachments import IncomingAttachment
from handlers.router import ButtonPress, store_inbound
from scheduler import inbound
from scheduler.metrics import MESSAGES_IN

if TYPE_CHECKING:
    from bot.service import Los


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
    """Store an incoming text (deduplicated on the provider id) and commit it, then route it.

    The text is kept whole and normalised once, in ``store_inbound``, for every channel.

    Returns False for a provider id seen before. A routing failure is logged and left for the
    sweep; the text is already safe.
    """
    async with los.sessions.begin() as session:
        message = await store_inbound(
            session,
            channel=channel,
            address=address,
            text=text,
            provider_id=provider_id,
            received_at=los.clock.now(),
            kind=kind,
            via=via,
            attachments=attachments,
            provider_ref=provider_ref,
            button=button,
        )
        if message is None:
            return False
    MESSAGES_IN.labels(channel).inc()
    await inbound.process(los.sessions, los.clock, los.rules, message.id)
    los.dispatcher.wake()
    return True
