"""Activities: create (once or weekly), change, cancel, invite, sign-ups and attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import (
    ApiModel,
    Count,
    Day,
    Id,
    Paging,
    Period,
    Text,
    Time,
    When,
    keep,
    local_to_utc,
)
from handlers import activities as rules
from handlers import activity_types, lists, pages, signups
from handlers.access import can_see, home_timezone, site_filter, site_for, visible
from handlers.errors import Conflict, InputError
from storage.models import Activity, ActivitySeries, Person, Signup, Site, StaffUser
from storage.models.states import ActivityStatus, SeriesStatus, SignupStatus

Audience = Literal["participants", "volunteers", "all"]
Minutes = list[Annotated[int, Field(ge=0, le=60 * 24 * 365)]]


class RepeatIn(ApiModel):
    every: Literal["week"] = "week"
    until: Day | None = None


class ActivityIn(ApiModel):
    title: Text = Field(min_length=1, max_length=120)
    description: Text | None = Field(None, max_length=1000)
    starts_at: When
    ends_at: When | None = None
    location: Text | None = Field(None, max_length=200)
    capacity: int | None = Field(None, ge=1, le=100_000)
    signup_deadline: When | None = None
    audience: Audience = "all"
    signup_required: bool = True
    code: Text | None = Field(None, max_length=8)
    reminders_minutes_before: Minutes | None = Field(None, max_length=10)
    repeat: RepeatIn | None = None
    site_id: Id | None = None
    # The key of one of the site's activity types (GET /api/activity-types).
    activity_type: Text | None = Field(None, min_length=1, max_length=40)


class ActivityPatch(ApiModel):
    """Fields left out stay; title, starts_at, audience, code and status cannot be null."""

    title: Text = keep(min_length=1, max_length=120)
    description: Text | None = Field(None, max_length=1000)
    starts_at: When = keep()
    ends_at: When | None = None
    location: Text | None = Field(None, max_length=200)
    capacity: int | None = Field(None, ge=1, le=100_000)
    signup_deadline: When | None = None
    audience: Audience = keep()
    code: Text = keep(min_length=1, max_length=8)
    reminders_minutes_before: Minutes | None = Field(None, max_length=10)
    status: ActivityStatus = keep()
    head_count: int | None = Field(None, ge=0, le=100_000)
    activity_type: Text | None = Field(None, min_length=1, max_length=40)


class ActivitiesQuery(Period, Paging):
    status: ActivityStatus | None = None
    series_id: Id | None = None


class AnnounceIn(ApiModel):
    send_at: When | None = None


class SignupIn(ApiModel):
    person_id: Id


class SignupPatch(ApiModel):
    status: Literal["signed_up", "cancelled", "attended", "no_show"]


class AttendanceIn(ApiModel):
    attended: list[Id] = Field(default_factory=list, max_length=10_000)
    no_show: list[Id] = Field(default_factory=list, max_length=10_000)
    head_count: int | None = Field(None, ge=0, le=100_000)


class ActivityOut(ApiModel):
    id: int
    site_id: int
    series_id: int | None
    title: str
    description: str | None
    starts_at: Time
    ends_at: Time | None
    location: str | None
    capacity: int | None
    signup_deadline: Time | None
    audience: Audience
    signup_required: bool
    code: str
    status: ActivityStatus
    head_count: int | None
    reminders_minutes_before: list[int]
    activity_type: str | None = None
    counts: dict[SignupStatus, Count] | None = None
    notified: bool | None = None


class SeriesOut(ApiModel):
    id: int
    title: str
    weekday: int
    start_time: str
    until: Day | None
    status: SeriesStatus
    occurrences: list[ActivityOut]
    cancelled: int | None = None


class CreatedActivityOut(ActivityOut):
    series: SeriesOut | None = None


class SignupOut(ApiModel):
    person_id: int
    name: str | None
    status: SignupStatus
    place_in_line: int | None
    source: str
    created_at: Time
    signed_up_at: Time | None


class AnnouncedOut(ApiModel):
    broadcast_id: int
    recipients: Count


def activity_json(activity: Activity, counts: dict[str, int] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": activity.id,
        "site_id": activity.site_id,
        "series_id": activity.series_id,
        "title": activity.title,
        "description": activity.description,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat() if activity.ends_at else None,
        "location": activity.location,
        "capacity": activity.capacity,
        "signup_deadline": (
            activity.signup_deadline.isoformat() if activity.signup_deadline else None
        ),
        "audience": activity.audience,
        "signup_required": activity.signup_required,
        "code": activity.code,
        "status": activity.status,
        "head_count": activity.head_count,
        "reminders_minutes_before": activity.reminders_minutes_before,
        "activity_type": activity.activity_type,
    }
    if counts is not None:
        result["counts"] = counts
    return result


def series_json(series: ActivitySeries, occurrences: list[Activity]) -> dict[str, Any]:
    return {
        "id": series.id,
        "title": series.title,
        "weekday": series.weekday,
        "start_time": series.start_time,
        "until": series.until.isoformat() if series.until else None,
        "status": series.status,
        "occurrences": [activity_json(a) for a in occurrences],
    }


def signup_json(signup: Signup, person: Person | None, place: int | None) -> dict[str, Any]:
    return {
        "person_id": signup.person_id,
        "name": person.name if person else None,
        "status": signup.status,
        "place_in_line": place,
        "source": signup.source,
        "created_at": signup.created_at.isoformat(),
        "signed_up_at": signup.signed_up_at.isoformat() if signup.signed_up_at else None,
    }


async def load_activity(session: AsyncSession, staff: StaffUser, activity_id: int) -> Activity:
    return await visible(session, staff, Activity, activity_id, "activity")


async def load_series(session: AsyncSession, staff: StaffUser, series_id: int) -> ActivitySeries:
    return await visible(session, staff, ActivitySeries, series_id, "series")


async def signer(session: AsyncSession, staff: StaffUser, person_id: int) -> Person:
    """A person of the user's sites named in a body; 422 naming ``person_id`` otherwise."""
    person = await session.get(Person, person_id)
    if person is None or person.erased_at is not None or not can_see(staff, person.site_id):
        raise InputError({"person_id": "no such person"})
    return person


