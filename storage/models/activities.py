"""Activities (a quiz night, a trip, a weekly open house), their weekly series, and sign-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime
from storage.models.states import ActivityStatus, SignupStatus

AUDIENCES = ("participants", "volunteers", "all")
ACTIVITY_STATUSES = tuple(s.value for s in ActivityStatus)
SIGNUP_STATUSES = tuple(s.value for s in SignupStatus)


class ActivitySeries(Base):
    """A weekly rule ("every Friday 12-14"); each occurrence is its own Activity row."""

    __tablename__ = "activity_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    start_time: Mapped[str] = mapped_column(String(5))  # "12:00", site local time
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Minutes before each occurrence that sign-up closes (None: at the start).
    deadline_minutes_before: Mapped[int | None] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(12), default="all")
    signup_required: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders_minutes_before: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440])
    code_base: Mapped[str] = mapped_column(String(8))
    first_date: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | ended
    activity_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_series.id", ondelete="SET NULL"), index=True
    )
    # The series' own date for this occurrence; stays when the occurrence is moved.
    series_date: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int | None] = mapped_column(Integer)
    signup_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    audience: Mapped[str] = mapped_column(String(12), default="all")
    signup_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # Short code people type: MELD QUIZ. Unique among upcoming planned activities.
    code: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    head_count: Mapped[int | None] = mapped_column(Integer)
    # The key of one of the site's activity types (activity_types.key), for the yearly report.
    activity_type: Mapped[str | None] = mapped_column(String(40))
    reminders_minutes_before: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440])
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("series_id", "series_date"),)


class Signup(Base):
    """One person and one activity: a place, a place in line, interest, or attendance."""

    __tablename__ = "activity_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # Order in the waiting line: lower goes first.
    position: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(12), default="text")  # invitation|text|staff
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        Index("ix_activity_signups_activity_status", "activity_id", "status"),
    )
