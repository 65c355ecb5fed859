"""The controllable clock (CONTRACT §5): only routed when LOS_FAKE_CLOCK=1."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field, model_validator

from bot.api.registry import ApiError, endpoint, los_of
from bot.api.schema import ApiModel, Time, When


class ClockIn(ApiModel):
    advance_seconds: float | None = Field(None, ge=0, le=10 * 365 * 86400)
    set: When | None = None

    @model_validator(mode="after")
    def _one(self) -> ClockIn:
        if (self.advance_seconds is None) == (self.set is None):
            raise ValueError("give exactly one of advance_seconds or set")
        if self.set is not None and self.set.tzinfo is None:
            raise ValueError("set needs an offset, e.g. 2026-03-29T01:30:00+01:00")
        return self


class NowOut(ApiModel):
    now: Time


@endpoint(
    "POST",
    "/api/dev/clock",
    summary="Move the fake clock and run due jobs",
    tag="dev",
    body=ClockIn,
    response=NowOut,
)
async def move_clock(request: web.Request, *, body: ClockIn, query: object) -> Any:
    los = los_of(request)
    clock = los.fake_clock
    if clock is None:
        raise ApiError(404, "not_found", "the clock can only be moved with LOS_FAKE_CLOCK=1")
    if body.set is not None:
        clock.set(body.set)
    else:
        clock.advance(body.advance_seconds or 0)
    await los.scheduler.run_due()
    return {"now": clock.now()}
