"""Per-channel rate limits: a token bucket overall, and a least gap per address."""

from __future__ import annotations

import asyncio
import time

from scheduler.sending import Limits


class RateLimiter:
    """Waits (in real time, not the Clock: this is about the provider's rate) until a send fits.

    A provider's 429 is not handled here but by the dispatcher, on the Clock (``held_until``).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._tokens = max(1.0, limits.per_second)
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()
        self._last_to: dict[str, float] = {}

    async def acquire(self, address: str) -> None:
        """Wait for this address's gap, then for a token. Sleeps without holding the lock, so a
        wait for one address never holds up the others."""
        while True:
            async with self._lock:
                now = time.monotonic()
                last = self._last_to.get(address)
                wait = 0.0 if last is None else last + self.limits.per_address_interval - now
                if wait <= 0:
                    rate = self.limits.per_second
                    self._tokens = min(max(1.0, rate), self._tokens + (now - self._updated) * rate)
                    self._updated = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        self._last_to[address] = now
                        if len(self._last_to) > 10_000:
                            self._forget_old(now)
                        return
                    wait = (1 - self._tokens) / rate
            await asyncio.sleep(wait)

    def _forget_old(self, now: float) -> None:
        horizon = now - self.limits.per_address_interval
        self._last_to = {a: t for a, t in self._last_to.items() if t >= horizon}
