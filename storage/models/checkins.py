"""Check-in plans (a short question on a schedule the person agreed to) and their rounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime
from storage.models.states import PlanStatus

EVERY = ("daily", "weekly")
SCHEDULES = ("fixed", "transition")
PLAN_STATUSES = tuple(s.value for s in PlanStatus)


class CheckinPlan(Base):
    """When to ask one person how they are, and what to do with silence and low scores.

    ``schedule="fixed"`` asks ``every`` day or week (on ``weekday``) at ``at`` local time.
    ``schedule="transition"`` starts close after ``starts_on`` (a discharge, a move) and tapers:
    daily in the first week, Monday and Thursday in weeks 2-4, then weekly on ``weekday``.
    """

    __tablename__ = "checkin_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # None: the standard question in the person's language.
    question: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[str] = mapped_column(String(12), default="fixed")  # fixed | transition
    every: Mapped[str] = mapped_column(String(10), default="daily")  # daily | weekly
    weekday: Mapped[int | None] = mapped_column(Integer)  # Monday=0; for weekly asking
    at: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    starts_on: Mapped[date] = mapped_column(Date)
    escalate_after_missed: Mapped[int] = mapped_column(Integer, default=3)
    low_score_threshold: Mapped[int] = mapped_column(Integer, default=2)
    nudge_after_minutes: Mapped[int] = mapped_column(Integer, default=240)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | paused | ended
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # staff | opted_out | erased
    missed_in_row: Mapped[int] = mapped_column(Integer, default=0)
    # The next time to ask, UTC; None once ended.
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_checkin_plans_due", "status", "next_due_at"),)


class CheckinRound(Base):
    """One asking of a plan's question and what came of it."""

    __tablename__ = "checkin_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_plans.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    # What the person wrote with their score; erased with the person.
    free_text: Mapped[str | None] = mapped_column(Text)
    nudged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    # "low_score" or "not_reached" when this round put an item in the staff inbox.
    escalation: Mapped[str | None] = mapped_column(String(12))
