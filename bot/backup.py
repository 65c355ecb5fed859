"""Backups and restores: a consistent copy while Los runs, and a restore that sends nothing twice.

SQLite is copied with its online backup API, which reads one consistent snapshot including what is
still in the WAL (a plain ``cp`` of the file misses it), and the copy must pass
``integrity_check``. PostgreSQL is dumped with ``pg_dump -Fc``. Files are readable by the owner
only: they hold the same personal data as the database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.db import is_sqlite

NIGHTLY_PREFIX = "los-"
KEEP_DAILY = 7
KEEP_WEEKLY = 4


class BackupError(Exception):
    """One line saying what went wrong and what to do."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    taken_at: datetime


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def default_backup_dir(database_url: str) -> Path | None:
    """A ``backups`` folder beside the SQLite file; None for PostgreSQL (use pg_dump)."""
    if not is_sqlite(database_url):
        return None
    return sqlite_path(database_url).resolve().parent / "backups"


def backup_dir(database_url: str, setting: str | None) -> Path | None:
    """``LOS_BACKUP_DIR``, ``off`` for none, unset for the default beside the database."""
    if setting is not None and setting.strip().lower() == "off":
        return None
    if setting:
        return Path(setting)
    return default_backup_dir(database_url)


def _owner_only(path: Path) -> None:
    os.chmod(path, 0o600)


def backup_sqlite(source: Path, target: Path, stop: threading.Event | None = None) -> BackupFile:
    """Copy a live SQLite database to ``target`` atomically, checked before it is kept.

    ``VACUUM INTO`` writes one consistent snapshot (WAL included, free pages left out) as a
    statement, so that ``stop`` (set at shutdown) can interrupt it, and the check of the copy,
    at any size: the process exits within its grace and the partial copy is removed."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        partial.touch(mode=0o600)
        _owner_only(partial)
        if stop is not None:  # a non-zero answer interrupts the statement running
            src.set_progress_handler(stop.is_set, 10_000)
        src.execute("VACUUM INTO ?", (str(partial),))
        dst = sqlite3.connect(partial)
        try:
            if stop is not None:
                dst.set_progress_handler(stop.is_set, 10_000)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        src.close()
    if not check or check[0] != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy of {source} failed integrity_check: {check}")
    partial.replace(target)
    return BackupFile(target, target.stat().st_size, datetime.now(UTC))


def libpq_url(database_url: str) -> tuple[str, dict[str, str]]:
    """A URL pg_dump understands, and the environment carrying the password (never argv)."""
    url: URL = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    bare = URL.create("postgresql", url.username, None, url.host, url.port, url.database)
    return bare.render_as_string(hide_password=False), env


def backup_postgres(database_url: str, target: Path) -> BackupFile:
    tool = shutil.which("pg_dump")
    url, env = libpq_url(database_url)
    if tool is None:
        raise BackupError(f"pg_dump is not on the PATH; run: pg_dump -Fc -d '{url}' -f {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    done = subprocess.run(
        [tool, "-Fc", "-d", url, "-f", str(partial)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise BackupError(f"pg_dump failed: {lines[-1]}")
    _owner_only(partial)
    partial.replace(target)
    return BackupFile(target, target.stat().st_size, datetime.now(UTC))


def backup(database_url: str, target: Path) -> BackupFile:
    if is_sqlite(database_url):
        return backup_sqlite(sqlite_path(database_url), target)
    return backup_postgres(database_url, target)


def nightly_name(day: date) -> str:
    return f"{NIGHTLY_PREFIX}{day.isoformat()}.db"


def list_backups(folder: Path) -> list[BackupFile]:
    """The nightly backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{NIGHTLY_PREFIX}*.db"):
        try:
            day = date.fromisoformat(path.stem.removeprefix(NIGHTLY_PREFIX))
        except ValueError:
            continue
        stat = path.stat()
        found.append(
            (day, BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
        )
    return [b for _, b in sorted(found, key=lambda pair: pair[0], reverse=True)]


def to_keep(days: list[date]) -> set[date]:
    """7 daily and 4 weekly: the newest 7 days, and the newest backup of each of 4 more weeks."""
    newest_first = sorted(set(days), reverse=True)
    keep = set(newest_first[:KEEP_DAILY])
    weeks: dict[tuple[int, int], date] = {}
    for day in newest_first:
        weeks.setdefault(day.isocalendar()[:2], day)
    older_weeks = [d for d in sorted(weeks.values(), reverse=True) if d not in keep]
    keep.update(older_weeks[:KEEP_WEEKLY])
    return keep


def prune(folder: Path) -> list[Path]:
    """Delete nightly backups beyond 7 daily and 4 weekly; returns what was deleted."""
    backups = {
        date.fromisoformat(b.path.stem.removeprefix(NIGHTLY_PREFIX)): b.path
        for b in list_backups(folder)
    }
    keep = to_keep(list(backups))
    gone = [path for day, path in backups.items() if day not in keep]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def nightly(
    database_url: str, folder: Path, today: date, stop: threading.Event | None = None
) -> BackupFile | None:
    """Today's backup if there is none yet, then prune. None when today's already exists."""
    target = folder / nightly_name(today)
    if target.exists():
        return None
    made = backup_sqlite(sqlite_path(database_url), target, stop)
    prune(folder)
    return made


def restore_sqlite(source: Path, database: Path, *, force: bool = False) -> Path | None:
    """Put the backup in place of the database; the old database is kept beside it.

    Refuses while the database looks in use (its WAL file exists) unless ``force``.
    """
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    check_src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = check_src.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite backup: {exc}") from None
    finally:
        check_src.close()
    if not check or check[0] != "ok":
        raise BackupError(f"{source} failed integrity_check: {check}")
    wal = database.with_name(database.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0 and not force:
        raise BackupError(
            f"{database} looks in use ({wal.name} exists); stop Los first, or pass --force"
        )
    kept = None
    if database.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
        shutil.copy2(database, kept)
        _owner_only(kept)
    for leftover in (wal, database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(source, partial)
    _owner_only(partial)
    partial.replace(database)
    return kept


def restore_postgres(source: Path, database_url: str) -> None:
    tool = shutil.which("pg_restore")
    url, env = libpq_url(database_url)
    if tool is None:
        raise BackupError(
            f"pg_restore is not on the PATH; run: pg_restore --clean --if-exists --no-owner "
            f"-d '{url}' {source}"
        )
    done = subprocess.run(
        [tool, "--clean", "--if-exists", "--no-owner", "-d", url, str(source)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise BackupError(f"pg_restore failed: {lines[-1]}")
