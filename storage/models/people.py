"""People (participants, volunteers, staff), their roles and the addresses they are reached at."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UtcDateTime
from storage.models.states import Language, PersonRoleName, RemindersBy, check_in

ROLES = tuple(s.value for s in PersonRoleName)
LANGUAGES = tuple(s.value for s in Language)
CHANNELS = ("sms", "telegram", "console")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # None once erased: the row stays so that counts in reports stay right.
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="nb")
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | paused
    # sms | call | both (RemindersBy): reminders and check-ins by text, by a call, or both.
    reminders_by: Mapped[str] = mapped_column(String(5), default="sms", server_default="sms")
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The staff member a worrying answer or silence is routed to (a person with the staff role).
    contact_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # For the yearly report, all optional: "woman" | "man" | "other", the home municipality,
    # and the outcome and day of the intake conversation (states.IntakeOutcome).
    gender: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(80))
    intake_outcome: Mapped[str | None] = mapped_column(String(12))
    intake_on: Mapped[date | None] = mapped_column(Date)

    roles: Mapped[list[PersonRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", passive_deletes=True
    )
    contacts: Mapped[list[ContactPoint]] = relationship(lazy="selectin", passive_deletes=True)

    # PostgreSQL holds these CHECKs from migrations 0017 and 0021 on (SQLite: the API and pages
    # refuse).
    __table_args__ = (check_in("language", Language), check_in("reminders_by", RemindersBy))

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    __table_args__ = (Index("ix_person_roles_role", "role"),)


class ContactPoint(Base):
    """A phone number, Telegram chat or console address.

    ``person_id`` is None for a sender nobody has registered yet; registering that number later
    attaches the same row, so an earlier STOPP is kept.
    """

    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64))  # E.164 phone or Telegram chat id
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consent_source: Mapped[str | None] = mapped_column(String(40))
    opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Texts in a row the network could not deliver (Twilio 30003/30005/30006); a delivery resets.
    failed_in_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When those failures marked the number as possibly wrong (the key worker was told).
    suspect_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A long list sent in parts: which list ("activities", ...) and where MER goes on. Any other
    # text clears it, so MER only ever continues the list the person just read.
    more_list: Mapped[str | None] = mapped_column(String(20))
    more_from: Mapped[int | None] = mapped_column(Integer)
    # A shared phone's answer (e.g. "done") waiting for "Hvem svarer?" to be answered with a name.
    who_pending: Mapped[str | None] = mapped_column(String(20))
    # The language an unknown number chose with SPRÅK/LANGUAGE before anyone registered it.
    language: Mapped[str | None] = mapped_column(String(5))

    __table_args__ = (UniqueConstraint("channel", "address"),)


class InviteCode(Base):
    """A one-time code for ``/start <code>`` that links a Telegram chat to a person."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
