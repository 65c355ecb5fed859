"""/metrics: gauges computed from the database at scrape time, so every process agrees, beside
this process's counters. Answered only from loopback (not through a proxy) or with
``LOS_METRICS_TOKEN``."""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

from bot.api.registry import los_of
from handlers import ops

WEBHOOKS = Counter(
    "los_webhooks_total", "Webhook answers by channel and status", ["channel", "status"]
)
QUEUE = Gauge(
    "los_outbox_texts", "Texts waiting to be sent, by state and channel", ["state", "channel"]
)
OLDEST = Gauge("los_outbox_oldest_due_seconds", "Age of the oldest due, unsent text (0: none)")
INBOX = Gauge("los_inbox_open", "Open staff inbox items by priority", ["priority"])
PEOPLE = Gauge("los_people", "People by status", ["status"])
FAILED = Gauge(
    "los_failed_24h", "Texts failed in the last 24 hours by channel and code", ["channel", "code"]
)
BACKUP = Gauge(
    "los_backup_last_success_timestamp_seconds", "When the last backup succeeded (0: never)"
)
PAUSED = Gauge("los_channel_paused", "1 while sending on a channel is paused", ["channel"])
DATABASE_UP = Gauge("los_database_up", "1 when the database answered this scrape")


def from_loopback(request: web.Request) -> bool:
    """Directly from this machine: a request relayed by a proxy is not, whatever its peer."""
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def allowed(request: web.Request) -> bool:
    token = los_of(request).settings.los_metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    return from_loopback(request)


async def refresh(request: web.Request) -> None:
    """Set the database gauges; a database that is down is a 0 in ``los_database_up``."""
    los = los_of(request)
    for gauge in (QUEUE, INBOX, PEOPLE, FAILED, PAUSED):
        gauge.clear()
    for channel in los.dispatcher.pauses.paused:
        PAUSED.labels(channel).set(1)
    try:
        async with los.sessions() as session:
            figures = await ops.overview(session, los.clock)
    except Exception:
        DATABASE_UP.set(0)
        return
    DATABASE_UP.set(1)
    last = figures["last_backup"] or los.backups.last_success
    BACKUP.set(last.timestamp() if last else 0)
    for state, channels in figures["queue"].items():
        for channel, count in channels.items():
            QUEUE.labels(state, channel).set(count)
    OLDEST.set(figures["oldest_queued_seconds"] or 0)
    for priority, count in figures["inbox_open"].items():
        INBOX.labels(priority).set(count)
    for status, count in figures["people"].items():
        PEOPLE.labels(status).set(count)
    for failure in figures["failed_24h"]:
        FAILED.labels(failure["channel"], failure["code"]).set(failure["count"])


async def metrics(request: web.Request) -> web.Response:
    if not allowed(request):
        return web.Response(status=403, text="metrics: loopback or LOS_METRICS_TOKEN only\n")
    await refresh(request)
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
