"""Telegram: the webhook with its secret header, and ``python-telegram-bot`` for sending."""

from __future__ import annotations

import functools
import hmac
import json
import logging
import ssl
import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.channels.inbound import receive
from bot.config import Settings
from handlers.attachments import IncomingAttachment, contact_text, place_text
from handlers.buttons import ANSWERS, parse_button, second_press
from handlers.edits import apply_edit
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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context httpx would build, made once: reading the CA bundle costs 0.1 s, and
    every Los (each test's too) would otherwise read it twice, once per request pool."""
    return httpx.create_ssl_context()


def seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    channel = "telegram"
    limits = Limits(per_second=30, per_address_interval=1.0)

    def __init__(self, settings: Settings) -> None:
        assert settings.telegram_bot_token and settings.telegram_webhook_secret
        self.secret = settings.telegram_webhook_secret
        self.bot = Bot(
            settings.telegram_bot_token,
            base_url=f"{settings.telegram_api_url}/bot",
            base_file_url=f"{settings.telegram_api_url}/file/bot",
            # python-telegram-bot's own defaults, with the shared TLS context.
            request=HTTPXRequest(httpx_kwargs={"verify": tls_context()}),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, httpx_kwargs={"verify": tls_context()}
            ),
        )
        # The token begins with the bot's own user id: how a group update names us.
        head = settings.telegram_bot_token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else None
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
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"],
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
        except InvalidToken as exc:  # every send will fail until the token is fixed
            raise SendError(
                "telegram unauthorized: the bot token was refused",
                permanent=False,
                code="telegram_unauthorized",
                fatal=True,
            ) from exc
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
        elif isinstance(update.get("edited_message"), dict):
            await self.edited_message(los, update["edited_message"])
        elif isinstance(update.get("callback_query"), dict):
            await self.button_press(los, update["callback_query"], provider_id)
        elif isinstance(update.get("my_chat_member"), dict):
            await self.membership(update["my_chat_member"])
        # channel posts, reactions, polls, inline queries: nothing for a one-to-one service
        return web.json_response({"ok": True})

    async def incoming_message(self, los: Los, message: dict[str, Any], provider_id: str) -> None:
        chat_id, private = chat_of(message)
        if not private:
            if self.bot_id in {m.get("id") for m in message.get("new_chat_members") or ()}:
                await self.leave(chat_id, str(message["chat"].get("type")))
            return  # Los is one to one: a group is never routed, answered, linked or stored
        content = read_message(message)
        if content is None:
            return  # a service message (pinned, timer changed, ...) says nothing to staff
        text, kind, attachments = content
        await receive(
            los,
            channel="telegram",
            address=str(chat_id),
            text=text,
            provider_id=provider_id,
            kind=kind,
            attachments=attachments,
            provider_ref=message_ref(chat_id, message),
        )

    async def edited_message(self, los: Los, message: dict[str, Any]) -> None:
        """An edited text: staff see the new words; the edit is never routed again."""
        chat_id, private = chat_of(message)
        text = message.get("text", message.get("caption"))
        ref = message_ref(chat_id, message)
        if not private or not isinstance(text, str) or ref is None:
            return  # a moving live location or an edit in a group: nothing to show
        async with los.sessions.begin() as session:
            await apply_edit(
                session,
                channel="telegram",
                provider_ref=ref,
                text=text,
                edited_at=los.clock.now(),
            )

    async def membership(self, update: dict[str, Any]) -> None:
        """Added to a group or channel: leave at once. Los only talks to one person at a time."""
        chat = update.get("chat") or {}
        status = (update.get("new_chat_member") or {}).get("status")
        joined = status in ("member", "administrator", "restricted")
        if chat.get("type") in GROUP_TYPES and joined and isinstance(chat.get("id"), int):
            await self.leave(chat["id"], str(chat["type"]))

    async def leave(self, chat_id: int, chat_type: str) -> None:
        log.info("added to a Telegram %s; leaving it (Los is one to one)", chat_type)
        try:
            bot = await self.ready_bot()
            await bot.leave_chat(chat_id)
        except TelegramError as exc:
            log.warning("could not leave a Telegram %s: %s", chat_type, exc.message)

    async def button_press(self, los: Los, query: dict[str, Any], provider_id: str) -> None:
        """Every press is answered; a known one from a private chat is stored and routed."""
        chat = (query.get("message") or {}).get("chat") or {}
        chat_id = chat.get("id") or (query.get("from") or {}).get("id")
        private = chat.get("type", "private") == "private"
        parsed = parse_button(str(query.get("data") or ""))
        notice: str | None = None
        if isinstance(chat_id, int) and private and parsed is not None:
            question_id, value = parsed
            async with los.sessions() as session:
                notice = await second_press(session, question_id, "telegram", str(chat_id))
            await receive(
                los,
                channel="telegram",
                address=str(chat_id),
                text=ANSWERS[value],
                provider_id=provider_id,
                button=ButtonPress(question_id, value),
            )
        if isinstance(query.get("id"), str):
            await self.answer_button(query["id"], notice)

    async def answer_button(self, query_id: str, notice: str | None) -> None:
        try:  # stops the spinner on the button; failure here changes nothing
            bot = await self.ready_bot()
            await bot.answer_callback_query(query_id, text=notice)
        except TelegramError:
            log.info("could not answer a callback query")


