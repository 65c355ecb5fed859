"""How long ``los serve`` takes to stop on SIGTERM while its jobs work through a large SQLite
database (issue 21: with ~2M texts it did not stop at all).

A migrated SQLite file gets N texts of history in bulk (one ``INSERT … SELECT`` from a
recursive CTE), ``los serve`` starts on it (the nightly backup, ``PRAGMA optimize`` and the
checkpoint run at once; the other jobs on their interval), and after ``--wait`` seconds it gets
SIGTERM. Printed: the seconds from SIGTERM to exit, and the exit code.

    python -m bench.sigterm [--rows 2000000] [--wait 5] [--grace 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from storage.db import create_engine
from storage.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
HISTORY_DAYS = 400


async def migrated(path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def fill(path: Path, rows: int) -> None:
    """``rows`` texts over the last ``HISTORY_DAYS`` days, half in and half out, all processed:
    what retention, the daily counts and the backup have to work through."""
    asyncio.run(migrated(path))
    with sqlite3.connect(path) as db:
        db.execute(
            f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
            INSERT INTO messages (direction, site_id, channel, address, text, status, kind,
                attempts, urgent, priority, provider_id, created_at, processed_at)
            SELECT CASE i % 2 WHEN 1 THEN 'in' ELSE 'out' END, NULL, 'sms', '+4790000000',
                'Hei, kan noen ringe meg i dag?',
                CASE i % 2 WHEN 1 THEN 'received' ELSE 'delivered' END,
                CASE i % 2 WHEN 1 THEN 'inbound' ELSE 'reply' END, 0, 0, 1, 'SM' || i,
                datetime('now', '-' || (i * {HISTORY_DAYS * 86400} / {rows}) || ' seconds'),
                datetime('now')
            FROM n
            """
        )


@dataclass
class Stopped:
    ready: float  # seconds from start to /readyz answering 200
    seconds: float  # from SIGTERM to exit
    code: int | None  # None: still running when given up on (then killed)


def serve_env(path: Path, grace: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    spool = Path(tempfile.mkdtemp(prefix="los-sigterm-")) / "inbound.jsonl"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env.update(
        PYTHONPATH=str(REPO),
        DATABASE_URL=f"sqlite+aiosqlite:///{path}",
        HOST="127.0.0.1",
        PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        LOS_SHUTDOWN_GRACE=str(grace),
        LOS_RETENTION_DAYS="30",
        LOS_SPOOL_PATH=str(spool),
    )
    return env


def wait_ready(proc: subprocess.Popen[bytes], url: str, limit: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"los serve exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"los serve not ready within {limit:.0f} s")


def stop_after(env: dict[str, str], wait: float, log: Path) -> Stopped:
    """Start ``los serve``, SIGTERM it ``wait`` s after it is ready, time its exit (given up
    after the grace and 60 s more)."""
    grace = float(env["LOS_SHUTDOWN_GRACE"])
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = wait_ready(proc, env["PUBLIC_URL"])
            time.sleep(wait)
            if proc.poll() is not None:
                raise RuntimeError(f"los serve exited early with {proc.returncode}")
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            try:
                code: int | None = proc.wait(timeout=grace + 60)
            except subprocess.TimeoutExpired:
                code = None
            return Stopped(ready, time.monotonic() - started, code)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def report(rows: int, wait: float, grace: float, db: Path | None = None) -> Stopped:
    """Fill (unless ``db`` exists), serve, SIGTERM, and print the figure."""
    with tempfile.TemporaryDirectory() as folder:
        path = db or Path(folder) / "los.db"
        started = time.perf_counter()
        if not path.exists():
            fill(path, rows)
        size = path.stat().st_size / 2**20
        print(f"{rows:,} texts loaded in {time.perf_counter() - started:.0f} s ({size:.0f} MiB)")
        env = serve_env(path, grace)
        stopped = stop_after(env, wait, Path(folder) / "serve.log")
        state = f"exit {stopped.code}" if stopped.code is not None else "still running: killed"
        print(
            f"SIGTERM {wait:.0f} s after ready ({stopped.ready:.1f} s): {state} "
            f"after {stopped.seconds:.1f} s (grace {grace:.0f} s)"
        )
        if stopped.code != 0 or stopped.seconds > grace:
            print((Path(folder) / "serve.log").read_text(errors="replace")[-3000:])
        return stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--wait", type=float, default=5.0, help="seconds before SIGTERM")
    parser.add_argument("--grace", type=float, default=5.0, help="LOS_SHUTDOWN_GRACE")
    parser.add_argument("--db", type=Path, help="a database file to fill once and use again")
    args = parser.parse_args()
    report(args.rows, args.wait, args.grace, args.db)


if __name__ == "__main__":
    main()
