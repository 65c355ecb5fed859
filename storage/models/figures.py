"""Daily counts of texts, so that figures for a year cost days, not texts.

``message_day_changes`` gets a signed row from a database trigger (migration 0019) whenever a
text is stored, changes status or site, or is deleted; the rollup job folds those rows into
``message_days``. Days are UTC days; ``site_id`` 0 stands for texts without a site.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class MessageDay(Base):
    __tablename__ = "message_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class MessageDayChange(Base):
    __tablename__ = "message_day_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    delta: Mapped[int] = mapped_column(Integer)