GROUP_TYPES = frozenset({"group", "supergroup", "channel"})
Content = tuple[str, str, list[IncomingAttachment]]


def chat_of(message: dict[str, Any]) -> tuple[int, bool]:
    """The chat id, and whether the chat is private; a message without a chat is a 400."""
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise web.HTTPBadRequest(text="message.chat.id is required")
    kind = chat.get("type") or ("private" if chat["id"] > 0 else "group")
    return chat["id"], kind == "private"


def message_ref(chat_id: int, message: dict[str, Any]) -> str | None:
    """What an edit of this message will name: "<chat id>:<message id>"."""
    message_id = message.get("message_id")
    return f"{chat_id}:{message_id}" if isinstance(message_id, int) else None


def file_of(item: Any) -> str | None:
    if isinstance(item, list) and item:  # a photo comes in several sizes; the last is largest
        item = item[-1]
    if isinstance(item, dict) and isinstance(item.get("file_id"), str):
        return str(item["file_id"])
    return None


# Message fields that carry a file, with the content type to assume when Telegram names none.
MEDIA_FIELDS = {
    "photo": "image/jpeg",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "animation": "video/mp4",
    "document": "application/octet-stream",
    "sticker": "image/webp",
}


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_message(message: dict[str, Any]) -> Content | None:
    """(text, kind, attachments) of a private message, or None when it carries nothing to keep.

    Places and contacts become readable text; files are kept as references with the caption.
    """
    text = message.get("text", message.get("caption"))
    text = text if isinstance(text, str) else ""
    venue = message.get("venue") if isinstance(message.get("venue"), dict) else None
    location = (venue or {}).get("location") or message.get("location")
    if isinstance(location, dict):
        lat, lon = number(location.get("latitude")), number(location.get("longitude"))
        if lat is not None and lon is not None:
            title = str((venue or {}).get("title") or "") or None
            address = str((venue or {}).get("address") or "") or None
            return place_text(lat, lon, title, address), "place", []
    contact = message.get("contact")
    if isinstance(contact, dict):
        name = " ".join(
            str(contact.get(part) or "") for part in ("first_name", "last_name")
        ).strip()
        phone = str(contact.get("phone_number") or "") or None
        return contact_text(name, phone), "contact", []
    attachments = []
    for field, default_type in MEDIA_FIELDS.items():
        file_id = file_of(message.get(field))
        if file_id is None:
            continue
        item = message[field] if isinstance(message[field], dict) else {}
        content_type = item.get("mime_type") if isinstance(item.get("mime_type"), str) else None
        if field == "sticker":
            animated = item.get("is_animated") or item.get("is_video")
            content_type = "video/webm" if animated else default_type
        attachments.append(IncomingAttachment(field, content_type or default_type, file_id))
        break  # Telegram sends one file per message; an album is several messages
    if not text and not attachments:
        return None
    return text, "inbound", attachments
