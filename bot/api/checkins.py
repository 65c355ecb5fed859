"""Check-in plans: create, read (with the answers), change, pause/resume and end."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import endpoint, json_response, los_of, path_id, query_id, read_body, staff_of
from handlers import checkins as rules
from handlers.errors import InputError, NotFound
from storage.models import CheckinPlan, CheckinRound, Person, Site

HHMM = r"^\d{2}:\d{2}$"
ROUNDS_SHOWN = 50


class PlanIn(BaseModel):
    person_id: int
    question: str | None = Field(None, max_length=300)
    every: Literal["daily", "weekly"] = "daily"
    at: str = Field(pattern=HHMM)
    weekday: int | None = Field(None, ge=0, le=6)
    schedule: Literal["fixed", "transition"] = "fixed"
    starts_on: date | None = None
    escalate_after_missed: int = Field(3, ge=1, le=50)
    low_score_threshold: int = Field(2, ge=0, le=4)
    nudge_after_minutes: int = Field(240, ge=0, le=7 * 24 * 60)


class PlanPatch(BaseModel):
    question: str | None = Field(None, max_length=300)
    every: Literal["daily", "weekly"] | None = None
    at: str | None = Field(None, pattern=HHMM)
    weekday: int | None = Field(None, ge=0, le=6)
    schedule: Literal["fixed", "transition"] | None = None
    starts_on: date | None = None
    escalate_after_missed: int | None = Field(None, ge=1, le=50)
    low_score_threshold: int | None = Field(None, ge=0, le=4)
    nudge_after_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)
    status: Literal["active", "paused", "ended"] | None = None


def local(value: Any, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def plan_json(
    plan: CheckinPlan, tz: ZoneInfo, rounds: list[CheckinRound] | None = None
) -> dict[str, Any]:
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
        "next_due_at": local(plan.next_due_at, tz),
        "created_at": local(plan.created_at, tz),
        "ended_at": local(plan.ended_at, tz),
    }
    if rounds is not None:
        result["rounds"] = [
            {
                "id": r.id,
                "asked_at": local(r.asked_at, tz),
                "answered_at": local(r.answered_at, tz),
                "score": r.score,
                "free_text": r.free_text,
                "nudged_at": local(r.nudged_at, tz),
                "missed": r.missed,
                "escalation": r.escalation,
            }
            for r in rounds
        ]
    return result


async def load_plan(session: AsyncSession, plan_id: int) -> tuple[CheckinPlan, ZoneInfo]:
    plan = await session.get(CheckinPlan, plan_id)
    if plan is None:
        raise NotFound("check-in plan")
    person = await session.get(Person, plan.person_id)
    assert person is not None
    site = await session.get(Site, person.site_id)
    assert site is not None
    return plan, ZoneInfo(site.timezone)


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
    status=201,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, PlanIn)
    los = los_of(request)
    async with los.sessions.begin() as session:
        try:
            person = await load_person(session, body.person_id)
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
        _, tz = await load_plan(session, plan.id)
        result = plan_json(plan, tz)
    return json_response(result, 201)


@endpoint("GET", "/api/checkins", summary="Check-in plans (?person_id=&status=)", tag="checkins")
async def list_plans(request: web.Request) -> web.Response:
    query = select(CheckinPlan).order_by(CheckinPlan.id)
    person_id = query_id(request, "person_id")
    if person_id is not None:
        query = query.where(CheckinPlan.person_id == person_id)
    status = request.query.get("status")
    if status:
        if status not in ("active", "paused", "ended"):
            raise InputError({"status": "use active, paused or ended"})
        query = query.where(CheckinPlan.status == status)
    async with los_of(request).sessions() as session:
        result = []
        for plan in await session.scalars(query):
            _, tz = await load_plan(session, plan.id)
            result.append(plan_json(plan, tz))
    return json_response(result)


@endpoint(
    "GET",
    "/api/checkins/{id}",
    summary="One plan with its latest rounds (scores and what the person wrote)",
    tag="checkins",
)
async def get(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        plan, tz = await load_plan(session, path_id(request))
        result = plan_json(plan, tz, await recent_rounds(session, plan.id))
        audit(session, los.clock, staff_of(request), "checkin.read", "checkin_plan", plan.id)
    return json_response(result)


@endpoint(
    "PATCH",
    "/api/checkins/{id}",
    summary="Change a plan; status paused/active pauses and resumes it, ended ends it",
    tag="checkins",
    body=PlanPatch,
)
async def patch(request: web.Request) -> web.Response:
    body = await read_body(request, PlanPatch)
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        plan, tz = await load_plan(session, path_id(request))
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
            value = getattr(body, name)
            if value is not None:
                setattr(plan, name, value)
        if "weekday" in changed and body.weekday is not None:
            plan.weekday = body.weekday
        if "question" in changed:
            plan.question = body.question.strip() if body.question else None
        if body.status == "ended":
            await rules.end_plan(session, los.clock, plan, "staff")
        elif body.status is not None:
            plan.status = body.status
            plan.ended_reason = None
            plan.ended_at = None
            if body.status == "paused":
                plan.next_due_at = None
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
        result = plan_json(plan, tz)
    return json_response(result)


@endpoint(
    "DELETE",
    "/api/checkins/{id}",
    summary="End a plan (its rounds stay for the figures)",
    tag="checkins",
)
async def end(request: web.Request) -> web.Response:
    los = los_of(request)
    async with los.sessions.begin() as session:
        plan, tz = await load_plan(session, path_id(request))
        if plan.status != "ended":
            await rules.end_plan(session, los.clock, plan, "staff")
        audit(session, los.clock, staff_of(request), "checkin.end", "checkin_plan", plan.id)
        result = plan_json(plan, tz)
    return json_response(result)
