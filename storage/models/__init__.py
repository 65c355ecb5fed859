"""All tables. Each feature keeps its models in its own module; import it here."""

from storage.models.activities import Activity, ActivitySeries, Signup
from storage.models.appointments import Appointment
from storage.models.base import Base, UtcDateTime
from storage.models.checkins import CheckinPlan, CheckinRound
from storage.models.conversation import InboxItem, OpenQuestion
from storage.models.figures import MessageDay, MessageDayChange
from storage.models.followup import (
    AssignmentMeeting,
    Consent,
    MatchingProfile,
    PhoneSharer,
    ReminderOccurrence,
    ReminderSeries,
    ReminderTemplate,
    SignOfLife,
    VolunteerAssignment,
)
from storage.models.inbox_threads import InboxNote, InboxThread
from storage.models.limits import ProviderLimit, ReplyBudget, Worker
from storage.models.messages import Broadcast, Message, MessageAttachment
from storage.models.ops import JobRun
from storage.models.people import ContactPoint, InviteCode, Person, PersonRole
from storage.models.rota import (
    Assignment,
    CalendarToken,
    Shift,
    ShiftTemplate,
    VolunteerTerms,
)
from storage.models.sites import Site
from storage.models.staff import ApiToken, AuditEntry, StaffSession, StaffUser, staff_sites
from storage.models.states import CHECKED, check_in
from storage.models.surveys import (
    ActivityType,
    Survey,
    SurveyAnswer,
    SurveyFreeText,
    SurveyQuestion,
    SurveyRecipient,
    SurveyTally,
)

__all__ = [
    "Activity",
    "ActivitySeries",
    "ActivityType",
    "ApiToken",
    "Appointment",
    "Assignment",
    "AssignmentMeeting",
    "AuditEntry",
    "Base",
    "Broadcast",
    "CalendarToken",
    "CheckinPlan",
    "CheckinRound",
    "Consent",
    "ContactPoint",
    "InboxItem",
    "InboxNote",
    "InboxThread",
    "InviteCode",
    "JobRun",
    "MatchingProfile",
    "Message",
    "MessageAttachment",
    "MessageDay",
    "MessageDayChange",
    "OpenQuestion",
    "Person",
    "PersonRole",
    "PhoneSharer",
    "ProviderLimit",
    "ReminderOccurrence",
    "ReminderSeries",
    "ReminderTemplate",
    "ReplyBudget",
    "Shift",
    "ShiftTemplate",
    "SignOfLife",
    "Signup",
    "Site",
    "StaffSession",
    "StaffUser",
    "Survey",
    "SurveyAnswer",
    "SurveyFreeText",
    "SurveyQuestion",
    "SurveyRecipient",
    "SurveyTally",
    "UtcDateTime",
    "VolunteerAssignment",
    "VolunteerTerms",
    "Worker",
    "staff_sites",
]

# Each state column holds only its enum's values (CHECK constraints, added by migration 0010).
for _table, (_column, _states) in CHECKED.items():
    Base.metadata.tables[_table].append_constraint(check_in(_column, _states))
