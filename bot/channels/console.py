"""The console channel: SMS without a provider, for ``los chat`` and demos.

When Twilio is not configured, texts to phone numbers are "sent" by recording them, and
``los chat PHONE`` reads them back over ``/console/*``. These routes exist only then, and only
when the service listens on a loopback address: they let anyone speak as any number.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select

from bot.channels.inbound import receive
from handlers.phones import normalise_phone
from scheduler.sending import Limits, OutgoingText
from storage.models import Message

if TYPE_CHECKING:
    from bot.service import Los


class ConsoleChannel:
    channel = "sms"
    limits = Limits(per_second=50)

    async def send(self, text: OutgoingText) -> str:
        return f"console-{text.message_id}"

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        return None

    async def close(self) -> None:
        return None

    def routes(self, los: Los) -> list[web.RouteDef]:
        async def post(request: web.Request) -> web.Response:
            data = await request.json()
            try:
                phone = normalise_phone(str(data.get("phone", "")))
            except ValueError:
                return web.json_response({"error": {"code": "bad_phone"}}, status=422)
            text = str(data.get("text", "")).strip()
            if not text:
                return web.json_response({"error": {"code": "empty_text"}}, status=422)
            await receive(
                los, channel="sms", address=phone, text=text, provider_id=f"console-{uuid.uuid4()}"
            )
            return web.json_response({"ok": True})

        async def get(request: web.Request) -> web.Response:
            """Texts sent to ``phone``: after id ``after``, or the ``last`` few (oldest first)."""
            try:
                phone = normalise_phone(request.query.get("phone", ""))
                after = int(request.query.get("after", "0"))
                last = int(request.query.get("last", "0"))
                if not 0 <= after < 2**31:
                    raise ValueError("after is an id")
            except ValueError:
                return web.json_response({"error": {"code": "bad_query"}}, status=422)
            query = select(Message.id, Message.text).where(
                Message.direction == "out",
                Message.channel == "sms",
                Message.address == phone,
                Message.status.in_(("sent", "delivered")),
                Message.id > after,
            )
            if last > 0:
                query = query.order_by(Message.id.desc()).limit(min(last, 50))
            else:
                query = query.order_by(Message.id)
            async with los.sessions() as session:
                rows = (await session.execute(query)).all()
            messages = [{"id": i, "text": t} for i, t in sorted(rows, key=lambda row: row[0])]
            return web.json_response({"messages": messages})

        return [web.post("/console/messages", post), web.get("/console/messages", get)]