async def occurrences(session: AsyncSession, series_id: int) -> list[Activity]:
    return list(
        await session.scalars(
            select(Activity).where(Activity.series_id == series_id).order_by(Activity.starts_at)
        )
    )


@endpoint(
    "POST",
    "/api/activities",
    summary="Create an activity, or a weekly series with repeat: {every: week, until?}",
    tag="activities",
    body=ActivityIn,
    response=CreatedActivityOut,
    status=201,
)
async def create(request: web.Request, *, body: ActivityIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)

        def utc(value: datetime | None) -> datetime | None:
            return local_to_utc(value, site.timezone) if value else None

        starts_at = utc(body.starts_at)
        assert starts_at is not None
        fields = rules.ActivityFields(
            title=body.title,
            starts_at=starts_at,
            description=body.description,
            ends_at=utc(body.ends_at),
            location=body.location,
            capacity=body.capacity,
            signup_deadline=utc(body.signup_deadline),
            audience=body.audience,
            signup_required=body.signup_required,
            code=body.code,
            reminders_minutes_before=body.reminders_minutes_before,
            activity_type=await activity_types.check_type(session, site.id, body.activity_type),
        )
        if body.repeat is not None:
            series = await rules.create_series(
                session, los.clock, site.id, fields, until=body.repeat.until
            )
            made = await occurrences(session, series.id)
            if not made:
                raise InputError({"repeat.until": "no occurrence falls in the period"})
            result = activity_json(made[0]) | {"series": series_json(series, made)}
            audit(session, los.clock, staff_of(request), "series.create", "series", series.id)
        else:
            activity = await rules.create_activity(session, los.clock, site.id, fields)
            result = activity_json(activity)
            audit(session, los.clock, staff_of(request), "activity.create", "activity", activity.id)
    return result


class ActivitiesPage(ApiModel):
    items: list[ActivityOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/activities",
    summary="Activities of your sites (?from=&to=, ?status=, ?series_id=)",
    tag="activities",
    query=ActivitiesQuery,
    response=ActivitiesPage,
)
async def list_activities(request: web.Request, *, query: ActivitiesQuery) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        tz = await home_timezone(session, staff_of(request), los.rules.timezone)
        start, end = query.bounds(tz)
        found = await lists.activities(
            session,
            staff_of(request),
            start=start,
            end=end,
            status=query.status,
            series_id=query.series_id,
            page=query.page(),
        )
        return {
            "items": [activity_json(a) for a in found.items],
            "next": found.next,
            "total": found.total,
        }


