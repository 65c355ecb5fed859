"""Settings from the environment (CONTRACT §1). A bad value stops start-up with one clear line."""

from __future__ import annotations

import ipaddress
import re
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from handlers.context import Rules
from handlers.localtime import parse_hhmm_range
from handlers.reply_budget import Budget


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/los.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = None
    timezone: str = "Europe/Oslo"
    quiet_hours: str = "21:00-08:00"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    # How many SMS a second Los hands to Twilio (a long code ~10, a short code or a Messaging
    # Service with many senders more); Twilio queues anything beyond its own limit.
    twilio_per_second: float = Field(default=10, gt=0, le=1000)
    # Voice reminders (handlers/voice.py): the number calls come from [TWILIO_FROM, when that is
    # a number], calls a minute handed to Twilio, and minutes before an unanswered call is
    # tried again.
    twilio_voice_from: str | None = None
    los_voice_rate: float = Field(default=10, gt=0, le=6000)
    los_voice_retry_minutes: int = Field(default=10, ge=1, le=720)
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    los_fake_clock: bool = False
    # The console channel (``los chat``); on only with loopback HOST and PUBLIC_URL as well.
    los_console: bool = False
    los_retention_days: int = Field(default=365, ge=30, le=3650)
    # What one SMS segment costs (NOK), for the SMS cost in the yearly report.
    los_sms_price: float = Field(default=0.5, ge=0, le=100)
    los_log_format: str = "plain"
    los_db_wait: float = Field(default=60, ge=0, le=3600)
    los_shutdown_grace: float = Field(default=20, ge=0, le=600)
    # Where the nightly SQLite backup goes; None: a "backups" folder beside the database.
    los_backup_dir: str | None = None
    los_metrics_token: str | None = None
    # The message path under floods and outages (README: "Floods, outages and limits").
    los_spool_path: str | None = None
    los_spool_after: float = Field(default=5.0, gt=0, le=14)  # Twilio gives up after 15 s
    los_replies_per_10_min: int = Field(default=5, ge=1, le=1000)
    los_replies_per_day: int = Field(default=20, ge=1, le=10_000)
    los_same_reply_minutes: int = Field(default=10, ge=0, le=1440)

    @field_validator("los_log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("plain", "json"):
            raise ValueError("use plain or json")
        return value.lower()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("not a database URL") from exc
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError("use sqlite+aiosqlite://… or postgresql+asyncpg://…")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_hhmm_range(value)
        return value

    @field_validator("public_url", "twilio_api_url", "telegram_api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _channels_complete(self) -> Settings:
        twilio = [self.twilio_account_sid, self.twilio_auth_token, self.twilio_from]
        if any(twilio) and not all(twilio):
            raise ValueError(
                "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM go together; set all three"
            )
        if self.telegram_bot_token and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_BOT_TOKEN")
        return self

    def warnings(self) -> list[str]:
        """Settings that work but are probably a mistake: one WARNING line each at start."""
        found = []
        public = urlsplit(self.base_url)
        provider = self.twilio_enabled or self.telegram_enabled
        if provider and not is_loopback(self.host):
            if is_loopback(public.hostname or ""):
                found.append(
                    f"PUBLIC_URL {self.base_url} is a loopback address while HOST listens on "
                    f"{self.host}: providers cannot reach it and Twilio signatures will not match"
                )
            elif public.scheme != "https":
                found.append(f"PUBLIC_URL {self.base_url} is plain http; providers need https")
        if self.los_fake_clock and not is_loopback(public.hostname or ""):
            found.append("LOS_FAKE_CLOCK is on for a public PUBLIC_URL; never use it in production")
        secret = self.telegram_webhook_secret
        if self.telegram_enabled and secret is not None and len(secret) < 16:
            found.append("TELEGRAM_WEBHOOK_SECRET is shorter than 16 characters; use a long one")
        sender = self.twilio_from
        if sender and not (re.fullmatch(r"\+\d{6,15}", sender) or sender.startswith("MG")):
            found.append("TWILIO_FROM is neither a +number nor a Messaging Service SID (MG…)")
        return found

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def voice_from(self) -> str | None:
        """The caller number for voice reminders: a Messaging Service (``MG…``) cannot call."""
        if not self.twilio_enabled:
            return None
        if self.twilio_voice_from:
            return self.twilio_voice_from
        assert self.twilio_from is not None
        return None if self.twilio_from.startswith("MG") else self.twilio_from

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def spool_path(self) -> Path:
        """Where webhooks keep texts the database cannot take: ``LOS_SPOOL_PATH``, else beside
        the SQLite database, else ``./data``."""
        if self.los_spool_path:
            return Path(self.los_spool_path)
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).parent / "inbound-spool.jsonl"
        return Path("data") / "inbound-spool.jsonl"

    @property
    def quiet(self) -> tuple[time, time] | None:
        return parse_hhmm_range(self.quiet_hours)

    def rules(self) -> Rules:
        return Rules(
            timezone=self.timezone,
            quiet_hours=self.quiet,
            retention_days=self.los_retention_days,
            budget=Budget(
                same_answer_minutes=self.los_same_reply_minutes,
                per_ten_minutes=self.los_replies_per_10_min,
                per_day=self.los_replies_per_day,
            ),
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SettingsError(Exception):
    """One line naming the variable that is wrong."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ()
        name = str(loc[0]).upper() if loc else "settings"
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise SettingsError(f"bad setting {name}: {message}") from None
