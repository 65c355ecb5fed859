"""The volunteer rota: shift templates, shifts, volunteers' terms, assignments, calendar tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime
from storage.models.states import AssignmentStatus, ShiftStatus

# open: still to happen (or happening); done: it took place (its hours count); cancelled.
SHIFT_STATUSES = tuple(s.value for s in ShiftStatus)
# offered -> confirmed | declined | expired | cancelled; confirmed -> cancelled | no_show.
ASSIGNMENT_STATUSES = tuple(s.value for s in AssignmentStatus)
# An assignment that holds a place: counts against the shift's places, overlaps and the cap.
ACTIVE_STATUSES = ("offered", "confirmed")


class ShiftTemplate(Base):
    """A weekly pattern ("Monday-Friday 07:30-13:00 kitchen, 2 people") that makes shifts."""

    __tablename__ = "shift_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(60))
    qualification: Mapped[str | None] = mapped_column(String(60))
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday=0
    start_time: Mapped[str] = mapped_column(String(5))  # "07:30", local time
    end_time: Mapped[str] = mapped_column(String(5))  # before start_time: ends the next day
    needed: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(60))
    qualification: Mapped[str | None] = mapped_column(String(60))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    needed: Mapped[int] = mapped_column(Integer, default=1)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("shift_templates.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), default="open")
    # How many open calls ("first to answer JA gets it") this shift has had; part of their keys.
    call_round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # A template makes one shift per start time, so generating a period twice is harmless.
        UniqueConstraint("template_id", "starts_at"),
        Index("ix_shifts_site_start", "site_id", "starts_at"),
    )


class VolunteerTerms(Base):
    """When a volunteer can come, how often, and what they are qualified for."""

    __tablename__ = "volunteer_terms"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday=0
    max_shifts_per_month: Mapped[int | None] = mapped_column(Integer)
    unavailable_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    from_time: Mapped[str | None] = mapped_column(String(5))  # optional daily window, local
    to_time: Mapped[str | None] = mapped_column(String(5))
    qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Assignment(Base):
    """One volunteer on one shift: an offer, and what became of it."""

    __tablename__ = "shift_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # plan | replacement | call | staff: how the volunteer came to be asked.
    source: Mapped[str] = mapped_column(String(12), default="plan")
    # 1 for the plan's offers; each replacement or call for the same shift is one more.
    round: Mapped[int] = mapped_column(Integer, default=1)
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    respond_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    nudged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # A volunteer is asked about one shift once; a later call or staff action updates the row.
        UniqueConstraint("shift_id", "person_id"),
        Index("ix_shift_assignments_status", "status", "respond_by"),
    )


class CalendarToken(Base):
    """A private iCal feed URL's secret. Only its SHA-256 is stored; rotating revokes the old."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
