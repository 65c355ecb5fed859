"""Follow-up over months: volunteer assignments (oppdrag), signs of life, consent, everyday
reminder series and phones shared by several people."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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


class VolunteerAssignment(Base):
    """One volunteer (tidgiver) paired with one participant, with a goal and a review date."""

    __tablename__ = "volunteer_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    goal: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active")
    # The key worker (a person with the staff role) who took over at a hand-over.
    taken_over_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    last_review_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_volunteer_assignments_volunteer", "volunteer_id", "status"),
        Index("ix_volunteer_assignments_participant", "participant_id", "status"),
    )


class AssignmentMeeting(Base):
    """A meeting the volunteer reported with TREFF; its minutes count in their hours."""

    __tablename__ = "assignment_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_assignments.id", ondelete="CASCADE"), index=True
    )
    met_at: Mapped[datetime] = mapped_column(UtcDateTime)
    minutes: Mapped[int] = mapped_column(Integer)


class MatchingProfile(Base):
    """What staff record for matching, on both sides. Never a diagnosis."""

    __tablename__ = "matching_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    area: Mapped[str | None] = mapped_column(String(80))
    age_band: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(10))
    gender_wish: Mapped[str | None] = mapped_column(String(10))
    interests: Mapped[str | None] = mapped_column(String(400))  # comma separated
    languages: Mapped[str | None] = mapped_column(String(200))  # comma separated
    max_assignments: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class SignOfLife(Base):
    """When a person was last seen, by any signal, and how far the "not heard from" steps went."""

    __tablename__ = "signs_of_life"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_signal: Mapped[str | None] = mapped_column(String(20))
    # When staff last tapped "seen today".
    staff_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    threshold_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # 0 nothing, 1 gentle text sent, 2 key worker told, 3 team told; reset by any signal.
    step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    step_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Consent(Base):
    """What a person agreed to, when, recorded by whom and how; withdrawal keeps the row."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(12))  # texts | partner | relative | photos
    party: Mapped[str | None] = mapped_column(String(120))  # "NAV Grünerløkka", "søster Anne"
    how: Mapped[str] = mapped_column(String(10))  # oral | written
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ReminderTemplate(Base):
    """A site's own wording of an everyday reminder kind (else the catalogue's)."""

    __tablename__ = "reminder_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text_nb: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("site_id", "kind"),)


class ReminderSeries(Base):
    """A personal everyday reminder: every N days from a date, a day of the month or a weekday,
    at a local time. One row per series; the job finds the due ones."""

    __tablename__ = "reminder_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(12))  # meldekort | rent | pickup | mailbox | own
    text: Mapped[str | None] = mapped_column(String(300))  # staff's own words
    every_days: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    weekday: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(5))
    missed_to_inbox: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReminderOccurrence(Base):
    """One reminder of a series that went out: done (OK/FERDIG) or missed."""

    __tablename__ = "reminder_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_series.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    missed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("series_id", "due_at"),)


class PhoneSharer(Base):
    """A person on a shared number (a hostel phone): up to four, each with a name to begin
    texts with. The owner of the contact point is listed too once a second person joins."""

    __tablename__ = "phone_sharers"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    code_word: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("contact_point_id", "person_id"),)
