"""The inbound spool: where a received text waits when the database cannot take it.

Providers do not send a text twice (Twilio never retries an SMS webhook that failed), so a
webhook that cannot store a text appends it here, one JSON line flushed to disk with ``fsync``,
and answers 200. A job replays the spool in order once the database is back; replaying twice is
harmless, as texts are deduplicated on the provider id.

The spool must be on persistent storage: a text in it exists nowhere else. Appends hold a shared
``flock`` and a replay takes the file away under an exclusive one, so a line is never written
into a file that a replay has already read.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.context import Rules
from scheduler.inbound import Incoming, store_and_route
from scheduler.outage import is_unavailable

log = logging.getLogger(__name__)

REPLAY_SUFFIX = ".replay"


class Spool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.rejected_path = path.with_name(path.name + ".rejected")

    async def append(self, incoming: Incoming) -> None:
        """Write one text and flush it to disk before the webhook answers."""
        line = json.dumps(incoming.as_json(), ensure_ascii=False).encode() + b"\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(fcntl.LOCK_SH):
            new = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:
                self._sync_folder()

    def waiting(self) -> bool:
        """Is anything waiting to be replayed? (Cheap: the periodic job asks every few seconds.)"""
        return self.path.exists() or any(self._leftovers())

    def take(self) -> list[Path]:
        """The files to replay, oldest first: the current spool is moved aside (new texts start
        a fresh one), after any that an earlier replay did not finish."""
        with self._locked(fcntl.LOCK_EX):
            if self.path.exists():
                aside = self.path.with_name(f"{self.path.name}.{time.time_ns()}{REPLAY_SUFFIX}")
                os.rename(self.path, aside)
                self._sync_folder()
        return sorted(self._leftovers())

    def keep(self, file: Path, lines: list[bytes]) -> None:
        """What is left of ``file`` after a replay stopped part-way (atomically)."""
        spare = file.with_name(file.name + ".tmp")
        spare.write_bytes(b"".join(line + b"\n" for line in lines))
        with spare.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(spare, file)
        self._sync_folder()

    def reject(self, line: bytes) -> None:
        """A line the database refuses for good: kept aside for an operator, never dropped."""
        with self.rejected_path.open("ab") as handle:
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _leftovers(self) -> Iterator[Path]:
        if not self.path.parent.exists():
            return iter(())
        return self.path.parent.glob(f"{self.path.name}.*{REPLAY_SUFFIX}")

    def _sync_folder(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)  # closing releases the lock


async def replay(
    spool: Spool, sessions: async_sessionmaker[AsyncSession], clock: Clock, rules: Rules
) -> int:
    """Store and route what waits in the spool, in order. Stops (keeping the rest) while the
    database is still away. Returns how many lines were replayed."""
    if not spool.waiting():
        return 0
    replayed = 0
    for file in await asyncio.to_thread(spool.take):
        lines = [line for line in file.read_bytes().splitlines() if line.strip()]
        for at, line in enumerate(lines):
            try:
                incoming = Incoming.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError):
                log.error("spool %s: an unreadable line was set aside", file.name)
                await asyncio.to_thread(spool.reject, line)
                continue
            try:
                await store_and_route(sessions, clock, rules, incoming)
            except Exception as exc:
                if is_unavailable(exc):
                    await asyncio.to_thread(spool.keep, file, lines[at:])
                    raise
                log.exception("spool %s: a text the database refuses was set aside", file.name)
                await asyncio.to_thread(spool.reject, line)
                continue
            replayed += 1
        file.unlink()
    if replayed:
        log.warning("replayed %d texts from the spool", replayed)
    return replayed
