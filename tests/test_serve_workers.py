"""``los serve --workers N``: more processes on one port, on PostgreSQL only."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.processes import roles_of, settle_memory
from tests.test_startup import last_line, los

REPO = Path(__file__).resolve().parent.parent


def test_workers_on_sqlite_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'los.db'}"}
    result = los("serve", "--workers", "2", env=env)
    assert result.returncode == 2
    assert last_line(result) == (
        "--workers needs PostgreSQL: SQLite has one writer and is served by one process"
    )
    assert not (tmp_path / "los.db").exists()  # refused before anything was touched


def test_the_first_process_has_the_role_asked_for_and_the_rest_are_web() -> None:
    assert roles_of("all", 3) == ["all", "web", "web"]
    assert roles_of("web", 2) == ["web", "web"]
    assert roles_of("all", 1) == ["all"]


async def test_a_started_process_freezes_what_start_up_made() -> None:
    """What exists once Los has started is not scanned by every full collection again."""
    gc.unfreeze()
    try:
        await settle_memory(object())
        assert gc.get_freeze_count() > 10_000  # the modules, models and the app, at least
        assert gc.get_count()[0] < 100  # collected just before
    finally:
        gc.unfreeze()


# A served app whose stop takes a second, with or without ``stop_once``.
STOPPING = """
import asyncio, sys
from aiohttp import web
from bot.processes import stop_once

async def ready(_app):
    print("ready", flush=True)

async def cleanup(_app):
    print("stopping", flush=True)
    await asyncio.sleep(1.0)
    print("stopped", flush=True)

app = web.Application()
if sys.argv[1] == "once":
    app.on_startup.append(stop_once)
app.on_startup.append(ready)
app.on_cleanup.append(cleanup)
web.run_app(app, host="127.0.0.1", port=0, print=None)
"""


@pytest.mark.parametrize("once", [True, False], ids=["stop_once", "aiohttp_alone"])
def test_a_second_stop_signal_lets_the_first_stop_finish(once: bool) -> None:
    """systemd signals every process of the unit and ``--workers N`` passes the signal on:
    two SIGTERMs. Without ``stop_once`` (shown for contrast) the second breaks the stop off."""
    proc = subprocess.Popen(
        [sys.executable, "-c", STOPPING, "once" if once else "plain"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.stdout.readline().strip() == "stopping"
        proc.send_signal(signal.SIGTERM)  # while the first stop runs
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if once:
        assert proc.returncode == 0, rest
        assert "stopped" in rest
    else:
        assert proc.returncode == 1, rest  # GracefulExit is a SystemExit with code 1
        assert "stopped" not in rest
