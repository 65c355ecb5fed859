"""SMS through Twilio: signed webhooks in, the ``twilio`` library's REST client out."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.inbound import receive
from bot.config import Settings
from handlers.attachments import IncomingAttachment, kind_of_content_type
from handlers.delivery import error_code, record_status
from handlers.phones import normalise_phone
from handlers.router import keyword_kind
from scheduler.sending import Limits, OutgoingText, SendError
from storage.models import Message

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Twilio error codes that no retry can fix: bad number, unsubscribed, not a mobile, blocked.
PERMANENT_CODES = {21211, 21214, 21217, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006}
FAILED_STATUSES = {"failed", "undelivered"}
# Every send will fail the same way: wrong credentials, account inactive or suspended.
FATAL_CODES = {20003, 20005, 30002}


async def read_form(request: web.Request) -> dict[str, str]:
    """Twilio posts ``application/x-www-form-urlencoded`` UTF-8; anything else is a 400."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise web.HTTPBadRequest(text="expected a form post")
    try:
        body = (await request.read()).decode("utf-8")
        pairs = parse_qsl(body, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(text="the form is not valid UTF-8") from None
    return dict(pairs)


def refused(exc: TwilioRestException) -> SendError:
    """Twilio answered with an error: retried only when it is busy (429) or failing (5xx)."""
    transient = exc.status == 429 or exc.status >= 500
    return SendError(
        f"twilio {exc.status} {exc.code}: {exc.msg}",
        permanent=not transient or (exc.code in PERMANENT_CODES),
        code=str(exc.code) if exc.code else None,
        fatal=exc.code in FATAL_CODES or exc.status == 401,
    )


def unreachable(exc: BaseException) -> SendError:
    """Not connecting at all is clear; anything later may have reached Twilio."""
    ambiguous = not isinstance(exc, aiohttp.ClientConnectorError)
    return SendError(f"twilio unreachable: {exc!r}", permanent=False, ambiguous=ambiguous)


class QuietTwilioHttpClient(AsyncTwilioHttpClient):
    """The library logs every request and answer, formatting them even when the log level drops
    them, with numbers in the query string: neither belongs on the sending path."""

    def log_request(self, kwargs: dict[str, Any]) -> None:
        return None

    def log_response(self, status_code: int, response: Any) -> None:
        return None


def make_client(settings: Settings) -> tuple[Client, QuietTwilioHttpClient]:
    """A Twilio client on an aiohttp session of its own (texts and calls each have one); made
    inside the running event loop that the session needs."""
    http = QuietTwilioHttpClient(timeout=30)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    client.api.base_url = settings.twilio_api_url
    return client, http


class TwilioChannel:
    channel = "sms"

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
        # Twilio queues per sender itself; TWILIO_PER_SECOND keeps us inside the sender's rate.
        self.limits = Limits(per_second=settings.twilio_per_second, per_address_interval=0.0)
        self.settings = settings
        self.sender = settings.twilio_from
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.status_callback = f"{settings.base_url}/webhooks/twilio/status"
        self._client: Client | None = None
        self._http: QuietTwilioHttpClient | None = None

    def client(self) -> Client:
        """Made on first use, inside the running event loop that its aiohttp session needs."""
        if self._client is None:
            self._client, self._http = make_client(self.settings)
        return self._client

    async def close(self) -> None:
        if self._http is not None and self._http.session is not None:
            await self._http.session.close()

    async def send(self, text: OutgoingText) -> str:
        own = text.sender or self.sender
        sender = {"messaging_service_sid": own} if own.startswith("MG") else {"from_": own}
        try:
            message = await self.client().messages.create_async(
                to=text.address, body=text.text, status_callback=self.status_callback, **sender
            )
        except TwilioRestException as exc:
            raise refused(exc) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise unreachable(exc) from exc
        return str(message.sid)

    async def find_sent(self, text: OutgoingText, since: datetime) -> str | None:
        """Ask Twilio whether a text with this body went to this number after ``since``."""
        found = await self.client().messages.list_async(
            to=text.address, date_sent_after=since, limit=50
        )
        for message in found:
            if message.body == text.text:
                return str(message.sid)
        return None

    def routes(self, los: Los) -> list[web.RouteDef]:
        async def incoming(request: web.Request) -> web.Response:
            return await self.incoming(los, request)

        async def status(request: web.Request) -> web.Response:
            return await self.status(los, request)

        return [
            web.post("/webhooks/twilio/sms", incoming),
            web.post("/webhooks/twilio/status", status),
        ]

    async def verified_form(self, request: web.Request) -> dict[str, str]:
        """The posted form, if ``X-Twilio-Signature`` matches PUBLIC_URL + path; else 403."""
        params = await read_form(request)
        url = f"{self.settings.base_url}{request.path_qs}"
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not self.validator.validate(url, params, signature):
            raise web.HTTPForbidden(text="bad signature")
        return params

    async def incoming(self, los: Los, request: web.Request) -> web.Response:
        params = await self.verified_form(request)
        sid = params.get("MessageSid") or params.get("SmsMessageSid")
        sender = params.get("From")
        if not sid or not sender:
            raise web.HTTPBadRequest(text="MessageSid and From are required")
        address, kind = sender_address(sender)
        if kind == "inbound":
            kind = opt_out_kind(params.get("OptOutType")) or kind
        to = params.get("To", "")
        try:
            via = normalise_phone(to) if to else None
        except ValueError:
            via = to[:40]  # a short code or sender name: kept as Twilio gave it
        await receive(
            los,
            channel="sms",
            address=address,
            text=params.get("Body", ""),  # an MMS may come without a Body: a text with pictures
            provider_id=sid,
            via=via,
            kind=kind,
            attachments=media_of(params),
        )
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def status(self, los: Los, request: web.Request) -> web.Response:
        params = await self.verified_form(request)
        sid, status = params.get("MessageSid"), params.get("MessageStatus")
        if not sid or not status:
            raise web.HTTPBadRequest(text="MessageSid and MessageStatus are required")
        async with los.sessions.begin() as session:
            message = await session.scalar(
                select(Message).where(
                    Message.direction == "out", Message.channel == "sms", Message.provider_id == sid
                )
            )
            if message is not None:
                await record_status(
                    session, los.clock, message, status, error_code(params.get("ErrorCode"))
                )
        return web.Response(status=204)


# Twilio's Advanced Opt-Out names the keyword it recognised; it counts whatever the text says.
OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}
MAX_MEDIA = 10  # Twilio sends at most ten media items with one message


def opt_out_kind(opt_out_type: str | None) -> str | None:
    word = OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())
    return keyword_kind(word) if word else None


def sender_address(sender: str) -> tuple[str, str]:
    """(address, kind): a phone number in E.164 ("inbound"); ``whatsapp:+47…`` kept as given
    ("whatsapp", never answered by SMS); a name or short code as given ("service")."""
    if sender.lower().startswith("whatsapp:"):
        try:
            return "whatsapp:" + normalise_phone(sender.split(":", 1)[1]), "whatsapp"
        except ValueError:
            return sender, "whatsapp"
    try:
        return normalise_phone(sender), "inbound"
    except ValueError:
        return sender, "service"


def media_of(params: dict[str, str]) -> list[IncomingAttachment]:
    """``MediaUrlN``/``MediaContentTypeN`` as attachments; the file stays with Twilio."""
    found = []
    for n in range(MAX_MEDIA):
        url = params.get(f"MediaUrl{n}")
        if not url:
            continue
        content_type = params.get(f"MediaContentType{n}") or None
        found.append(IncomingAttachment(kind_of_content_type(content_type), content_type, url))
    return found
