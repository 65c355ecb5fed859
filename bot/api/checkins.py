"""Check-in plans: create, read (with the answers), change, pause/resume and end."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Day, Id, Paging, Text, Time, keep
from handlers import checkins as rules
from handlers import lists
from handlers.access import require_visible
from handlers.errors import InputError, NotFound
from storage.models import CheckinPlan, CheckinRound, Person, StaffUser
from storage.models.states import PlanStatus

HHMM = r"^\d{2}:\d{2}$"
ROUNDS_SHOWN = 50


class PlanIn(ApiModel):
    person_id: Id
    question: Text | None = Field(None, max_length=300)
    every: Literal["daily", "weekly"] = "daily"
    at: str = Field(pattern=HHMM)
    weekday: int | None = Field(None, ge=0, le=6)
    schedule: Literal["fixed", "transition"] = "fixed"
    starts_on: Day | None = None
    escalate_after_missed: int = Field(3, ge=1, le=50)
    low_score_threshold: int = Field(2, ge=0, le=4)
    nudge_after_minutes: int = Field(240, ge=0, le=7 * 24 * 60)


class PlanPatch(ApiModel):
    """Fields left out stay; only ``question`` and ``weekday`` may be null."""

    question: Text | None = Field(None, max_length=300)
    every: Literal["daily", "weekly"] = keep()
    at: str = keep(pattern=HHMM)
    weekday: int | None = Field(None, ge=0, le=6)
    schedule: Literal["fixed", "transition"] = keep()
    starts_on: Day = keep()
    escalate_after_missed: int = keep(ge=1, le=50)
    low_score_threshold: int = keep(ge=0, le=4)
    nudge_after_minutes: int = keep(ge=0, le=7 * 24 * 60)
    status: PlanStatus = keep()


class PlansQuery(Paging):
    person_id: Id | None = None
    status: PlanStatus | None = None


class RoundOut(ApiModel):
    id: int
    asked_at: Time | None
    answered_at: Time | None
    score: int | None
    free_text: str | None
    nudged_at: Time | None
    missed: bool
    escalation: str | None


class PlanOut(ApiModel):
    id: int
    person_id: int
    question: str | None
    schedule: Literal["fixed", "transition"]
    every: Literal["daily", "weekly"]
    weekday: int | None
    at: str
    starts_on: Day
    escalate_after_missed: int
    low_score_threshold: int
    nudge_after_minutes: int
    status: PlanStatus
    ended_reason: str | None
    missed_in_row: int
    next_due_at: Time | None
    created_at: Time
    ended_at: Time | None
    rounds: list[RoundOut] | None = None


def plan_json(plan: CheckinPlan, rounds: list[CheckinRound] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": plan.id,
        "person_id": plan.person_id,
        "question": plan.question,
        "schedule": plan.schedule,
        "every": plan.every,
        "weekday": plan.weekday,
        "at": plan.at,
        "starts_on": plan.starts_on.isoformat(),
        "escalate_after_missed": plan.escalate_after_missed,
        "low_score_threshold": plan.low_score_threshold,
        "nudge_after_minutes": plan.nudge_after_minutes,
        "status": plan.status,
        "ended_reason": plan.ended_reason,
        "missed_in_row": plan.missed_in_row,
        "next_due_at": plan.next_due_at,
        "created_at": plan.created_at,
        "ended_at": plan.ended_at,
    }
    if rounds is not None:
        result["rounds"] = [
            {
                "id": r.id,
                "asked_at": r.asked_at,
                "answered_at": r.answered_at,
                "score": r.score,
                "free_text": r.free_text,
                "nudged_at": r.nudged_at,
                "missed": r.missed,
                "escalation": r.escalation,
            }
            for r in rounds
        ]
    return result


async def load_plan(session: AsyncSession, staff: StaffUser, plan_id: int) -> CheckinPlan:
    """A plan of a person of the user's sites; 404 otherwise."""
    plan = await session.get(CheckinPlan, plan_id)
    if plan is None:
        raise NotFound("check-in plan")
    person = await session.get(Person, plan.person_id)
    require_visible(staff, person.site_id if person else None, "check-in plan")
    return plan


