"""Volunteer assignments (oppdrag): matching, start, meetings, review and hand-over.

They live under ``/api/assignments``. ``/api/volunteer-assignments…``, their first home, answers
the same for one version and is marked deprecated (a shift place is
``/api/shifts/{shift_id}/assignments/{id}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import Handler, endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Day, Id, Paging, Text, Time
from handlers import pages
from handlers.access import site_filter, visible
from handlers.errors import InputError, NotFound
from handlers.followup import assignments as rules
from handlers.followup import consent
from handlers.pages import Page, PageRequest
from storage.loading import load
from storage.models import AssignmentMeeting, Person, StaffUser, VolunteerAssignment
from storage.models.states import VolunteerAssignmentStatus


def assignments_endpoint(method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
    """``/api/assignments{path}``, and its deprecated alias ``/api/volunteer-assignments{path}``."""
    current = endpoint(method, f"/api/assignments{path}", tag="assignments", **options)
    alias = endpoint(
        method,
        f"/api/volunteer-assignments{path}",
        tag="volunteer-assignments",
        deprecated=True,
        **options,
    )

    def register(handler: Handler) -> Handler:
        return alias(current(handler))

    return register


class AssignmentIn(ApiModel):
    volunteer_id: Id
    participant_id: Id
    goal: Text | None = Field(None, max_length=1000)
    starts_on: Day | None = None
    review_on: Day | None = None


class AssignmentPatch(ApiModel):
    goal: Text | None = Field(None, max_length=1000)
    review_on: Day | None = None
    status: Literal["active", "paused", "ended"] | None = None


class HandOverIn(ApiModel):
    """The key worker who takes over; the participant's contact person when left out."""

    staff_person_id: Id | None = None


class AssignmentsQuery(Paging):
    person_id: Id | None = None
    status: VolunteerAssignmentStatus | None = None


class AssignmentOut(ApiModel):
    id: int
    site_id: int
    volunteer_id: int
    volunteer_name: str | None
    participant_id: int
    participant_name: str | None
    goal: str | None
    starts_on: Day
    review_on: Day
    status: VolunteerAssignmentStatus
    taken_over_by: int | None
    meetings: int
    hours: float
    last_meeting_at: Time | None
    created_at: Time
    ended_at: Time | None
    # Partners and relatives staff may contact about the participant: only those the
    # participant consented to, by name (handlers/followup/consent.py).
    may_contact: list[str]


class SuggestionOut(ApiModel):
    volunteer_id: int
    name: str | None
    score: int
    assignments: int
    reasons: list[str]


class SuggestionsOut(ApiModel):
    """The volunteers of the participant's site that have room, best fit first."""

    participant_id: int
    volunteers: list[SuggestionOut]


async def assignment_json(session: AsyncSession, a: VolunteerAssignment) -> dict[str, Any]:
    volunteer = await session.get(Person, a.volunteer_id)
    participant = await session.get(Person, a.participant_id)
    count, minutes, last = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(AssignmentMeeting.minutes), 0),
                func.max(AssignmentMeeting.met_at),
            ).where(AssignmentMeeting.assignment_id == a.id)
        )
    ).one()
    return {
        "id": a.id,
        "site_id": a.site_id,
        "volunteer_id": a.volunteer_id,
        "volunteer_name": volunteer.name if volunteer else None,
        "participant_id": a.participant_id,
        "participant_name": participant.name if participant else None,
        "goal": a.goal,
        "starts_on": a.starts_on,
        "review_on": a.review_on,
        "status": a.status,
        "taken_over_by": a.taken_over_by,
        "meetings": int(count),
        "hours": round(int(minutes) / 60, 1),
        "last_meeting_at": last,
        "created_at": a.created_at,
        "ended_at": a.ended_at,
        "may_contact": await consent.partners_allowed(session, a.participant_id),
    }


async def person_in_body(
    session: AsyncSession, staff: StaffUser, person_id: int, field: str
) -> Person:
    try:
        return await load_person(session, staff, person_id)
    except NotFound:
        raise InputError({field: "no such person"}) from None