@endpoint(
    "GET",
    "/api/activities/{id}",
    summary="One activity with counts",
    tag="activities",
    response=ActivityOut,
)
async def get(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        return activity_json(activity, await rules.counts(session, activity.id))


@endpoint(
    "PATCH",
    "/api/activities/{id}",
    summary="Change one activity (one occurrence of a series); those signed up are told",
    tag="activities",
    body=ActivityPatch,
    response=ActivityOut,
)
async def patch(request: web.Request, *, body: ActivityPatch, query: object) -> Any:
    los = los_of(request)
    changed = body.model_fields_set
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        site = await site_for(session, staff_of(request), activity.site_id)
        changes: dict[str, Any] = {}
        for name in (
            "title",
            "description",
            "location",
            "capacity",
            "audience",
            "code",
            "reminders_minutes_before",
            "head_count",
        ):
            if name in changed:
                changes[name] = getattr(body, name)
        if "activity_type" in changed:
            activity.activity_type = await activity_types.check_type(
                session, activity.site_id, body.activity_type
            )
        for name in ("starts_at", "ends_at", "signup_deadline"):
            if name in changed:
                value = getattr(body, name)
                changes[name] = local_to_utc(value, site.timezone) if value else None
        if "reminders_minutes_before" in changes and changes["reminders_minutes_before"] is None:
            changes["reminders_minutes_before"] = []
        told = await rules.update_activity(session, los.clock, activity, changes, body.status)
        audit(
            session,
            los.clock,
            staff_of(request),
            "activity.update",
            "activity",
            activity.id,
            fields=sorted(changed),
        )
        await session.flush()
        result = activity_json(activity, await rules.counts(session, activity.id))
        result["notified"] = told
    los.dispatcher.wake()
    return result


@endpoint(
    "DELETE",
    "/api/activities/{id}",
    summary="Cancel one activity; those signed up or waiting are told",
    tag="activities",
    response=ActivityOut,
)
async def cancel(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        told = await rules.cancel_activity(session, los.clock, activity)
        audit(session, los.clock, staff_of(request), "activity.cancel", "activity", activity.id)
        result = activity_json(activity) | {"notified": told}
    los.dispatcher.wake()
    return result


@endpoint(
    "POST",
    "/api/activities/{id}/announce",
    summary="Invite the audience (JA/NEI/KANSKJE each); optional send_at",
    tag="activities",
    body=AnnounceIn,
    response=AnnouncedOut,
    status=202,
)
async def announce(request: web.Request, *, body: AnnounceIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        site = await site_for(session, staff_of(request), activity.site_id)
        send_at = local_to_utc(body.send_at, site.timezone) if body.send_at else None
        broadcast = await rules.announce(
            session, los.clock, activity, send_at=send_at, staff_user_id=staff_of(request).id
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "activity.announce",
            "activity",
            activity.id,
            broadcast_id=broadcast.id,
        )
        result = {"broadcast_id": broadcast.id, "recipients": broadcast.recipients}
    los.dispatcher.wake()
    return result


class SignupsPage(ApiModel):
    items: list[SignupOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/activities/{id}/signups",
    summary="Who is coming, waiting or came (by status, then place in line), a page at a time",
    tag="activities",
    query=Paging,
    response=SignupsPage,
)
async def list_signups(request: web.Request, *, query: Paging) -> Any:
    async with los_of(request).sessions() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        in_line = func.coalesce(Signup.position, 0)
        found = await pages.read(
            session,
            select(Signup).where(Signup.activity_id == activity.id),
            [Signup.status, in_line, Signup.id],
            query.page(),
            lambda s: [s.status, s.position or 0, s.id],
        )
        result = []
        for signup in found.items:
            person = await session.get(Person, signup.person_id)
            place = (
                await signups.place_in_line(session, signup)
                if signup.status == "waitlisted"
                else None
            )
            result.append(signup_json(signup, person, place))
        return {"items": result, "next": found.next, "total": found.total}


@endpoint(
    "POST",
    "/api/activities/{id}/signups",
    summary="Sign a person up (a place, or the waiting line when full)",
    tag="activities",
    body=SignupIn,
    response=SignupOut,
    status=201,
)
async def add_signup(request: web.Request, *, body: SignupIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        person = await signer(session, staff_of(request), body.person_id)
        outcome = await signups.sign_up(
            session, los.clock, activity.id, person, source="staff", check_deadline=False
        )
        if outcome.result in ("not_open", "no_signup"):
            raise Conflict("not open for sign-up", {"activity": outcome.result})
        audit(
            session,
            los.clock,
            staff_of(request),
            "signup.create",
            "activity",
            activity.id,
            person_id=person.id,
        )
        signup = await signups.find_signup(session, activity.id, person.id)
        assert signup is not None
        result = signup_json(signup, person, outcome.place)
    los.dispatcher.wake()
    return result


@endpoint(
    "PATCH",
    "/api/activities/{id}/signups/{person_id}",
    summary="Record attended / no_show, or correct a sign-up",
    tag="activities",
    body=SignupPatch,
    response=SignupOut,
)
async def patch_signup(request: web.Request, *, body: SignupPatch, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        person_id = path_id(request, "person_id")
        signup = await signups.set_attendance(session, los.clock, activity, person_id, body.status)
        audit(
            session,
            los.clock,
            staff_of(request),
            "signup.update",
            "activity",
            activity.id,
            person_id=person_id,
            status=body.status,
        )
        person = await session.get(Person, person_id)
        result = signup_json(signup, person, None)
    los.dispatcher.wake()
    return result


@endpoint(
    "POST",
    "/api/activities/{id}/attendance",
    summary="Record attendance in bulk: {attended: [ids], no_show: [ids], head_count?}",
    tag="activities",
    body=AttendanceIn,
    response=ActivityOut,
)
async def attendance(request: web.Request, *, body: AttendanceIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        activity = await load_activity(session, staff_of(request), path_id(request))
        await signups.record_attendance(
            session,
            los.clock,
            activity,
            attended=body.attended,
            no_show=body.no_show,
            head_count=body.head_count,
        )
        audit(
            session,
            los.clock,
            staff_of(request),
            "activity.attendance",
            "activity",
            activity.id,
            attended=len(body.attended),
            no_show=len(body.no_show),
        )
        await session.flush()
        result = activity_json(activity, await rules.counts(session, activity.id))
    return result


@endpoint(
    "GET",
    "/api/activity-series/{id}",
    summary="A weekly series",
    tag="activities",
    response=SeriesOut,
)
async def get_series(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        series = await load_series(session, staff_of(request), path_id(request))
        return series_json(series, await occurrences(session, series.id))


@endpoint(
    "DELETE",
    "/api/activity-series/{id}",
    summary="End a series: upcoming occurrences are cancelled (people told)",
    tag="activities",
    response=SeriesOut,
)
async def end_series(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        series = await load_series(session, staff_of(request), path_id(request))
        cancelled = await rules.end_series(session, los.clock, series)
        audit(session, los.clock, staff_of(request), "series.end", "series", series.id)
        result = series_json(series, await occurrences(session, series.id))
        result["cancelled"] = cancelled
    los.dispatcher.wake()
    return result


class ActivityTypeIn(ApiModel):
    name: Text = Field(min_length=1, max_length=80)
    site_id: Id | None = None


class ActivityTypeOut(ApiModel):
    site_id: int
    key: str
    name: str


class ActivityTypesQuery(ApiModel):
    site_id: Id | None = None


@endpoint(
    "GET",
    "/api/activity-types",
    summary="Activity types of your sites, which the yearly report counts by (?site_id=)",
    tag="activities",
    query=ActivityTypesQuery,
    response=list[ActivityTypeOut],
)
async def list_types(request: web.Request, *, query: ActivityTypesQuery) -> Any:
    staff = staff_of(request)
    async with los_of(request).sessions.begin() as session:
        if query.site_id is not None:
            sites = [await site_for(session, staff, query.site_id)]
        else:
            sites = list(await session.scalars(select(Site).where(site_filter(staff, Site.id))))
        return [
            {"site_id": site.id, "key": t.key, "name": t.name}
            for site in sorted(sites, key=lambda s: s.id)
            for t in await activity_types.types_of(session, site.id)
        ]


@endpoint(
    "POST",
    "/api/activity-types",
    summary="Add an activity type to a site",
    tag="activities",
    body=ActivityTypeIn,
    response=ActivityTypeOut,
    status=201,
)
async def add_type(request: web.Request, *, body: ActivityTypeIn, query: object) -> Any:
    async with los_of(request).sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
        row = await activity_types.add_type(session, site.id, body.name)
        return {"site_id": site.id, "key": row.key, "name": row.name}
