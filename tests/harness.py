"""The test harness: Los in-process with the real client libraries and fake providers.

Conversation tests read like the conversation: ``await h.sms(PHONE, "JA")`` and then
``h.sms_to(PHONE)`` is what the person got back.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import RequestValidator

from bot.app import make_app
from bot.config import Settings
from bot.logs import PathOnlyAccessLogger
from bot.service import Los
from bot.staff_users import add_staff
from handlers.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

OSLO = ZoneInfo("Europe/Oslo")
PUBLIC_URL = "http://los.test"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-token"
TWILIO_FROM = "+4759440000"
TELEGRAM_TOKEN = "123456:TEST"
TELEGRAM_SECRET = "telegram-test-secret"


def oslo(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A wall-clock time in Oslo: ``oslo(2026, 3, 2, 10, 0)``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=OSLO)


def test_settings(database_url: str, twilio_url: str, telegram_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "public_url": PUBLIC_URL,
        "twilio_account_sid": TWILIO_SID,
        "twilio_auth_token": TWILIO_TOKEN,
        "twilio_from": TWILIO_FROM,
        "twilio_api_url": twilio_url,
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_webhook_secret": TELEGRAM_SECRET,
        "telegram_api_url": telegram_url,
        "los_fake_clock": True,
        # Each Los its own spool: a text spooled in one test is never replayed into another's.
        "los_spool_path": str(Path(tempfile.mkdtemp(prefix="los-spool-")) / "inbound.jsonl"),
    }
    values.update(extra)
    return Settings(**values)


class Harness:
    def __init__(
        self, los: Los, client: TestClient, twilio: FakeTwilio, telegram: FakeTelegram
    ) -> None:
        self.los = los
        self.client = client
        self.twilio = twilio
        self.telegram = telegram
        self.token = ""
        self._update_id = 1000
        self._sid = 0

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.los.clock, FakeClock)
        return self.los.clock

    # --- staff API ---------------------------------------------------------------------------
    async def api(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = None,
        expect: int | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        resp = await self.client.request(method, path, json=json, headers=headers)
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        if expect is not None:
            assert resp.status == expect, f"{method} {path} -> {resp.status}: {body}"
        self.last_status = resp.status
        return body

    async def inbox_items(self, status: str = "open", *, token: str | None = None) -> list[Any]:
        """Every item of ``GET /api/inbox`` (which answers threads), urgent first, then oldest.

        Each item carries its thread's ``person_id``, ``person_name`` and ``from``.
        """
        items: list[Any] = []
        cursor = ""
        while True:
            page = await self.api(
                "GET", f"/api/inbox?status={status}&limit=500{cursor}", token=token, expect=200
            )
            for thread in page["items"]:
                for item in thread["items"]:
                    item.update(
                        person_id=thread["person_id"],
                        person_name=thread["person_name"],
                        **{"from": thread["from"]},
                    )
                    items.append(item)
            if page["next"] is None:
                break
            cursor = f"&cursor={page['next']}"
        items.sort(key=lambda i: (not i["urgent"], i["created_at"], i["id"]))
        return items

    async def items(self, path: str, *, token: str | None = None) -> list[Any]:
        """Every row of a list, following its pages (``next``) to the end."""
        found: list[Any] = []
        url = path
        while True:
            body = await self.api("GET", url, token=token, expect=200)
            if isinstance(body, list):
                return body
            found += body["items"]
            if not body["next"]:
                return found
            url = f"{path}{'&' if '?' in path else '?'}cursor={quote(body['next'])}"

    async def person(
        self,
        name: str = "Ola Nordmann",
        roles: list[str] | None = None,
        phone: str | None = "+4791234567",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {"name": name, "roles": roles or ["participant"], "phone": phone, **extra}
        result: dict[str, Any] = await self.api("POST", "/api/people", body, expect=201)
        return result

    # --- providers ---------------------------------------------------------------------------
    def sign(self, path: str, params: dict[str, str]) -> str:
        return str(RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL + path, params))

    async def twilio_post(
        self, path: str, params: dict[str, str], *, signature: str | None = None
    ) -> Any:
        sig = self.sign(path, params) if signature is None else signature
        return await self.client.post(path, data=params, headers={"X-Twilio-Signature": sig})

    async def sms(self, phone: str, text: str, *, sid: str | None = None) -> int:
        """The person at ``phone`` texts Los; returns the webhook's status."""
        self._sid += 1
        params = {
            "From": phone,
            "To": TWILIO_FROM,
            "Body": text,
            "MessageSid": sid or f"SMin{self._sid:08d}",
            "AccountSid": TWILIO_SID,
        }
        resp = await self.twilio_post("/webhooks/twilio/sms", params)
        await self.send_due()
        return int(resp.status)

    async def telegram_update(
        self, update: dict[str, Any], *, secret: str = TELEGRAM_SECRET
    ) -> Any:
        resp = await self.client.post(
            "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )
        await self.send_due()
        return resp

    def next_update_id(self) -> int:
        self._update_id += 1
        return self._update_id

    async def tg(self, chat_id: int, text: str) -> int:
        update = {
            "update_id": self.next_update_id(),
            "message": {
                "message_id": self._update_id,
                "date": 0,
                "text": text,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
            },
        }
        return int((await self.telegram_update(update)).status)

    async def tg_press(self, chat_id: int, data: str) -> int:
        update = {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"cb{self._update_id}",
                "data": data,
                "chat_instance": "1",
                "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
                "message": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}},
            },
        }
        return int((await self.telegram_update(update)).status)

    async def link_telegram(self, person_id: int, chat_id: int) -> None:
        invite = await self.api("POST", f"/api/people/{person_id}/invite", expect=201)
        await self.tg(chat_id, f"/start {invite['code']}")

    def sms_to(self, phone: str) -> list[str]:
        return self.twilio.to(phone)

    def tg_to(self, chat_id: int) -> list[str]:
        return self.telegram.to(chat_id)

    # --- time --------------------------------------------------------------------------------
    async def send_due(self) -> None:
        await self.los.dispatcher.drain()

    async def advance(self, **delta: float) -> None:
        """Move the clock (``minutes=30``, ``hours=2``, ``days=1``) through the dev endpoint."""
        seconds = (
            delta.get("seconds", 0)
            + 60 * delta.get("minutes", 0)
            + 3600 * delta.get("hours", 0)
            + 86400 * delta.get("days", 0)
        )
        await self.api("POST", "/api/dev/clock", {"advance_seconds": seconds}, expect=200)

    async def set_time(self, when: datetime) -> None:
        await self.api("POST", "/api/dev/clock", {"set": when.isoformat()}, expect=200)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.los.sessions.begin() as session:
            yield session


@asynccontextmanager
async def running_harness(
    settings: Settings, clock: FakeClock, twilio: FakeTwilio, telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    los = Los(settings, clock=clock)
    app = make_app(los, background=False)
    server = TestServer(app)
    # The production access log (paths only, calendar secrets cut), as `los serve` has it.
    await server.start_server(access_log_class=PathOnlyAccessLogger)
    client = TestClient(server)
    await client.start_server()
    # Calls: the fake Twilio fetches TwiML from this server, signed for PUBLIC_URL.
    twilio.los_url, twilio.public_url = str(server.make_url("")).rstrip("/"), settings.base_url
    harness = Harness(los, client, twilio, telegram)
    async with los.sessions.begin() as session:
        _, harness.token = await add_staff(
            session, clock, name="Test Koordinator", email="koordinator@los.test", role="admin"
        )
    try:
        yield harness
    finally:
        await client.close()
