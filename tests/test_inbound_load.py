"""A short load run through the webhook: every text accepted is stored once and routed once.

The webhook only stores; routing happens after, in batches. Fifty connections post at once, some
posts are a provider's retry of one already sent, and the router's queue is made small so that
most texts overflow it and are found again in the database (the path a flood takes).
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update

from scheduler.routing import Router
from storage.models import ContactPoint, InboxItem, Message
from tests.harness import TWILIO_FROM, TWILIO_SID, Harness
from tests.test_priorities import add_participants

TEXTS = 120
AT_ONCE = 50


def number(n: int) -> str:
    return f"+4793{n:06d}"


async def test_no_text_of_a_load_run_is_lost_or_routed_twice(h: Harness) -> None:
    los = h.los
    await add_participants(h, TEXTS)  # numbers as number(n) makes them
    await los.router.stop()
    los.router = Router(
        los.sessions,
        los.clock,
        los.rules,
        los.dispatcher.writing,
        contended=los.write_lock.contended if los.write_lock else lambda: False,
        workers=2,
        batch=7,
        size=16,  # far fewer than the texts: most overflow and are caught up from the database
    )
    los.router.start()
    posts = [(n, f"SMload{n:05d}") for n in range(TEXTS)]
    posts += posts[:30]  # the provider sends some of them again
    gate = asyncio.Semaphore(AT_ONCE)

    async def post(n: int, sid: str) -> int:
        params = {
            "From": number(n),
            "To": TWILIO_FROM,
            "Body": f"Hei, dette er melding {n}",
            "MessageSid": sid,
            "AccountSid": TWILIO_SID,
        }
        async with gate:
            # the raw session: the harness's client would wait for routing after each post
            resp = await h.client.session.post(
                h.client.make_url("/webhooks/twilio/sms"),
                data=params,
                headers={"X-Twilio-Signature": h.sign("/webhooks/twilio/sms", params)},
            )
            await resp.read()
            return resp.status

    statuses = await asyncio.gather(*(post(n, sid) for n, sid in posts))
    assert set(statuses) == {200}
    await asyncio.wait_for(los.router.join(), 120)

    async with h.session() as session:
        stored = (
            await session.execute(
                select(Message.provider_id, func.count(), func.count(Message.processed_at))
                .where(Message.direction == "in")
                .group_by(Message.provider_id)
            )
        ).all()
        items = (
            await session.execute(
                select(func.count(), func.count(func.distinct(InboxItem.message_id))).where(
                    InboxItem.kind == "message"
                )
            )
        ).one()
        answers = await session.scalar(
            select(func.count()).where(Message.direction == "out", Message.kind == "reply")
        )
    assert len(stored) == TEXTS  # every text, none twice
    assert all(n == 1 and routed == 1 for _, n, routed in stored)  # each routed
    assert tuple(items) == (TEXTS, TEXTS)  # routed once: one inbox item per text
    assert answers == TEXTS  # and one acknowledgement each


async def test_a_text_the_router_never_got_is_routed_by_the_sweep(h: Harness) -> None:
    """A crash between storing and routing: the text waits in the database for the sweep."""
    await h.person(phone=number(1))
    await h.los.router.stop()  # as if the process died right after the webhook answered
    assert await h.sms(number(1), "TIMER") == 200
    async with h.session() as session:
        text = await session.scalar(select(Message).where(Message.direction == "in"))
        assert text is not None and text.processed_at is None
        await session.execute(update(ContactPoint).values(last_inbound_at=None))
    h.los.router.start()
    await h.advance(seconds=31)  # the sweep runs every 30 s for texts older than 30 s
    async with h.session() as session:
        routed = await session.scalar(select(Message.processed_at).where(Message.id == text.id))
    assert routed is not None
    assert h.sms_to(number(1))[-1].startswith("Du har ingen")