async def recent_rounds(session: AsyncSession, plan_id: int) -> list[CheckinRound]:
    rows = await session.scalars(
        select(CheckinRound)
        .where(CheckinRound.plan_id == plan_id)
        .order_by(CheckinRound.asked_at.desc(), CheckinRound.id.desc())
        .limit(ROUNDS_SHOWN)
    )
    return list(rows)


@endpoint(
    "POST",
    "/api/checkins",
    summary="Start check-ins for a person (daily, weekly or a tapering transition plan)",
    tag="checkins",
    body=PlanIn,
    response=PlanOut,
    status=201,
)
async def create(request: web.Request, *, body: PlanIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        try:
            person = await load_person(session, staff_of(request), body.person_id)
        except NotFound:
            raise InputError({"person_id": "no such person"}) from None
        plan = await rules.create_plan(
            session,
            los.clock,
            person,
            at=body.at,
            every=body.every,
            schedule=body.schedule,
            weekday=body.weekday,
            starts_on=body.starts_on,
            question=body.question,
            escalate_after_missed=body.escalate_after_missed,
            low_score_threshold=body.low_score_threshold,
            nudge_after_minutes=body.nudge_after_minutes,
        )
        audit(session, los.clock, staff_of(request), "checkin.create", "checkin_plan", plan.id)
        result = plan_json(plan)
    return result


class PlansPage(ApiModel):
    items: list[PlanOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/checkins",
    summary="Check-in plans of your sites (?person_id=&status=)",
    tag="checkins",
    query=PlansQuery,
    response=PlansPage,
)
async def list_plans(request: web.Request, *, query: PlansQuery) -> Any:
    async with los_of(request).sessions() as session:
        found = await lists.checkin_plans(
            session,
            staff_of(request),
            person_id=query.person_id,
            status=query.status,
            page=query.page(),
        )
        return {
            "items": [plan_json(plan) for plan, _site in found.items],
            "next": found.next,
            "total": found.total,
        }


@endpoint(
    "GET",
    "/api/checkins/{id}",
    summary="One plan with its latest rounds (scores and what the person wrote)",
    tag="checkins",
    response=PlanOut,
)
async def get(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        plan = await load_plan(session, staff_of(request), path_id(request))
        result = plan_json(plan, await recent_rounds(session, plan.id))
        audit(session, los.clock, staff_of(request), "checkin.read", "checkin_plan", plan.id)
    return result


@endpoint(
    "PATCH",
    "/api/checkins/{id}",
    summary="Change a plan; status paused/active pauses and resumes it, ended ends it",
    tag="checkins",
    body=PlanPatch,
    response=PlanOut,
)
async def patch(request: web.Request, *, body: PlanPatch, query: object) -> Any:
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        plan = await load_plan(session, staff_of(request), path_id(request))
        if plan.status == "ended" and body.status != "active":
            raise InputError({"status": "this plan has ended; set status active to restart it"})
        if plan.ended_reason == "erased":
            raise InputError({"status": "the person has been erased"})
        for name in (
            "every",
            "at",
            "schedule",
            "starts_on",
            "escalate_after_missed",
            "low_score_threshold",
            "nudge_after_minutes",
        ):
            if name in changed:
                setattr(plan, name, getattr(body, name))
        if "weekday" in changed and body.weekday is not None:
            plan.weekday = body.weekday
        if "question" in changed:
            plan.question = body.question.strip() if body.question else None
        if "status" in changed:
            await rules.set_plan_status(session, los.clock, plan, body.status)
        await rules.reschedule(session, los.clock, plan)
        audit(
            session,
            los.clock,
            staff_of(request),
            "checkin.update",
            "checkin_plan",
            plan.id,
            fields=sorted(changed),
        )
        result = plan_json(plan)
    return result


@endpoint(
    "DELETE",
    "/api/checkins/{id}",
    summary="End a plan (its rounds stay for the figures)",
    tag="checkins",
    response=PlanOut,
)
async def end(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        plan = await load_plan(session, staff_of(request), path_id(request))
        if plan.status != "ended":
            await rules.end_plan(session, los.clock, plan, "staff")
        audit(session, los.clock, staff_of(request), "checkin.end", "checkin_plan", plan.id)
        result = plan_json(plan)
    return result
