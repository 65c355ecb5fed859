"""Webhook answers counted by status; refused signatures turned into one clear admin item.

A Twilio signature is computed over the URL Twilio called. When ``PUBLIC_URL`` is not that URL
(``http://localhost:8080`` behind a proxy, http for https) every real webhook is refused with 403,
and the operator only sees access-log lines. Three refusals within ten minutes make one urgent
inbox item that names the URL Los expected.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, deque
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass

from aiohttp import web

from bot.api.registry import Handler, los_of
from bot.metrics import WEBHOOKS
from handlers.ops import alert_admins

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600.0
ALERT_AFTER = 3


def channel_of(path: str) -> str:
    return "sms" if path.startswith("/webhooks/twilio") else "telegram"


class WebhookWatch:
    """This process's webhook answers, and recent refusals per channel."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.answers: Counter[tuple[str, int]] = Counter()
        self.refused: dict[str, deque[float]] = {}

    def count(self, channel: str, status: int) -> None:
        self.answers[(channel, status)] += 1
        WEBHOOKS.labels(channel, str(status)).inc()

    def refusal(self, channel: str) -> bool:
        """Record a refused signature; True when it makes ``ALERT_AFTER`` within the window."""
        now = self.monotonic()
        recent = self.refused.setdefault(channel, deque())
        recent.append(now)
        while recent and now - recent[0] > WINDOW_SECONDS:
            recent.popleft()
        return len(recent) >= ALERT_AFTER

    def snapshot(self) -> list[dict[str, object]]:
        return [
            {"channel": channel, "status": status, "count": count}
            for (channel, status), count in sorted(self.answers.items())
        ]


@dataclass(frozen=True)
class ArrivalSlots:
    """Where the processes of one ``los serve --workers N`` keep their webhook rates, so that
    each sees the flood of all: two floats a process (rate, when), in shared memory."""

    values: MutableSequence[float]
    index: int


class Arrivals:
    """Webhooks a second arriving at this ``los serve`` (all its processes), each process's rate
    decaying with ``tau`` seconds: a flood is seen within a fraction of a second of its start and
    forgotten as fast.

    Only ``hit`` (in this process's event loop) writes, and only its own slot; ``per_process``
    only reads, so that SQLite's routing thread and the sibling processes may read at any time.
    """

    def __init__(
        self,
        tau: float = 0.1,
        monotonic: Callable[[], float] = time.monotonic,
        slots: ArrivalSlots | None = None,
    ) -> None:
        self.tau, self.monotonic = tau, monotonic
        self.values = slots.values if slots else [0.0, 0.0]
        self.mine = 2 * slots.index if slots else 0
        self.processes = len(self.values) // 2

    def hit(self) -> None:
        now, rate, last = self.monotonic(), self.values[self.mine], self.values[self.mine + 1]
        self.values[self.mine] = rate * math.exp((last - now) / self.tau) + 1.0 / self.tau
        self.values[self.mine + 1] = now

    def per_process(self) -> float:
        """Webhooks a second, all processes together, divided by their number."""
        now, values = self.monotonic(), self.values
        total = sum(
            values[n] * math.exp(min(values[n + 1] - now, 0.0) / self.tau)
            for n in range(0, len(values), 2)
        )
        return total / self.processes


WATCH: web.AppKey[WebhookWatch] = web.AppKey("webhook_watch", WebhookWatch)


def summary(request: web.Request, channel: str) -> str:
    los = los_of(request)
    if channel == "sms":
        expected = f"{los.settings.base_url}{request.path}"
        return (
            "Twilio's signatures do not match: webhooks are refused. Los expected them at "
            f"{expected}; set PUBLIC_URL to the address Twilio calls (usually the cause)."
        )
    return (
        "Telegram's webhook secret does not match TELEGRAM_WEBHOOK_SECRET: updates are refused. "
        "Run `los telegram-webhook` to set it again."
    )


@web.middleware
async def watch_webhooks(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/webhooks/"):
        return await handler(request)
    watch = request.app[WATCH]
    channel = channel_of(request.path)
    los = los_of(request)
    los.webhooks_in_flight += 1  # routing yields to a flood of these (scheduler/routing.py)
    los.webhook_arrivals.hit()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        watch.count(channel, exc.status)
        if exc.status == 403 and watch.refusal(channel):
            await alert(request, channel)
        raise
    except Exception:
        watch.count(channel, 500)
        raise
    finally:
        los.webhooks_in_flight -= 1
    watch.count(channel, response.status)
    return response


async def alert(request: web.Request, channel: str) -> None:
    los = los_of(request)
    try:
        async with los.sessions.begin() as session:
            made = await alert_admins(
                session, los.clock, "bad_signatures", summary(request, channel)
            )
    except Exception:
        log.warning("could not add the inbox item about refused %s webhooks", channel)
        return
    if made:
        log.error("%s webhooks refused for bad signatures; see the staff inbox", channel)
