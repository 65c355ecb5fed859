"""Where features plug in: answers to their questions, their commands, interceptors, erasers
and statistics. Each feature adds one line per entry here; nothing else needs to know it exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import (
    activities,
    appointment_replies,
    attachments,
    broadcasts,
    checkins,
    crisis,
    paging,
    questions,
    signups,
    stats,
    surveys,
)
from handlers.clock import Clock
from handlers.context import Conversation, Rules
from handlers.followup import assignments as followup_assignments
from handlers.followup import consent as followup_consent
from handlers.followup import erasure as followup_erasure
from handlers.followup import reminders as followup_reminders
from handlers.followup import shared as followup_shared
from handlers.keywords import Answer
from handlers.rota import figures as rota_figures
from handlers.rota import replies as rota_replies
from handlers.rota import staff as rota_staff
from storage.models import OpenQuestion, Person

CommandHandler = Callable[[Conversation, list[str]], Awaitable[None]]
# Runs before questions and commands; returns True when it has dealt with the text.
Interceptor = Callable[[Conversation], Awaitable[bool]]
# An eraser gets the clock and rules so that a place it frees can go to the next person.
Eraser = Callable[[AsyncSession, Clock, Rules, Person], Awaitable[None]]
# A section of /api/stats: (session, site_id or None, from, to) -> figures.
StatsSection = Callable[[AsyncSession, int | None, datetime, datetime], Awaitable[dict[str, Any]]]


async def answer_to_staff(conv: Conversation, question: OpenQuestion, answer: Answer) -> None:
    """A yes/no whose answer a human acts on (e.g. "Vil du ha en ny time? Svar JA")."""
    if answer.value == "yes":
        await conv.to_inbox("answer", f"JA: {question.label or ''}".strip())
    await conv.reply("thanks_answer")


ANSWER_HANDLERS: dict[str, questions.AnswerHandler] = {
    "to_staff": answer_to_staff,
    "appointment": appointment_replies.answer_appointment,
    "appointment_missed": appointment_replies.answer_missed,
    "checkin": checkins.answer_checkin,
    "activity": signups.answer_invitation,
    "shift": rota_replies.answer_offer,
    "shift_call": rota_replies.answer_call,
    "reminder": followup_reminders.answer_reminder,
    "assignment_review": followup_assignments.answer_review,
    "survey": surveys.answer_survey,
}
COMMANDS: dict[str, CommandHandler] = {
    "timer": appointment_replies.list_appointments,
    "avtaler": appointment_replies.list_appointments,
    "appointments": appointment_replies.list_appointments,
    "flytt": appointment_replies.ask_new_time,
    "move": appointment_replies.ask_new_time,
    "ny": appointment_replies.new_command,
    "meld": signups.join_command,
    "join": signups.join_command,
    "avmeld": signups.leave_command,
    "leave": signups.leave_command,
    "aktiviteter": signups.list_command,
    "aktivitet": signups.list_command,
    "activities": signups.list_command,
    "forslag": signups.suggestion_command,
    "idea": signups.suggestion_command,
    "vakter": rota_replies.list_shifts,
    "shifts": rota_replies.list_shifts,
    "avbud": rota_replies.cancel_shift,
    "cancel": rota_replies.cancel_shift,
    "treff": followup_assignments.meeting_command,
    "ferdig": followup_reminders.done_command,
    "done": followup_reminders.done_command,
    "samtykke": followup_consent.consent_command,
    "consent": followup_consent.consent_command,
}
INTERCEPTORS: list[Interceptor] = [
    crisis.intercept_crisis,
    rota_replies.late_answer,
    followup_shared.intercept_shared,
    surveys.take_text_answer,
]
ERASERS: list[Eraser] = [
    attachments.erase_attachments,
    appointment_replies.erase_appointments,
    checkins.erase_checkins,
    signups.erase_signups,
    rota_staff.erase_volunteer,
    followup_erasure.erase_followup,
    surveys.erase_answers,
]
STATS: dict[str, StatsSection] = {
    "messages": stats.message_figures,
    "appointments": appointment_replies.appointment_figures,
    "checkins": checkins.checkin_figures,
    "activities": activities.activity_figures,
    "volunteers": rota_figures.volunteer_figures,
    "assignments": followup_assignments.assignment_figures,
    "reminders": followup_reminders.reminder_figures,
    "surveys": surveys.survey_figures,
}
broadcasts.AUDIENCE_RESOLVERS["activity_id"] = activities.signed_up_people
# Lists that are sent in parts: what MER continues (handlers/paging.py).
paging.LISTS.update(
    {
        "activities": signups.activity_listing,
        "appointments": appointment_replies.appointment_listing,
        "shifts": rota_replies.shift_listing,
        "shift_cancel": rota_replies.cancel_listing,
        "questions": questions.question_listing,
    }
)
