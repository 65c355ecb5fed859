"""All tables. Each feature keeps its models in its own module; import it here."""

from storage.models.appointments import Appointment
from storage.models.base import Base, UtcDateTime
from storage.models.conversation import InboxItem, OpenQuestion
from storage.models.messages import Broadcast, Message
from storage.models.people import ContactPoint, InviteCode, Person, PersonRole
from storage.models.sites import Site
from storage.models.staff import AuditEntry, StaffUser

__all__ = [
    "Appointment",
    "AuditEntry",
    "Base",
    "Broadcast",
    "ContactPoint",
    "InboxItem",
    "InviteCode",
    "Message",
    "OpenQuestion",
    "Person",
    "PersonRole",
    "Site",
    "StaffUser",
    "UtcDateTime",
]
