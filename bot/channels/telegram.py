"""Telegram: the webhook with its secret header, and ``python-telegram-bot`` for sending."""

from __future__ import annotations

import hmac
import json
import logging
import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.inbound import receive
from bot.config import Settings
from handlers.router import ButtonPress
from scheduler.sending import Limits, OutgoingText, SendError

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)


def keyboard(text: OutgoingText) -> InlineKeyboardMarkup | None:
    """Inline answer buttons; their data names the question so a press is never ambiguous."""
    if not text.buttons or text.question_id is None:
        return None
    row = [
        InlineKeyboardButton(label, callback_data=f"q:{text.question_id}:{value}")
        for label, value in text.buttons
    ]
    return InlineKeyboardMarkup([row])


def seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    channel = "telegram"
    limits = Limits(per_second=30, per_address_interval=1.0)

    def __init__(self, settings: Settings) -> None:
        assert settings.telegram_bot_token and settings.telegram_webhook_secret
        self.secret = settings.telegram_webhook_secret
        self.bot = Bot(settings.telegram_bot_token, base_url=f"{settings.telegram_api_url}/bot")
        self._ready = False

    async def ready_bot(self) -> Bot:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True
        return self.bot

    async def username(self) -> str | None:
        try:
            bot = await self.ready_bot()
        except TelegramError:
            return None
        return bot.username

    async def set_webhook(self, public_url: str) -> str:
        """Point Telegram at our webhook, with the secret it must send back on every call."""
        bot = await self.ready_bot()
        url = f"{public_url}/webhooks/telegram"
        await bot.set_webhook(
            url=url,
            secret_token=self.secret,
            allowed_updates=["message", "callback_query"],
        )
        return url

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()

    async def send(self, text: OutgoingText) -> str:
        try:
            bot = await self.ready_bot()
            sent = await bot.send_message(
                chat_id=int(text.address), text=text.text, reply_markup=keyboard(text)
            )
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
                warnings.simplefilter("ignore", DeprecationWarning)
                wait = seconds(exc.retry_after)
            raise SendError("telegram 429", permanent=False, retry_after=wait) from exc
        except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone, bad request
            raise SendError(f"telegram: {exc.message}", permanent=True) from exc
        except (NetworkError, TelegramError) as exc:
            raise SendError(f"telegram: {exc}", permanent=False) from exc
        return f"{text.address}:{sent.message_id}"

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        return None  # the Bot API cannot list sent messages; a crashed send is sent again

    def routes(self, los: Los) -> list[web.RouteDef]:
        async def webhook(request: web.Request) -> web.Response:
            return await self.webhook(los, request)

        return [web.post("/webhooks/telegram", webhook)]

    async def webhook(self, los: Los, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise web.HTTPForbidden(text="bad secret")
        try:
            update = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="not JSON") from None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise web.HTTPBadRequest(text="an Update needs an integer update_id")
        provider_id = f"u{update['update_id']}"
        if isinstance(update.get("message"), dict):
            await self.incoming_message(los, update["message"], provider_id)
        elif isinstance(update.get("callback_query"), dict):
            await self.button_press(los, update["callback_query"], provider_id)
        return web.json_response({"ok": True})

    async def incoming_message(self, los: Los, message: dict[str, Any], provider_id: str) -> None:
        chat = message.get("chat")
        if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
            raise web.HTTPBadRequest(text="message.chat.id is required")
        text = message.get("text") or message.get("caption") or "[ikke tekst]"
        await receive(
            los,
            channel="telegram",
            address=str(chat["id"]),
            text=str(text),
            provider_id=provider_id,
        )

    async def button_press(self, los: Los, query: dict[str, Any], provider_id: str) -> None:
        chat = (query.get("message") or {}).get("chat") or {}
        chat_id = chat.get("id") or (query.get("from") or {}).get("id")
        data = str(query.get("data") or "")
        parts = data.split(":")
        if not isinstance(chat_id, int) or len(parts) != 3 or parts[0] != "q":
            raise web.HTTPBadRequest(text="callback_query with unknown data")
        try:
            question_id = int(parts[1])
        except ValueError:
            raise web.HTTPBadRequest(text="callback_query with unknown data") from None
        label = {"yes": "JA", "no": "NEI"}.get(parts[2], parts[2])
        stored = await receive(
            los,
            channel="telegram",
            address=str(chat_id),
            text=label,
            provider_id=provider_id,
            button=ButtonPress(question_id, parts[2]),
        )
        if stored and query.get("id"):
            try:  # stops the spinner on the button; failure here changes nothing
                bot = await self.ready_bot()
                await bot.answer_callback_query(str(query["id"]))
            except TelegramError:
                log.info("could not answer callback query %s", query.get("id"))
