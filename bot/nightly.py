"""The nightly SQLite backup, run by the scheduler every hour: one copy a day, 7 daily and 4
weekly kept, in ``LOS_BACKUP_DIR`` (default: ``backups/`` beside the database)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.backup import BackupError, backup_dir, list_backups, nightly
from scheduler.jobs import Task
from scheduler.outage import reason
from storage.db import is_sqlite

if TYPE_CHECKING:
    from bot.service import Los

log = logging.getLogger(__name__)


def nightly_backup_task(los: Los) -> Task | None:
    """The job, or None when there is nothing to do (PostgreSQL, or ``LOS_BACKUP_DIR=off``)."""
    url = los.settings.database_url
    if not is_sqlite(url):
        return None
    folder = backup_dir(url, los.settings.los_backup_dir)
    if folder is None:
        return None
    los.backups.folder = folder
    existing = list_backups(folder)
    if existing:
        los.backups.last_success = existing[0].taken_at

    async def run() -> int:
        today = los.clock.now().date()
        try:
            made = await asyncio.to_thread(nightly, url, folder, today, los.scheduler.stopping)
        except (BackupError, OSError) as exc:  # logged by the scheduler as the job's failure
            los.backups.last_error = reason(exc)
            raise BackupError(f"nightly backup to {folder} failed: {reason(exc)}") from None
        if made is None:
            return 0
        los.backups.last_success = made.taken_at
        los.backups.last_error = None
        log.info("nightly backup written: %s (%d bytes)", made.path.name, made.size)
        return 1

    return run
