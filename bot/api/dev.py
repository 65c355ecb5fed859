"""The controllable clock (CONTRACT §5): only routed when LOS_FAKE_CLOCK=1."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, model_validator

from bot.api.registry import ApiError, endpoint, json_response, los_of, read_body


class ClockIn(BaseModel):
    advance_seconds: float | None = None
    set: datetime | None = None

    @model_validator(mode="after")
    def _one(self) -> ClockIn:
        if (self.advance_seconds is None) == (self.set is None):
            raise ValueError("give exactly one of advance_seconds or set")
        if self.set is not None and self.set.tzinfo is None:
            raise ValueError("set needs an offset, e.g. 2026-03-29T01:30:00+01:00")
        if self.advance_seconds is not None and self.advance_seconds < 0:
            raise ValueError("the clock only moves forward")
        return self


@endpoint(
    "POST",
    "/api/dev/clock",
    summary="Move the fake clock and run due jobs",
    tag="dev",
    body=ClockIn,
)
async def move_clock(request: web.Request) -> web.Response:
    los = los_of(request)
    clock = los.fake_clock
    if clock is None:
        raise ApiError(404, "not_found", "the clock can only be moved with LOS_FAKE_CLOCK=1")
    body = await read_body(request, ClockIn)
    if body.set is not None:
        clock.set(body.set)
    else:
        clock.advance(body.advance_seconds or 0)
    await los.scheduler.run_due()
    return json_response({"now": clock.now().isoformat()})
