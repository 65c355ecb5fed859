"""One row per inbox thread: the figures the inbox list orders by, and staff's own state.

A thread is everything one person (or one unknown number, or one item about nobody) has in the
inbox; its items stay in ``inbox_items``. The row keeps what the list orders and filters on
(open and all items, whether an open item is urgent, the newest item), so a page of the list
reads a few rows of this table instead of grouping every item (issue 21).
``handlers.thread_figures`` keeps the figures true in the same transaction as each change to the
items. Who has the thread and staff's notes hang on the same row; ``staff_at`` says when staff
first assigned it or wrote a note (before 0025 the row existed only from then).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime

# The list's views, each read in its order (these columns, descending: the index read
# backwards) from its own partial index: open threads, resolved ones, and all.
OPEN = "open_items > 0"
RESOLVED = "open_items = 0 AND items > 0"
LISTED = "items > 0"
LIST_ORDER = ("urgent", "last_at", "last_item_id")


def _list_index(name: str, where: str) -> Index:
    return Index(name, *LIST_ORDER, postgresql_where=sql(where), sqlite_where=sql(where))


class InboxThread(Base):
    __tablename__ = "inbox_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The site of the thread's items (the lowest, should they span two: an unknown number
    # that texted two sites; then ``other_sites``, and the list also asks the items).
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    other_sites: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Exactly one of these: the person, the unknown sender's contact point, or the one item
    # about nobody (an anonymous suggestion, an alert for admins).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), unique=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_items.id", ondelete="CASCADE"), unique=True
    )
    assigned_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    staff_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The kept figures (handlers/thread_figures.py); a thread with no items is not listed.
    items: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    open_items: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_item_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        _list_index("ix_inbox_threads_open_order", OPEN),
        _list_index("ix_inbox_threads_resolved_order", RESOLVED),
        _list_index("ix_inbox_threads_listed_order", LISTED),
    )


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
