"""Appointments staff register for a participant (NAV, GP, housing office, their volunteer...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime
from storage.models.states import AppointmentStatus

APPOINTMENT_STATUSES = tuple(s.value for s in AppointmentStatus)


class Appointment(Base):
    """One appointment. Its reminders are outbox rows keyed ``reminder:appointment:<id>:...``."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # The volunteer or staff member going with them (følge), if any.
    companion_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Neutral unless staff wrote something else; texts never say more than this.
    title: Mapped[str] = mapped_column(String(120), default="Avtale")
    location: Mapped[str | None] = mapped_column(String(200))
    reminders_minutes_before: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    # Bumped whenever the reminders are queued anew, so new idempotency keys never collide
    # with the cancelled rows of an earlier schedule.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_appointments_person_starts", "person_id", "starts_at"),
        Index("ix_appointments_site_starts", "site_id", "starts_at"),
    )
