"""Outages in the log: one line when one starts, one a minute while it lasts, one when it ends.

A database or provider that is down makes every loop iteration fail; logging each failure with a
traceback buries everything else (8,000 lines for a 20-second PostgreSQL restart). Code that
retries reports to an ``Outage`` instead: ``failed(exc)`` on each failure, ``ok()`` on success.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0


def reason(exc: BaseException | None) -> str:
    """A short, data-free cause: the exception's type and the first line of the driver's message.

    SQLAlchemy's own message holds the statement; the driver's (``orig``) says what went wrong.
    """
    if exc is None:
        return "unknown cause"
    inner = getattr(exc, "orig", None) or exc
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"{type(inner).__name__}: {first[:160]}" if first else type(inner).__name__


def is_unavailable(exc: BaseException) -> bool:
    """The database (or the network to it) is down, locked or full, rather than a bug."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Outage:
    """The state of one dependency as the log tells it."""

    def __init__(
        self,
        what: str,
        logger: logging.Logger | None = None,
        *,
        every: float = EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.log = logger or log
        self.every = every
        self.monotonic = monotonic
        self.since: float | None = None
        self.failures = 0
        self._last_line = 0.0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException | None = None) -> None:
        now = self.monotonic()
        self.failures += 1
        if self.since is None:
            self.since = self._last_line = now
            self.log.error("%s unavailable: %s", self.what, reason(exc))
        elif now - self._last_line >= self.every:
            self._last_line = now
            self.log.warning(
                "%s still unavailable after %.0f s (%d failures): %s",
                self.what,
                now - self.since,
                self.failures,
                reason(exc),
            )

    def ok(self) -> None:
        if self.since is None:
            return
        lasted = self.monotonic() - self.since
        self.log.warning("%s back after %.0f s (%d failures)", self.what, lasted, self.failures)
        self.since = None
        self.failures = 0


# The one database outage every loop in this process reports to, so that a database that is down
# is one story in the log, not one per job.
DATABASE = Outage("database")
