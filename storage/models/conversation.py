"""Open questions (what a JA/NEI or 1-5 would answer) and the staff inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime

# Inbox items that are open and hold a text (``ix_inbox_items_message``).
OPEN_WITH_TEXT = "status = 'open' AND message_id IS NOT NULL"


class OpenQuestion(Base):
    """A question put to one person; the router applies their next fitting answer to it."""

    __tablename__ = "open_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Which handler answers it ("appointment", "activity", "shift", "checkin", "followup", ...)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    answer_type: Mapped[str] = mapped_column(String(10), default="yesno")  # yesno | scale
    # Short neutral label used when the bot must ask which question an answer is for.
    label: Mapped[str | None] = mapped_column(String(120))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|answered|expired|closed
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The number this question had in a "which question?" list the person was shown; it keeps
    # that meaning until the question closes, so "3 NEI" from an old list still means this one.
    list_number: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_open_questions_person_status", "person_id", "status"),
        # Closing the questions about one thing (handlers/questions.py close_questions).
        Index("ix_open_questions_kind_ref", "kind", "ref_id"),
    )


class InboxItem(Base):
    """Something a human on the staff must read: an unknown text, a decline, a worry."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))  # message, unknown_sender, declined, ...
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    __table_args__ = (
        Index("ix_inbox_items_status", "status", "created_at"),
        # "is anything of theirs still waiting for staff?" on every text that goes to staff
        Index("ix_inbox_items_contact_status", "contact_point_id", "status"),
        # Threads (one per person or unknown sender) are read through these.
        Index("ix_inbox_items_person_created", "person_id", "created_at"),
        Index("ix_inbox_items_contact_created", "contact_point_id", "created_at"),
        # Retention asks of each old text whether an open item still holds it (0027).
        Index(
            "ix_inbox_items_message",
            "message_id",
            postgresql_where=text(OPEN_WITH_TEXT),
            sqlite_where=text(OPEN_WITH_TEXT),
        ),
    )
