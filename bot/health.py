"""Health, readiness and the staff page.

``/healthz`` is liveness: the process answers. ``/readyz`` is readiness: the database answers,
the disk holding SQLite (and the spool) has room, and the dispatcher and jobs of this process
have run within the last minute; otherwise 503 naming what is wrong.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.api.registry import los_of
from bot.metrics import metrics
from scheduler.outage import reason
from storage.db import is_sqlite

# Below this, SQLite writes (and the spool) may fail any moment.
MIN_FREE_BYTES = 64 * 1024 * 1024


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def watched_folders(request: web.Request) -> dict[str, Path]:
    """The folders whose disk must have room: SQLite's, and the spool's if there is one."""
    settings = los_of(request).settings
    folders: dict[str, Path] = {}
    if is_sqlite(settings.database_url):
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            folders["database"] = Path(database).resolve().parent
    spool = getattr(settings, "los_spool_dir", None)
    if spool:
        folders["spool"] = Path(spool)
    return folders


async def readiness(request: web.Request) -> dict[str, str]:
    los = los_of(request)
    checks: dict[str, str] = {}
    try:
        async with los.sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=5)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {reason(exc)}"
    for name, folder in watched_folders(request).items():
        try:
            free = los.free_bytes(folder)
        except OSError as exc:
            checks[f"disk_{name}"] = f"cannot tell: {reason(exc)}"
            continue
        checks[f"disk_{name}"] = (
            "ok" if free >= MIN_FREE_BYTES else f"full: {free // (1024 * 1024)} MiB free"
        )
    if los.background_since is not None:
        checks["dispatcher"] = "ok" if los.alive(los.dispatcher.last_run) else "not running"
        checks["scheduler"] = "ok" if los.alive(los.scheduler.last_tick) else "not running"
    return checks


async def readyz(request: web.Request) -> web.Response:
    checks = await readiness(request)
    ready = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


def routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics),
    ]
