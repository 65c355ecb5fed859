"""A fake Telegram Bot API on loopback: records what the bot sent and fails on demand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer


@dataclass
class FakeTelegram(FakeServer):
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered_callbacks: list[str] = field(default_factory=list)
    # The text shown with each answered callback ("" when none), in the same order.
    callback_notices: list[str] = field(default_factory=list)
    left_chats: list[int] = field(default_factory=list)
    # file_id -> (bytes, file path) that getFile and the file download serve.
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    downloads: int = 0
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: int = 1
    send_attempts: int = 0  # every sendMessage call, refused ones included

    def __post_init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/bot{token}/{method}", self.call)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self.download)

    def add_file(self, file_id: str, content: bytes, path: str) -> None:
        self.files[file_id] = (content, path)

    async def download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for content, file_path in self.files.values():
            if file_path == path:
                self.downloads += 1
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    def fail_next(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        failure: dict[str, Any] = {
            "ok": False,
            "error_code": error_code,
            "description": description,
        }
        if retry_after is not None:
            failure["parameters"] = {"retry_after": retry_after}
        self.failures.append(failure)

    def to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if int(m["chat_id"]) == chat_id]

    async def params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        data = {k: str(v) for k, v in (await request.post()).items()}
        if "reply_markup" in data:
            data["reply_markup"] = json.loads(data["reply_markup"])
        return data

    async def call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self.params(request)
        if method == "getMe":
            return self.ok(
                {"id": 4242, "is_bot": True, "first_name": "Los", "username": "los_test_bot"}
            )
        if method == "setWebhook":
            self.webhooks.append(params)
            return self.ok(True)
        if method == "answerCallbackQuery":
            self.answered_callbacks.append(str(params.get("callback_query_id")))
            self.callback_notices.append(str(params.get("text") or ""))
            return self.ok(True)
        if method == "leaveChat":
            self.left_chats.append(int(params["chat_id"]))
            return self.ok(True)
        if method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None:
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    status=400,
                )
            return self.ok(
                {
                    "file_id": params["file_id"],
                    "file_unique_id": "u" + str(params["file_id"]),
                    "file_size": len(found[0]),
                    "file_path": found[1],
                }
            )
        if method == "sendMessage":
            self.send_attempts += 1
            if self.failures:
                failure = self.failures.pop(0)
                return web.json_response(failure, status=failure["error_code"])
            self.sent.append(params)
            message_id = self.next_message_id
            self.next_message_id += 1
            return self.ok(
                {
                    "message_id": message_id,
                    "date": 1_700_000_000,
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"],
                }
            )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    @staticmethod
    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})