@assignments_endpoint(
    "POST",
    "",
    summary="Pair a volunteer with a participant (oppdrag); both get a text",
    body=AssignmentIn,
    response=AssignmentOut,
    status=201,
)
async def create(request: web.Request, *, body: AssignmentIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        volunteer = await person_in_body(session, staff, body.volunteer_id, "volunteer_id")
        participant = await person_in_body(session, staff, body.participant_id, "participant_id")
        if body.review_on and body.starts_on and body.review_on <= body.starts_on:
            raise InputError({"review_on": "must come after starts_on"})
        assignment = await rules.start(
            session,
            los.clock,
            volunteer,
            participant,
            goal=body.goal,
            starts_on=body.starts_on,
            review_on=body.review_on,
        )
        audit(session, los.clock, staff, "assignment.create", "volunteer_assignment", assignment.id)
        return await assignment_json(session, assignment)


class AssignmentsPage(ApiModel):
    items: list[AssignmentOut]
    next: str | None
    total: int | None = None


@assignments_endpoint(
    "GET",
    "",
    summary="Volunteer assignments of your sites, newest first (?person_id= either side, "
    "?status=), a page at a time",
    query=AssignmentsQuery,
    response=AssignmentsPage,
)
async def list_assignments(request: web.Request, *, query: AssignmentsQuery) -> Any:
    async with los_of(request).sessions() as session:
        found = await visible_assignments(
            session,
            staff_of(request),
            person_id=query.person_id,
            status=query.status,
            page=query.page(),
        )
        items = [await assignment_json(session, a) for a in found.items]
        return {"items": items, "next": found.next, "total": found.total}


async def visible_assignments(
    session: AsyncSession,
    staff: StaffUser,
    *,
    person_id: int | None = None,
    status: str | None = None,
    page: PageRequest,
) -> Page[VolunteerAssignment]:
    q = select(VolunteerAssignment).where(site_filter(staff, VolunteerAssignment.site_id))
    if person_id is not None:
        q = q.where(
            (VolunteerAssignment.volunteer_id == person_id)
            | (VolunteerAssignment.participant_id == person_id)
        )
    if status is not None:
        q = q.where(VolunteerAssignment.status == status)
    keys = [VolunteerAssignment.id]
    return await pages.read(session, q, keys, page, lambda a: [a.id], descending=True)


@assignments_endpoint(
    "GET",
    "/{id}",
    summary="One volunteer assignment with its meetings and hours",
    response=AssignmentOut,
)
async def get(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        assignment = await visible(
            session, staff_of(request), VolunteerAssignment, path_id(request), "assignment"
        )
        return await assignment_json(session, assignment)


@assignments_endpoint(
    "PATCH",
    "/{id}",
    summary="Change the goal or review date; pause, resume or end the assignment",
    body=AssignmentPatch,
    response=AssignmentOut,
)
async def patch(request: web.Request, *, body: AssignmentPatch, query: object) -> Any:
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        assignment = await visible(
            session, staff_of(request), VolunteerAssignment, path_id(request), "assignment"
        )
        if assignment.status in ("ended", "handed_over"):
            raise InputError({"status": "this assignment has ended"})
        if "goal" in changed:
            assignment.goal = (body.goal or "").strip() or None
        if body.review_on is not None:
            assignment.review_on = body.review_on
        if body.status is not None:
            assignment.status = body.status
            if body.status == "ended":
                assignment.ended_at = los.clock.now()
        audit(
            session,
            los.clock,
            staff_of(request),
            "assignment.update",
            "volunteer_assignment",
            assignment.id,
            fields=sorted(changed),
        )
        return await assignment_json(session, assignment)


@assignments_endpoint(
    "POST",
    "/{id}/hand-over",
    summary="Hand over in one step: the volunteer is thanked, the key worker takes over, the "
    "participant is told whom to contact",
    body=HandOverIn,
    response=AssignmentOut,
)
async def hand_over(request: web.Request, *, body: HandOverIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        assignment = await visible(
            session, staff, VolunteerAssignment, path_id(request), "assignment"
        )
        if assignment.status in ("ended", "handed_over"):
            raise InputError({"status": "this assignment has ended"})
        participant = await session.get(Person, assignment.participant_id)
        assert participant is not None
        key_id = body.staff_person_id or participant.contact_staff_id
        if key_id is None:
            raise InputError({"staff_person_id": "name the key worker who takes over"})
        key_worker = await person_in_body(session, staff, key_id, "staff_person_id")
        await load(session, key_worker, "roles")
        if "staff" not in key_worker.role_names:
            raise InputError({"staff_person_id": "this person is not on the staff"})
        await rules.hand_over(session, los.clock, assignment, key_worker)
        audit(
            session, los.clock, staff, "assignment.hand_over", "volunteer_assignment", assignment.id
        )
        return await assignment_json(session, assignment)


@endpoint(
    "GET",
    "/api/people/{id}/volunteer-suggestions",
    summary="Volunteers for this participant, best fit first (area, age, gender wish, interests, "
    "languages, load)",
    tag="assignments",
    response=SuggestionsOut,
)
async def suggest(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        participant = await load_person(session, staff_of(request), path_id(request))
        volunteers = [
            {
                "volunteer_id": s.volunteer.id,
                "name": s.volunteer.name,
                "score": s.score,
                "assignments": s.load,
                "reasons": s.reasons,
            }
            for s in await rules.suggestions(session, participant)
        ]
        return {"participant_id": participant.id, "volunteers": volunteers}
