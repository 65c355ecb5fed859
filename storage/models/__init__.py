"""All tables. Each feature keeps its models in its own module; import it here."""

from storage.models.activities import Activity, ActivitySeries, Signup
from storage.models.appointments import Appointment
from storage.models.base import Base, UtcDateTime
from storage.models.checkins import CheckinPlan, CheckinRound
from storage.models.conversation import InboxItem, OpenQuestion
from storage.models.limits import ProviderLimit, ReplyBudget, Worker
from storage.models.messages import Broadcast, Message
from storage.models.people import ContactPoint, InviteCode, Person, PersonRole
from storage.models.rota import (
    Assignment,
    CalendarToken,
    Shift,
    ShiftTemplate,
    VolunteerTerms,
)
from storage.models.sites import Site
from storage.models.staff import AuditEntry, StaffUser, staff_sites

__all__ = [
    "Activity",
    "ActivitySeries",
    "Appointment",
    "Assignment",
    "AuditEntry",
    "Base",
    "Broadcast",
    "CalendarToken",
    "CheckinPlan",
    "CheckinRound",
    "ContactPoint",
    "InboxItem",
    "InviteCode",
    "Message",
    "OpenQuestion",
    "Person",
    "PersonRole",
    "ProviderLimit",
    "ReplyBudget",
    "Shift",
    "ShiftTemplate",
    "Signup",
    "Site",
    "StaffUser",
    "UtcDateTime",
    "VolunteerTerms",
    "Worker",
    "staff_sites",
]
