"""A site: one drop-in centre or programme, with its own time zone and hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    # {"0": [["08:00", "16:30"]], ...}: weekday (Monday=0) -> list of open intervals, local time.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "21:00-08:00", "off", or None for the service-wide QUIET_HOURS setting.
    quiet_hours: Mapped[str | None] = mapped_column(String(20), default=None)
    # Minutes before an appointment that reminders go out, unless the appointment says otherwise.
    default_reminders: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440, 120])
    # The site's own SMS number (E.164) or Messaging Service SID: texts to it belong to this
    # site, and the site's texts are sent from it. None: TWILIO_FROM and the first site.
    sms_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
