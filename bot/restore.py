"""``los backup`` and ``los restore``: the commands around bot/backup.py."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.backup import (
    BackupError,
    backup,
    backup_dir,
    restore_postgres,
    restore_sqlite,
    sqlite_path,
)
from bot.config import Settings
from handlers.ops import hold_outbox
from storage.db import create_engine, is_sqlite, session_factory


def default_target(settings: Settings) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if is_sqlite(settings.database_url):
        folder = backup_dir(settings.database_url, settings.los_backup_dir)
        folder = folder or sqlite_path(settings.database_url).resolve().parent
        return folder / f"los-manual-{stamp}.db"
    return Path(f"los-{stamp}.dump")


def backup_command(settings: Settings, path: str | None) -> None:
    target = Path(path) if path else default_target(settings)
    try:
        made = backup(settings.database_url, target)
    except (BackupError, OSError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"backup written: {made.path} ({made.size} bytes)")


async def hold_restored(database_url: str) -> int:
    """Texts that were waiting when the backup was taken must not simply go out again."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine).begin() as session:
            return await hold_outbox(session)
    finally:
        await engine.dispose()


async def restore_command(settings: Settings, path: str, *, force: bool = False) -> None:
    source = Path(path)
    try:
        if is_sqlite(settings.database_url):
            kept = restore_sqlite(source, sqlite_path(settings.database_url), force=force)
            if kept is not None:
                print(f"the database before the restore is kept as {kept}")
        else:
            restore_postgres(source, settings.database_url)
        held = await hold_restored(settings.database_url)
    except (BackupError, OSError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(
        f"restored {source}; {held} texts that were waiting are held: an admin releases or "
        "cancels them (GET /api/ops/held, POST /api/ops/held/release or /cancel)"
    )
