"""``los serve --workers N``: more processes on one port, on PostgreSQL only."""

from __future__ import annotations

import gc
from pathlib import Path

from bot.processes import roles_of, settle_memory
from tests.test_startup import last_line, los


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
