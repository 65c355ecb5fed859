"""Per-channel rate limits: a token bucket overall, and a least gap per address."""

from __future__ import annotations

import asyncio
import time

from scheduler.sending import Limits


class RateLimiter:
    """Waits (in real time, not the Clock: this is about the provider's rate) until a send fits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._tokens = max(1.0, limits.per_second)
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()
        self._last_to: dict[str, float] = {}
        self._blocked_until = 0.0

    def block_for(self, seconds: float) -> None:
        """The provider asked us to wait (429 retry_after): hold the whole channel."""
        self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)

    async def acquire(self, address: str) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                wait = self._blocked_until - now
                last = self._last_to.get(address)
                if last is not None:
                    wait = max(wait, last + self.limits.per_address_interval - now)
                rate = self.limits.per_second
                self._tokens = min(max(1.0, rate), self._tokens + (now - self._updated) * rate)
                self._updated = now
                if self._tokens < 1:
                    wait = max(wait, (1 - self._tokens) / rate)
                if wait <= 0:
                    self._tokens -= 1
                    self._last_to[address] = now
                    if len(self._last_to) > 10_000:
                        self._forget_old(now)
                    return
                await asyncio.sleep(wait)

    def _forget_old(self, now: float) -> None:
        horizon = now - self.limits.per_address_interval
        self._last_to = {a: t for a, t in self._last_to.items() if t >= horizon}
