"""Staff's own state for an inbox thread: who has it, and internal notes.

A thread is everything one person (or one unknown number) has in the inbox; its items stay in
``inbox_items``. This row exists once staff assign the thread or write a note about it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class InboxThread(Base):
    __tablename__ = "inbox_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # Exactly one of these: the person, or the unknown sender's contact point.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), unique=True
    )
    assigned_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboxNote(Base):
    """An internal note on a thread: read by staff only, never sent."""

    __tablename__ = "inbox_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_threads.id", ondelete="CASCADE"), index=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # None once the person is erased.
    text: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12), default="note")  # note | assigned | resolved
    at: Mapped[datetime] = mapped_column(UtcDateTime)
