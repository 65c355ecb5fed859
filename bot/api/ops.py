"""Operations for admins: what is stuck (``GET /api/ops``) and texts held after a restore."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import Field, model_validator

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, staff_of
from bot.api.schema import ApiModel, Id, Paging
from bot.backup import list_backups
from bot.health import readiness
from bot.webhook_watch import WATCH
from handlers import ops
from scheduler.outage import DATABASE

if TYPE_CHECKING:
    from bot.service import Los


def jobs(los: Los, recorded: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every periodic job: as recorded by whichever process ran it last, and the jobs this
    process knows that have not run yet."""
    found = dict(recorded)
    for name, run in los.scheduler.runs.items():
        found.setdefault(
            name,
            {
                "job": name,
                "every_seconds": run.every_seconds,
                "last_run": None,
                "last_success": None,
                "last_error": None,
                "worker": None,
            },
        )
    return [found[name] for name in sorted(found)]


def backups(los: Los, last: datetime | None) -> dict[str, Any]:
    state = los.backups
    files = list_backups(state.folder) if state.folder else []
    last = last or state.last_success
    return {
        "folder": str(state.folder) if state.folder else None,
        "last_success": last.isoformat() if last else None,
        "last_error": state.last_error,
        "files": [
            {"name": b.path.name, "bytes": b.size, "taken_at": b.taken_at.isoformat()}
            for b in files
        ],
    }


def database_facts(los: Los) -> dict[str, Any]:
    """Which database, whether it is down now, and for SQLite its size and the disk's room."""
    facts: dict[str, Any] = {
        "backend": los.engine.dialect.name,
        "outage_failures": DATABASE.failures,  # failures in the current outage, if any
    }
    url = los.engine.url
    if url.get_backend_name() == "sqlite" and url.database and os.path.exists(url.database):
        facts["bytes"] = os.path.getsize(url.database)
        facts["disk_free_bytes"] = los.free_bytes(Path(url.database).resolve().parent)
    return facts


async def ops_overview(request: web.Request) -> dict[str, Any]:
    """The whole overview: the database's figures and what only this process knows."""
    los = los_of(request)
    async with los.sessions() as session:
        figures = await ops.overview(session, los.clock)
    recorded, last_backup = figures.pop("job_runs"), figures.pop("last_backup")
    return {
        **figures,
        "paused_channels": los.dispatcher.pauses.snapshot(),
        "webhooks": request.app[WATCH].snapshot(),
        "jobs": jobs(los, recorded),
        "backups": backups(los, last_backup),
        "database": database_facts(los),
        "readiness": await readiness(request),
        "role": los.role,
        "now": los.clock.now().isoformat(),
    }


@endpoint(
    "GET",
    "/api/ops",
    summary=(
        "What is stuck (admin): queue by state, failures by provider code, oldest queued age, "
        "webhooks, jobs, backups, database and disk"
    ),
    tag="ops",
    response=dict[str, Any],
    admin=True,
)
async def overview(request: web.Request, *, query: object) -> Any:
    return await ops_overview(request)


class HeldIn(ApiModel):
    """Which held texts: ``ids``, or ``all``; ``future_only`` releases only those still due
    later (reminders for what is yet to come), never ones whose time has passed."""

    ids: list[Id] | None = Field(None, max_length=10000)
    all: bool = False
    future_only: bool = False

    @model_validator(mode="after")
    def _which(self) -> HeldIn:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all: true")
        return self


class HeldItem(ApiModel):
    id: int
    channel: str
    kind: str
    person_id: int | None
    send_after: str | None


class HeldList(ApiModel):
    items: list[HeldItem]
    next: str | None
    total: int | None = None


class Released(ApiModel):
    released: int


class Cancelled(ApiModel):
    cancelled: int


@endpoint(
    "GET",
    "/api/ops/held",
    summary="Texts held after a restore (admin), a page at a time",
    tag="ops",
    query=Paging,
    response=HeldList,
    admin=True,
)
async def held(request: web.Request, *, query: Paging) -> Any:
    async with los_of(request).sessions() as session:
        found = await ops.list_held(session, query.page())
        return {"items": found.items, "next": found.next, "total": found.total}


@endpoint(
    "POST",
    "/api/ops/held/release",
    summary="Send held texts after all (admin)",
    tag="ops",
    body=HeldIn,
    response=Released,
    admin=True,
)
async def release(request: web.Request, *, body: HeldIn, query: object) -> Any:
    staff = staff_of(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        count = await ops.release_held(session, los.clock, body.ids, future_only=body.future_only)
        audit(session, los.clock, staff, "ops.release_held", count=count)
    los.dispatcher.wake()
    return {"released": count}


@endpoint(
    "POST",
    "/api/ops/held/cancel",
    summary="Never send held texts (admin)",
    tag="ops",
    body=HeldIn,
    response=Cancelled,
    admin=True,
)
async def cancel(request: web.Request, *, body: HeldIn, query: object) -> Any:
    staff = staff_of(request)
    los = los_of(request)
    async with los.sessions.begin() as session:
        count = await ops.cancel_held(session, body.ids)
        audit(session, los.clock, staff, "ops.cancel_held", count=count)
    return {"cancelled": count}
