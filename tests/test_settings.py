"""Settings: the contract's variables, and one clear line naming a bad one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "HOST",
        "PORT",
        "PUBLIC_URL",
        "TIMEZONE",
        "QUIET_HOURS",
        "TWILIO_ACCOUNT_SID",
        "TELEGRAM_BOT_TOKEN",
        "LOS_FAKE_CLOCK",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./data/los.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.timezone == "Europe/Oslo"
    assert settings.quiet is not None and settings.quiet[0].hour == 21
    assert not settings.twilio_enabled and not settings.telegram_enabled
    assert not settings.los_fake_clock


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("TIMEZONE", "Europe/Nowhere"),
        ("QUIET_HOURS", "late"),
        ("DATABASE_URL", "mysql://x"),
        ("PUBLIC_URL", "los.example.org"),
        ("LOS_FAKE_CLOCK", "maybe"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"bad setting {name}:")
    assert "\n" not in str(caught.value)


def test_quiet_hours_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIET_HOURS", "off")
    assert load_settings().quiet is None


def test_half_a_twilio_setup_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        load_settings()


def test_serve_stops_with_one_line_on_a_bad_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "PORT": "x",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/los.db",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "bad setting PORT: Input should be a valid integer, unable to parse string as an integer"
    ]
