"""Every state machine's states and every role, as StrEnums.

The same enums give the API its allowed values (OpenAPI ``enum``), the rules their constants and
the database its CHECK constraints (migration 0010), so a typo is caught in one of three places
instead of silently matching nothing.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class StaffRole(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"


class PersonRoleName(StrEnum):
    PARTICIPANT = "participant"
    VOLUNTEER = "volunteer"
    STAFF = "staff"


class Language(StrEnum):
    """The languages Los writes in (handlers/texts/locale/); a CHECK keeps people.language
    to them (migration 0017)."""

    NB = "nb"
    EN = "en"
    PL = "pl"
    LT = "lt"
    RO = "ro"
    UK = "uk"
    RU = "ru"
    AR = "ar"
    SO = "so"


class RemindersBy(StrEnum):
    """How a person gets reminders and check-ins: texts, a phone call that reads them aloud
    (handlers/voice.py), or both; a CHECK keeps people.reminders_by to them (migration 0021)."""

    SMS = "sms"
    CALL = "call"
    BOTH = "both"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class MessageStatus(StrEnum):
    """In: received. Out: queued -> sending -> sent -> delivered | failed; or skipped/cancelled.
    Unknown: a crash hid the outcome and the provider could not be asked for 30 minutes.
    Held: waiting in a restored backup until an admin releases (queued) or cancels it.
    Failed is also an incoming text that could not be handled three times."""

    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"
    HELD = "held"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class BroadcastStatus(StrEnum):
    """``queueing`` while its rows are written (after the request answered), ``sending`` until
    none is left to send, then ``sent``. ``queued`` is what broadcasts before 0020 kept."""

    QUEUED = "queued"
    QUEUEING = "queueing"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    MISSED = "missed"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    HELD = "held"


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class SignupStatus(StrEnum):
    SIGNED_UP = "signed_up"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    INTERESTED = "interested"


class ShiftStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class AssignmentStatus(StrEnum):
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class PlanStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class QuestionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    CLOSED = "closed"


class InboxStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class VolunteerAssignmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"
    HANDED_OVER = "handed_over"


class ConsentScope(StrEnum):
    TEXTS = "texts"
    PARTNER = "partner"
    RELATIVE = "relative"
    PHOTOS = "photos"


class ConsentHow(StrEnum):
    ORAL = "oral"
    WRITTEN = "written"


class ReminderKind(StrEnum):
    MELDEKORT = "meldekort"
    RENT = "rent"
    PICKUP = "pickup"
    MAILBOX = "mailbox"
    OWN = "own"


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class RecipientStatus(StrEnum):
    ASKED = "asked"
    ANSWERED = "answered"
    STOPPED = "stopped"
    EXPIRED = "expired"


class IntakeOutcome(StrEnum):
    """The outcome of an intake conversation, as day centres report it."""

    TAKEN_IN = "taken_in"
    SHORT_TERM = "short_term"
    REFERRED = "referred"


def check_in(column: str, states: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """``column IN (every state)``, named ``ck_<table>_<column>`` by the naming convention."""
    values = ", ".join(f"'{s.value}'" for s in states)
    return CheckConstraint(f"{column} IN ({values})", name=name or column)


# table -> (column, enum): the CHECK constraints migration 0010 adds, kept beside the enums.
CHECKED: dict[str, tuple[str, type[StrEnum]]] = {
    "staff_users": ("role", StaffRole),
    "person_roles": ("role", PersonRoleName),
    "people": ("status", PersonStatus),
    "messages": ("status", MessageStatus),
    "broadcasts": ("status", BroadcastStatus),
    "appointments": ("status", AppointmentStatus),
    "activities": ("status", ActivityStatus),
    "activity_series": ("status", SeriesStatus),
    "activity_signups": ("status", SignupStatus),
    "shifts": ("status", ShiftStatus),
    "shift_assignments": ("status", AssignmentStatus),
    "checkin_plans": ("status", PlanStatus),
    "open_questions": ("status", QuestionStatus),
    "inbox_items": ("status", InboxStatus),
    "volunteer_assignments": ("status", VolunteerAssignmentStatus),
    "consents": ("scope", ConsentScope),
    "reminder_series": ("status", PlanStatus),
}
