"""A fake Twilio REST API on loopback: records sent messages and fails on demand, and places
calls as Twilio would: it fetches the TwiML from Los (signed), presses the key a test scripted
at the ``<Gather action>``, and reports the call's end to its status callback."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from tests.fakes.server import FakeServer


@dataclass
class Failure:
    status: int
    code: int
    message: str = "fake failure"


@dataclass
class FakeTwilio(FakeServer):
    sent: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    delay: float = 0.0
    auth_token: str = "twilio-test-token"
    requests: int = 0
    lookups: int = 0
    # Accept the next N messages, then drop the connection before answering (a lost response).
    drop_after_accepting: int = 0
    # Drop the connection on the next N messages without storing them (lost on the way in).
    drop_before_accepting: int = 0
    # Answer the next N message lookups (GET Messages.json) with a 500.
    fail_lookups: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # media id -> (bytes, content type), served at the message's Media/{id} URL with basic auth.
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[str | None] = field(default_factory=list)  # the Authorization headers
    # Calls: each placed call takes the next answer scripted here: a key ("1"), "" to listen
    # without pressing one, or None for nobody answering (as when the list is empty).
    answers: list[str | None] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # Every TwiML document Los answered, and every answer to a key, in order.
    twiml: list[str] = field(default_factory=list)
    # Los as the fake reaches it (the test server), and the PUBLIC_URL Twilio signs for.
    los_url: str = ""
    public_url: str = ""
    _calls_running: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self.create_call)
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create)
        self.app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self.list)
        self.app.router.add_get(
            "/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self.media_file
        )

    def media_url(self, message_sid: str, media_id: str, account_sid: str) -> str:
        return (
            f"{self.url}/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_id}"
        )

    async def media_file(self, request: web.Request) -> web.Response:
        """Twilio serves media to the account's own credentials (HTTP basic auth)."""
        header = request.headers.get("Authorization")
        self.media_requests.append(header)
        expected = aiohttp.encode_basic_auth(request.match_info["sid"], self.auth_token)
        if header != expected:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        found = self.media.get(request.match_info["media"])
        if found is None:
            return web.json_response({"code": 20404, "message": "Not found"}, status=404)
        return web.Response(body=found[0], content_type=found[1])

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        self.failures.extend(Failure(status, code) for _ in range(times))

    def to(self, number: str) -> list[str]:
        return [m["Body"] for m in self.sent if m["To"] == number]

    async def wait_until(self, done: Callable[[], bool], within: float) -> bool:
        """Wait (at most ``within`` real seconds) until ``done()`` is true after a send."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(remaining, 0.5))
        return True

    async def create(self, request: web.Request) -> web.Response:
        self.requests += 1
        form = {k: str(v) for k, v in (await request.post()).items()}
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.drop_before_accepting:
            self.drop_before_accepting -= 1
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if self.failures:
            failure = self.failures.pop(0)
            return web.json_response(
                {"code": failure.code, "message": failure.message, "status": failure.status},
                status=failure.status,
            )
        sid = "SM" + uuid.uuid4().hex
        now = datetime.now(UTC)
        record = {**form, "sid": sid, "date_created": now}
        self.sent.append(record)
        self.arrived.set()
        if self.drop_after_accepting:
            self.drop_after_accepting -= 1
            assert request.transport is not None
            request.transport.abort()
        return web.json_response(self.resource(record), status=201)

    def resource(self, record: dict[str, Any]) -> dict[str, Any]:
        created = format_datetime(record["date_created"], usegmt=True)
        return {
            "sid": record["sid"],
            "to": record["To"],
            "from": record.get("From"),
            "messaging_service_sid": record.get("MessagingServiceSid"),
            "body": record["Body"],
            "status": "queued",
            "date_created": created,
            "date_sent": created,
            "date_updated": created,
            "num_segments": "1",
        }

    async def list(self, request: web.Request) -> web.Response:
        self.lookups += 1
        if self.fail_lookups:
            self.fail_lookups -= 1
            return web.json_response({"code": 20500, "message": "fake", "status": 500}, status=500)
        to = request.query.get("To")
        found = [self.resource(r) for r in self.sent if to is None or r["To"] == to]
        return web.json_response(
            {
                "messages": found,
                "end": len(found),
                "first_page_uri": request.path_qs,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": request.path_qs,
            }
        )

    # --- calls ---------------------------------------------------------------------------------
    def calls_to(self, number: str) -> builtins.list[dict[str, Any]]:
        return [c for c in self.calls if c["To"] == number]

    async def calls_done(self) -> None:
        """Wait until every call placed so far has run its script to the end."""
        while self._calls_running:
            await asyncio.gather(*list(self._calls_running))

    async def create_call(self, request: web.Request) -> web.Response:
        self.requests += 1
        form = {k: str(v) for k, v in (await request.post()).items()}
        if self.failures:
            failure = self.failures.pop(0)
            return web.json_response(
                {"code": failure.code, "message": failure.message, "status": failure.status},
                status=failure.status,
            )
        record = {**form, "sid": "CA" + uuid.uuid4().hex, "account_sid": request.match_info["sid"]}
        self.calls.append(record)
        answer = self.answers.pop(0) if self.answers else None
        task = asyncio.create_task(self.run_call(record, answer))
        self._calls_running.add(task)
        task.add_done_callback(self._calls_running.discard)
        self.arrived.set()
        return web.json_response(
            {
                "sid": record["sid"],
                "to": record["To"],
                "from": record["From"],
                "status": "queued",
                "direction": "outbound-api",
            },
            status=201,
        )

    async def run_call(self, record: dict[str, Any], answer: str | None) -> None:
        """What Twilio does once the call is placed: the person answers (or not)."""
        base = {"CallSid": record["sid"], "AccountSid": record["account_sid"]}
        base |= {"From": record["From"], "To": record["To"], "Direction": "outbound-api"}
        if answer is None:
            await self.post_to_los(record["StatusCallback"], {**base, "CallStatus": "no-answer"})
            return
        document = await self.post_to_los(record["Url"], {**base, "CallStatus": "in-progress"})
        self.twiml.append(document)
        gather = ElementTree.fromstring(document).find("Gather")
        if answer and gather is not None:
            after = await self.post_to_los(
                gather.attrib["action"], {**base, "CallStatus": "in-progress", "Digits": answer}
            )
            self.twiml.append(after)
        await self.post_to_los(record["StatusCallback"], {**base, "CallStatus": "completed"})

    def sign(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    async def post_to_los(self, url: str, params: dict[str, str]) -> str:
        """A signed form post to Los at ``url`` (a PUBLIC_URL address), as Twilio makes it."""
        assert url.startswith(self.public_url), url
        headers = {"X-Twilio-Signature": self.sign(url, params)}
        target = self.los_url + url.removeprefix(self.public_url)
        async with (
            aiohttp.ClientSession() as session,
            session.post(target, data=params, headers=headers) as response,
        ):
            assert response.status < 300, (url, response.status, await response.text())
            return await response.text()
