"""The real clock, and the choice between it and the controllable one."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.clock import Clock, FakeClock


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def make_clock(fake: bool) -> Clock:
    """``LOS_FAKE_CLOCK=1`` starts a controllable clock at the real time, then only moves on
    request."""
    real = SystemClock()
    return FakeClock(real.now()) if fake else real
