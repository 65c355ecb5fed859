"""State that keeps the message path within its limits, shared by every process.

``ReplyBudget`` holds, per sender, the automatic answers of the last day and the signs of an
auto-responder. ``Worker`` is each dispatcher's heartbeat, so that the claims of a dead one are
taken over at once. ``ProviderLimit`` is a provider's next free send slot and its 429 hold, so
that N processes together send at one provider rate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class ReplyBudget(Base):
    __tablename__ = "reply_budgets"

    contact_point_id: Mapped[int] = mapped_column(
        ForeignKey("contact_points.id", ondelete="CASCADE"), primary_key=True
    )
    # Automatic answers of the last day, oldest first: [[ISO time, digest of the text], ...]
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_inbound_digest: Mapped[str | None] = mapped_column(String(16))
    # Texts in a row that looked automatic (repeated, or within seconds of our answer).
    robot_signs: Mapped[int] = mapped_column(Integer, default=0)
    muted_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Answers withheld since the last one that went out.
    withheld: Mapped[int] = mapped_column(Integer, default=0)
    flood_noticed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    crisis_answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Seconds since the epoch on the database's clock: the one clock every process shares.
    heartbeat: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float] = mapped_column(Float)


class ProviderLimit(Base):
    __tablename__ = "provider_limits"

    channel: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The next free send slot, in seconds since the epoch on the database's clock.
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)
    # The provider's 429 retry_after, on the Clock: nothing goes to the channel before it.
    held_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
