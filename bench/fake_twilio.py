"""A minimal Twilio Messages.json on loopback for the benchmarks: accepts every text at once and
counts what arrived, so that a run can check each text went out exactly once."""

from __future__ import annotations

import uuid
from collections import Counter

from aiohttp import web


class BenchTwilio:
    """Answers ``POST Messages.json`` like Twilio (201 with a sid) and lists nothing on GET."""

    def __init__(self) -> None:
        self.arrived: Counter[tuple[str, str]] = Counter()
        self.app = web.Application()
        self.app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create)
        self.app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self.list)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def reset(self) -> None:
        self.arrived.clear()

    @property
    def total(self) -> int:
        return sum(self.arrived.values())

    async def create(self, request: web.Request) -> web.Response:
        form = await request.post()
        to, body = str(form.get("To")), str(form.get("Body"))
        self.arrived[(to, body)] += 1
        return web.json_response(
            {"sid": "SM" + uuid.uuid4().hex, "to": to, "body": body, "status": "queued"},
            status=201,
        )

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"messages": [], "end": 0, "page": 0, "page_size": 50, "next_page_uri": None}
        )
