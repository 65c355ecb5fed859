"""Every text in and out. Outgoing rows are the one outbox the dispatcher sends from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime

# Outgoing statuses (MessageStatus). queued -> sending -> sent -> delivered | failed; or skipped /
# cancelled; ``unknown`` when a crash hid the outcome and the provider could not be asked for 30
# minutes; ``held`` while waiting in a restored backup until an admin releases (queued) or cancels
# it.
OUT_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "skipped",
    "cancelled",
    "unknown",
    "held",
)
FINAL_OUT_STATUSES = ("sent", "delivered", "failed", "skipped", "cancelled", "unknown")

# Outbox priorities, most urgent first: the dispatcher claims in this order.
PRIORITY_CRISIS = 0  # the emergency numbers, after crisis words
PRIORITY_ANSWER = 1  # an answer to a person's own text
PRIORITY_ROUTINE = 2  # reminders, check-ins, offers
PRIORITY_BULK = 3  # broadcasts
PRIORITIES = (PRIORITY_CRISIS, PRIORITY_ANSWER, PRIORITY_ROUTINE, PRIORITY_BULK)
PENDING_INBOUND = "direction = 'in' AND processed_at IS NULL"
QUEUED = "status = 'queued'"
KEPT_TEXT = "text IS NOT NULL"


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    contact_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_points.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    # Kept on the row so a message can be sent or read even if the contact point changes;
    # None once the person is erased.
    address: Mapped[str | None] = mapped_column(String(64))
    # Incoming: our number the text was sent to (which site it is for).
    via: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    # Why the message exists, without personal data: "reply", "reminder", "broadcast", ...
    # A Telegram button press is kind "button", with question_id and button_answer set.
    kind: Mapped[str] = mapped_column(String(40), default="reply")
    provider_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # Outbox scheduling.
    send_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # ignores quiet hours
    # PRIORITY_*: the order the dispatcher claims due rows in.
    priority: Mapped[int] = mapped_column(
        SmallInteger, default=PRIORITY_ROUTINE, server_default=str(PRIORITY_ROUTINE)
    )
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(200))
    # Answer buttons for Telegram: [["JA", "yes"], ["NEI", "no"]] as (label, answer) pairs.
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("open_questions.id", ondelete="SET NULL")
    )
    # Incoming button press: the answer the button carried ("yes", "no", "3"); question_id says
    # which question it answers.
    button_answer: Mapped[str | None] = mapped_column(String(20))
    # Out: the language of the catalogue text ("pl"; "nb+en" for the two-language answers to
    # unknown numbers); None for what staff wrote themselves.
    language: Mapped[str | None] = mapped_column(String(5))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Inbound: when the router finished with it. None means still to be handled (crash recovery).
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Inbound Telegram: "<chat id>:<message id>", which an edit of the message names.
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    # Inbound: when the sender last edited the text (Telegram); staff see it marked "(endret)".
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What a queued text is about, from its idempotency key ("reminder:appointment", 42), so that
    # withdrawing an appointment's reminders reads an index, not every queued key.
    ref_kind: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("direction", "channel", "provider_id"),
        Index("ix_messages_outbox_due", "status", "send_after"),
        Index("ix_messages_provider_ref", "channel", "provider_ref"),
        # The claim: due rows of one priority, oldest first (scheduler/dispatcher.py).
        Index("ix_messages_outbox_claim", "status", "priority", "send_after", "id"),
        # The inbound sweep: stored texts not yet handled, oldest first (scheduler/inbound.py).
        # Partial: only those rows are in it, however long the history.
        Index(
            "ix_messages_inbound_pending",
            "id",
            postgresql_where=sql(PENDING_INBOUND),
            sqlite_where=sql(PENDING_INBOUND),
        ),
        # The same rows led by the columns the sweep matches: SQLite's planner passes over the
        # one above and sorts every incoming text; PostgreSQL keeps to the one above.
        Index(
            "ix_messages_inbound_unhandled",
            "processed_at",
            "direction",
            "id",
            postgresql_where=sql(PENDING_INBOUND),
            sqlite_where=sql(PENDING_INBOUND),
        ),
        # Cancelling one thing's queued texts (handlers/outbox.py cancel_queued).
        Index(
            "ix_messages_queued_ref",
            "ref_kind",
            "ref_id",
            postgresql_where=sql(QUEUED),
            sqlite_where=sql(QUEUED),
        ),
        # Live counts at the edges of a period (handlers/stats.py).
        Index("ix_messages_created_at", "created_at"),
        # A person's conversation, a page at a time (handlers/lists.py messages_of).
        Index("ix_messages_person_created", "person_id", "created_at", "id"),
        # Retention: only texts not yet blanked, oldest first (handlers/retention.py).
        Index(
            "ix_messages_text_kept",
            "created_at",
            postgresql_where=sql(KEPT_TEXT),
            sqlite_where=sql(KEPT_TEXT),
        ),
    )


class MessageAttachment(Base):
    """A picture, voice note, document or sticker that came with an incoming message.

    Only what it is and the provider's reference to it (Twilio's media URL, Telegram's
    ``file_id``) are kept, never the file: staff open it through Los, which fetches it from the
    provider on demand. Retention and erasure blank the reference.
    """

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in the order the provider gave
    # photo | voice | audio | video | video_note | animation | document | sticker
    kind: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str | None] = mapped_column(String(100))
    provider_ref: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("message_id", "position"),)


class Broadcast(Base):
    """One text sent to many; its messages carry ``broadcast_id`` for progress counts."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(20), default="broadcast")
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(12), default="queueing")  # BroadcastStatus
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # The last person id whose row is queued: queueing goes on after it (None: not begun).
    queued_through: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
