"""Logging an operator can read and nobody can mine: plain or JSON lines, no personal data.

No phone number, message text, token or calendar-feed secret is logged at any level: the provider
libraries' request logging (which holds the body and the number) is kept at WARNING, the access log
has paths only with the calendar secret cut, SQLAlchemy hides statement parameters, and as a last
net every line is scrubbed of anything shaped like a phone number or chat id.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

FORMATS = ("plain", "json")
# Loggers that write request bodies, URLs with tokens or numbers at INFO or DEBUG.
QUIET = (
    "twilio",
    "telegram",
    "httpx",
    "httpcore",
    "hpack",
    "apscheduler",
    "alembic",
    "asyncio",
    "aiosqlite",  # logs every call with its arguments at DEBUG: numbers and texts
    "sqlalchemy",
)
PHONE = re.compile(r"\+\d[\d ]{6,16}\d|(?<![\w.:-])\d{8,15}(?![\w.:-])")
CALENDAR = re.compile(r"(/calendar/)[^/\s?]+")


def scrub(line: str) -> str:
    """Cut phone numbers, chat ids and calendar secrets out of a finished log line."""
    return CALENDAR.sub(r"\1…", PHONE.sub("[number]", line))


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False))


# The format chosen at start, so that start-up failures are lines of the same kind.
CURRENT = {"format": "plain"}


def configure_logging(fmt: str = "plain", level: int = logging.INFO) -> None:
    """Set up the root logger once for the process (``LOS_LOG_FORMAT``)."""
    CURRENT["format"] = fmt
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quieten()


def quieten() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def safe_path(path: str) -> str:
    """A request path fit for the log: the calendar feed's secret is cut."""
    return CALENDAR.sub(r"\1…", path)


# Requests that repeat all the time and say nothing: `los chat` polls twice a second.
QUIET_REQUESTS = frozenset({("GET", "/console/messages")})
# A webhook answered well and in time is counted (``los_webhooks_total``), not logged: under a
# flood one line each cost about a tenth of the webhook's time. Refused or slow ones are logged.
WEBHOOKS = "/webhooks/"
SLOW_WEBHOOK_SECONDS = 1.0


def worth_a_line(request: BaseRequest, response: StreamResponse, seconds: float) -> bool:
    if response.status >= 400:
        return True
    if request.path.startswith(WEBHOOKS):
        return seconds >= SLOW_WEBHOOK_SECONDS
    return (request.method, request.path) not in QUIET_REQUESTS


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings (they may hold phone numbers), calendar secrets,
    polling, or webhooks answered well and in time."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if not worth_a_line(request, response, time):
            return
        self.logger.info(
            "%s %s %s %.3fs", request.method, safe_path(request.path), response.status, time
        )
