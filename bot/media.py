"""The media proxy: staff open a picture or voice note through Los, which keeps no copy.

Los stores only the provider's reference (Twilio's media URL, Telegram's ``file_id``). On each
request it fetches the file from the provider with the channel's own credentials and streams it
on; nothing is written to disk, so retention and erasure of the reference are the whole story.
The staff API (bot/api/attachments.py) and the staff pages both call :func:`serve_attachment`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from telegram.error import TelegramError

from storage.models import Message, MessageAttachment

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
# Shown inline; anything else is a download, so a provider's HTML can never run on our origin.
INLINE_TYPES = ("image/", "audio/", "video/", "application/pdf")


class MediaUnavailable(Exception):
    """The provider no longer has the file, the channel is off, or the reference is unusable."""


async def media_source(los: Los, channel: str, ref: str) -> tuple[str, dict[str, str]]:
    """Where the file is and how to ask for it, without trusting the reference too far."""
    if channel == "sms":
        settings = los.settings
        base = settings.twilio_api_url.rstrip("/") + "/"
        # Twilio's credentials go only to Twilio: a reference elsewhere is refused.
        if not ref.startswith(base) or not settings.twilio_account_sid:
            raise MediaUnavailable("not a Twilio media URL")
        # aiohttp drops this header if Twilio redirects to its file store on another host.
        auth = aiohttp.encode_basic_auth(
            settings.twilio_account_sid, settings.twilio_auth_token or ""
        )
        return ref, {"Authorization": auth}
    if channel == "telegram":
        from bot.channels.telegram import TelegramChannel

        telegram = los.channel("telegram")
        if not isinstance(telegram, TelegramChannel):
            raise MediaUnavailable("Telegram is not configured")
        try:
            bot = await telegram.ready_bot()
            found = await bot.get_file(ref)
        except TelegramError as exc:
            raise MediaUnavailable(f"getFile: {exc.message}") from exc
        if not found.file_path:
            raise MediaUnavailable("getFile gave no path")
        return found.file_path, {}
    raise MediaUnavailable(f"no media on channel {channel}")


def safe_headers(content_type: str, position: int) -> dict[str, str]:
    inline = content_type.startswith(INLINE_TYPES)
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Type": content_type if inline else "application/octet-stream",
        "Content-Disposition": f"{disposition}; filename=vedlegg-{position}",
        "Cache-Control": "no-store, private",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


async def serve_attachment(
    los: Los, request: web.Request, message: Message, attachment: MessageAttachment
) -> web.StreamResponse:
    """Fetch the attachment from its provider and stream it to the staff user's browser."""
    if not attachment.provider_ref:
        raise MediaUnavailable("the reference was erased")
    url, headers = await media_source(los, message.channel, attachment.provider_ref)
    try:
        async with (
            aiohttp.ClientSession(timeout=FETCH_TIMEOUT) as http,
            http.get(url, headers=headers) as upstream,
        ):
            if upstream.status != 200:
                raise MediaUnavailable(f"the provider answered {upstream.status}")
            content_type = attachment.content_type or upstream.content_type
            response = web.StreamResponse(headers=safe_headers(content_type, attachment.position))
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(CHUNK):
                await response.write(chunk)
            await response.write_eof()
            return response
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not fetch an attachment from %s: %r", message.channel, type(exc))
        raise MediaUnavailable("the provider could not be reached") from exc
