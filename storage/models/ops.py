"""What the periodic jobs did, shared by every process so that any of them can show it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class JobRun(Base):
    """The last run of one periodic job (retention, check-ins, the nightly backup ...)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    every_seconds: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The cause of the last failure, without data: an exception type and the driver's message.
    last_error: Mapped[str | None] = mapped_column(String(200))
    # Which process ran it last (host:pid:random), as in outbox claims.
    worker: Mapped[str | None] = mapped_column(String(64))
