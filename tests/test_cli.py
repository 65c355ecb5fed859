"""The ``los`` command: migrate, staff add, demo (real processes on a fresh SQLite file)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def los(*args: str, db: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_then_staff_add_prints_a_token_last(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "los.db"
    assert los("migrate", db=db).returncode == 0
    assert db.exists()
    result = los("staff", "add", "--name", "Kari", "--email", "kari@example.org", db=db)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("los_") and len(token) > 40
    again = los("staff", "add", "--name", "Kari", "--email", "KARI@example.org", db=db)
    assert again.returncode == 1
    assert "e-mail" in again.stderr


def test_demo_fills_an_empty_database_once(tmp_path: Path) -> None:
    db = tmp_path / "los.db"
    first = los("demo", db=db)
    assert first.returncode == 0, first.stderr
    assert "30 participants" in first.stdout
    second = los("demo", db=db)
    assert "already has people" in second.stdout


async def test_telegram_webhook_is_set_with_the_secret(tmp_path: Path) -> None:
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    env = {
        "TELEGRAM_BOT_TOKEN": "123:ABC",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "TELEGRAM_API_URL": fake.url,
        "PUBLIC_URL": "https://los.example.org",
    }
    try:
        result = await asyncio.to_thread(los, "telegram-webhook", db=tmp_path / "l.db", **env)
    finally:
        await fake.stop()
    assert result.returncode == 0, result.stderr
    assert "https://los.example.org/webhooks/telegram" in result.stdout
    [call] = fake.webhooks
    assert call["url"] == "https://los.example.org/webhooks/telegram"
    assert call["secret_token"] == "s3cret"
    refused = los("telegram-webhook", db=tmp_path / "l.db", PUBLIC_URL="http://x")
    assert refused.returncode == 1


async def test_staff_list_and_disable_stop_every_token(tmp_path: Path) -> None:
    from bot.config import Settings
    from bot.service import Los
    from handlers.staff_tokens import authenticate

    db = tmp_path / "los.db"
    made = los("staff", "add", "--name", "Kari", "--email", "kari@example.org", db=db)
    token = made.stdout.strip().splitlines()[-1]
    listed = los("staff", "list", db=db)
    assert (
        listed.returncode == 0 and "kari@example.org\tcoordinator\tsites=1\tactive" in listed.stdout
    )
    disabled = los("staff", "disable", "--email", "KARI@example.org", db=db)
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled" in los("staff", "list", db=db).stdout
    assert los("staff", "disable", "--email", "nobody@example.org", db=db).returncode == 1
    service = Los(Settings(database_url=f"sqlite+aiosqlite:///{db}"), channels=[])
    try:
        async with service.sessions() as session:
            assert await authenticate(session, token) is None
    finally:
        await service.engine.dispose()
