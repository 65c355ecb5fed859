"""Voice reminders through Twilio: calls placed from the outbox, TwiML that reads the reminder
aloud and takes a key, and the signed webhooks that Twilio calls back.

The rules (what a key means, what happens when nobody answers) are in handlers/voice_calls.py;
this module speaks Twilio. Each URL names the outbox row (``?m=<id>``) and is signed by Twilio
over the whole URL, so the id cannot be forged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.channels.inbound import receive
from bot.channels.twilio_sms import (
    QuietTwilioHttpClient,
    make_client,
    read_form,
    refused,
    unreachable,
)
from bot.config import Settings
from handlers import voice, voice_calls
from handlers.router import ButtonPress
from handlers.texts import t
from scheduler.sending import Limits, OutgoingText

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)

VOICE_PATH = "/webhooks/twilio/voice"
GATHER_PATH = "/webhooks/twilio/voice/gather"
STATUS_PATH = "/webhooks/twilio/voice/status"
# <Say> per catalogue language: Twilio's language code and a Google voice that speaks it.
# Somali has no Twilio voice: handlers/voice_calls.py speaks English to Somali readers.
VOICES: dict[str, tuple[str, str]] = {
    "nb": ("nb-NO", "Google.nb-NO-Standard-A"),
    "en": ("en-GB", "Google.en-GB-Standard-A"),
    "pl": ("pl-PL", "Google.pl-PL-Standard-A"),
    "lt": ("lt-LT", "Google.lt-LT-Standard-A"),
    "ro": ("ro-RO", "Google.ro-RO-Standard-A"),
    "uk": ("uk-UA", "Google.uk-UA-Standard-A"),
    "ru": ("ru-RU", "Google.ru-RU-Standard-A"),
    "ar": ("ar-XA", "Google.ar-XA-Standard-A"),
}
GATHER_SECONDS = 8  # how long Twilio waits for a key after the prompt
RING_SECONDS = 30  # how long a call rings before it counts as unanswered


def say(response: VoiceResponse | Gather, text: str, language: str) -> None:
    code, name = VOICES.get(language, VOICES["en"])
    response.say(text, language=code, voice=name)


def twiml(response: VoiceResponse) -> web.Response:
    return web.Response(text=str(response), content_type="text/xml")


def row_id(request: web.Request) -> int:
    """``?m=`` of a signed URL: the outbox row of the call; anything else is a 400."""
    raw = request.query.get("m", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise web.HTTPBadRequest(text="m must name a call")
    return int(raw)


class TwilioVoiceChannel:
    """The ``voice`` channel: a Sender for the dispatcher (its own rate, LOS_VOICE_RATE calls a
    minute) and the three voice webhooks."""

    channel = voice.CHANNEL

    def __init__(self, settings: Settings) -> None:
        assert settings.voice_from and settings.twilio_auth_token
        self.limits = Limits(per_second=settings.los_voice_rate / 60)
        self.settings = settings
        self.caller = settings.voice_from
        self.validator = RequestValidator(settings.twilio_auth_token)
        self.retry_after = timedelta(minutes=settings.los_voice_retry_minutes)
        self._client: Client | None = None
        self._http: QuietTwilioHttpClient | None = None
        self._los: Los | None = None  # set with the routes: a refused call becomes the text

    def url(self, path: str, message_id: int) -> str:
        return f"{self.settings.base_url}{path}?m={message_id}"

    def client(self) -> Client:
        """Made on first use, inside the running event loop that its aiohttp session needs."""
        if self._client is None:
            self._client, self._http = make_client(self.settings)
        return self._client

    async def close(self) -> None:
        if self._http is not None and self._http.session is not None:
            await self._http.session.close()

    async def send(self, text: OutgoingText) -> str:
        """Place the call; Twilio fetches what to say from VOICE_PATH when it is answered."""
        try:
            call = await self.client().calls.create_async(
                to=text.address,
                from_=self.caller,
                url=self.url(VOICE_PATH, text.message_id),
                method="POST",
                status_callback=self.url(STATUS_PATH, text.message_id),
                status_callback_method="POST",
                timeout=RING_SECONDS,
            )
        except TwilioRestException as exc:
            error = refused(exc)
            if error.permanent and not error.fatal:
                await self.text_instead(text.message_id)
            raise error from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise unreachable(exc) from exc
        return str(call.sid)

    async def text_instead(self, message_id: int) -> None:
        """A call Twilio will never place: queue the text now (the dispatcher then records
        the call as failed)."""
        los = self._los
        if los is None:
            return
        async with los.dispatcher.writing(), los.sessions.begin() as session:
            await voice_calls.call_refused(session, los.clock, message_id)

    async def find_sent(self, text: OutgoingText, since: datetime) -> None:
        """A call cannot be matched to its row afterwards: after a crash it is placed again."""
        return None

    def routes(self, los: Los) -> list[web.RouteDef]:
        self._los = los

        async def answered(request: web.Request) -> web.Response:
            return await self.answered(los, request)

        async def gathered(request: web.Request) -> web.Response:
            return await self.gathered(los, request)

        async def status(request: web.Request) -> web.Response:
            return await self.status(los, request)

        return [
            web.post(VOICE_PATH, answered),
            web.post(GATHER_PATH, gathered),
            web.post(STATUS_PATH, status),
        ]

    async def verified_form(self, request: web.Request) -> dict[str, str]:
        """The posted form, if ``X-Twilio-Signature`` matches PUBLIC_URL + path; else 403."""
        params = await read_form(request)
        url = f"{self.settings.base_url}{request.path_qs}"
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not self.validator.validate(url, params, signature):
            raise web.HTTPForbidden(text="bad signature")
        return params

    async def answered(self, los: Los, request: web.Request) -> web.Response:
        """The call was picked up: read the reminder, then ask for a key (if one is owed)."""
        await self.verified_form(request)
        message_id = row_id(request)
        async with los.sessions() as session:
            script = await voice_calls.script_for(session, los.clock, message_id)
        response = VoiceResponse()
        if script is None:  # withdrawn or erased since the call was placed
            response.hangup()
            return twiml(response)
        if script.prompt is None:
            say(response, script.text, script.language)
            return twiml(response)
        gather = response.gather(
            num_digits=1,
            action=self.url(GATHER_PATH, message_id),
            method="POST",
            timeout=GATHER_SECONDS,
        )
        say(gather, script.text, script.language)
        say(gather, script.prompt, script.language)
        no_key = script.no_key()
        if no_key is not None:
            say(response, no_key, script.language)
        return twiml(response)

    async def gathered(self, los: Los, request: web.Request) -> web.Response:
        """A key: stored and routed as the text it stands for, then a short spoken answer."""
        params = await self.verified_form(request)
        message_id = row_id(request)
        digit, call_sid = params.get("Digits", ""), params.get("CallSid", "")
        if not call_sid or len(digit) > 1 or (digit and not digit.isdigit()):
            raise web.HTTPBadRequest(text="CallSid and one digit are required")
        async with los.dispatcher.writing(), los.sessions.begin() as session:
            message = await voice_calls.call_row(session, message_id)
            if message is None:
                gone = VoiceResponse()
                gone.hangup()
                return twiml(gone)
            language = voice_calls.spoken_language(message.language)
            press = await voice_calls.key_press(session, los.clock, message_id, digit, call_sid)
        response = VoiceResponse()
        if press is None:  # no key, or one with no meaning here: the reminder again
            response.redirect(self.url(VOICE_PATH, message_id), method="POST")
            return twiml(response)
        await receive(
            los,
            channel="sms",  # the person's phone number: the same contact point as their texts
            address=press.address,
            text=press.text,
            provider_id=f"{call_sid}:key"[:64],
            kind=press.kind,
            button=ButtonPress(press.question_id, press.answer)
            if press.question_id is not None and press.answer is not None
            else None,
        )
        say(response, t(language, press.spoken), language)
        response.hangup()
        return twiml(response)

    async def status(self, los: Los, request: web.Request) -> web.Response:
        """The call ended: unanswered, it is tried again or becomes a text."""
        params = await self.verified_form(request)
        message_id = row_id(request)
        status, call_sid = params.get("CallStatus", ""), params.get("CallSid", "")
        if not status or not call_sid:
            raise web.HTTPBadRequest(text="CallSid and CallStatus are required")
        async with los.dispatcher.writing(), los.sessions.begin() as session:
            queued = await voice_calls.call_ended(
                session, los.clock, message_id, call_sid, status, self.retry_after
            )
        if queued is not None:
            los.dispatcher.wake()
        return web.Response(status=204)
