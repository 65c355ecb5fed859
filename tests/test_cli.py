"""The ``los`` command: migrate, staff add, demo (real processes on a fresh SQLite file)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    for run in (first, second):  # every start says how to chat and get a staff token
        assert "python -m bot chat +4740000100" in run.stdout
        assert "python -m bot staff add --name" in run.stdout
        assert "python -m bot staff reset --email demo@los.invalid" in run.stdout


def test_hints_name_the_command_as_it_was_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import cli

    monkeypatch.setattr(sys, "argv", [".venv/bin/los", "demo"])
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    assert cli.los_command() == ".venv/bin/los"
    monkeypatch.setattr(cli.shutil, "which", lambda name: ".venv/bin/los")
    assert cli.los_command() == "los"
    monkeypatch.setattr(sys, "argv", ["/src/bot/__main__.py", "demo"])
    assert cli.los_command() == "python -m bot"


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


def test_staff_add_prints_a_set_up_link_or_takes_a_password_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "los.db"
    assert los("migrate", db=db).returncode == 0
    linked = los("staff", "add", "--name", "Kari", "--email", "kari@example.org", db=db)
    assert linked.returncode == 0, linked.stderr
    lines = linked.stdout.strip().splitlines()
    assert any("http://127.0.0.1:8080/setup/" in line for line in lines)
    assert lines[-1].startswith("los_")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    command = [sys.executable, "-m", "bot", "staff", "add", "--name", "Ola", "--password-stdin"]

    def add(email: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, "--email", email],
            input=password + "\n",
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    weak = add("ola@example.org", "password1234")
    assert weak.returncode == 1 and "too_common" in weak.stderr
    strong = add("ola@example.org", "en lang setning som passord")
    assert strong.returncode == 0, strong.stderr
    assert "/setup/" not in strong.stdout
    assert strong.stdout.strip().splitlines()[-1].startswith("los_")
    reset = los("staff", "reset", "--email", "ola@example.org", db=db)
    assert reset.returncode == 0, reset.stderr
    assert "/setup/" in reset.stdout.strip().splitlines()[-1]
    missing = los("staff", "reset", "--email", "nobody@example.org", db=db)
    assert missing.returncode == 1


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
