"""Follow-up of a person over months: signs of life, consent, matching profile, everyday
reminders, a shared phone, and the desk list for people without one."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.middleware import audit
from bot.api.people import load_person
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Day, Id, Paging, Text, Time
from handlers.access import site_for, visible_site_ids
from handlers.errors import InputError, NotFound
from handlers.followup import consent as consent_rules
from handlers.followup import lists as followup_lists
from handlers.followup import phones, reminders, signs
from handlers.phones import normalise_phone
from storage.models import (
    Consent,
    ContactPoint,
    MatchingProfile,
    Person,
    ReminderOccurrence,
    ReminderSeries,
    ReminderTemplate,
    SignOfLife,
)
from storage.models.states import ConsentHow, ConsentScope, PlanStatus, ReminderKind

HHMM = r"^\d{2}:\d{2}$"


# --- signs of life ---------------------------------------------------------------------------
class SignOut(ApiModel):
    person_id: int
    last_seen_at: Time | None
    last_signal: str | None
    threshold_days: int
    step: int


class SignPatch(ApiModel):
    threshold_days: int = Field(ge=1, le=365)


class NotSeenOut(ApiModel):
    person_id: int
    name: str | None
    site_id: int
    last_seen_at: Time
    last_signal: str | None
    days: int
    threshold_days: int
    step: int
    # Partners and relatives to contact about the person: only those consented to, by name.
    may_contact: list[str]


def sign_json(row: SignOfLife) -> dict[str, Any]:
    return {
        "person_id": row.person_id,
        "last_seen_at": row.last_seen_at,
        "last_signal": row.last_signal,
        "threshold_days": row.threshold_days,
        "step": row.step,
    }


@endpoint(
    "POST",
    "/api/people/{id}/seen",
    summary="Staff saw the person today: a sign of life that starts the count over",
    tag="follow-up",
    response=SignOut,
)
async def seen(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        row = await signs.seen_today(session, los.clock, person)
        audit(session, los.clock, staff_of(request), "person.seen", "person", person.id)
        return sign_json(row)


@endpoint(
    "GET",
    "/api/people/{id}/signs-of-life",
    summary="When the person was last seen, by which signal, and the threshold",
    tag="follow-up",
    response=SignOut,
)
async def get_sign(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        return sign_json(await signs.row_for(session, person.id))


@endpoint(
    "PATCH",
    "/api/people/{id}/signs-of-life",
    summary="Set after how many days without a sign Los reacts (14 by default)",
    tag="follow-up",
    body=SignPatch,
    response=SignOut,
)
async def patch_sign(request: web.Request, *, body: SignPatch, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        row = await signs.row_for(session, person.id)
        row.threshold_days = body.threshold_days
        audit(session, los.clock, staff_of(request), "person.threshold", "person", person.id)
        return sign_json(row)


class NotSeenQuery(ApiModel):
    """``everyone``: every followed person, not only those past their threshold."""

    everyone: bool = False


@endpoint(
    "GET",
    "/api/not-seen",
    summary="People with a plan or assignment not seen past their threshold, longest first "
    "(?everyone=true: every followed person)",
    tag="follow-up",
    query=NotSeenQuery,
    response=list[NotSeenOut],
)
async def not_seen(request: web.Request, *, query: NotSeenQuery) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        found = await signs.not_seen(
            session, visible_site_ids(staff_of(request)), los.clock.now(), everyone=query.everyone
        )
        return [
            {
                "person_id": n.person.id,
                "name": n.person.name,
                "site_id": n.person.site_id,
                "last_seen_at": n.last_seen_at,
                "last_signal": n.last_signal,
                "days": n.days,
                "threshold_days": n.threshold_days,
                "step": n.step,
                "may_contact": await consent_rules.partners_allowed(session, n.person.id),
            }
            for n in found
        ]


# --- consent ---------------------------------------------------------------------------------
class ConsentIn(ApiModel):
    scope: ConsentScope
    party: Text | None = Field(None, max_length=120)
    how: ConsentHow
    given_on: Day | None = None


class ConsentOut(ApiModel):
    id: int
    person_id: int
    scope: ConsentScope
    party: str | None
    how: ConsentHow
    given_at: Time
    recorded_by: int | None
    withdrawn_at: Time | None
    withdrawn_by: int | None


def consent_json(c: Consent) -> dict[str, Any]:
    return {
        "id": c.id,
        "person_id": c.person_id,
        "scope": c.scope,
        "party": c.party,
        "how": c.how,
        "given_at": c.given_at,
        "recorded_by": c.recorded_by,
        "withdrawn_at": c.withdrawn_at,
        "withdrawn_by": c.withdrawn_by,
    }


@endpoint(
    "GET",
    "/api/people/{id}/consents",
    summary="What the person agreed to, when, by whom recorded and how; withdrawn ones too",
    tag="follow-up",
    response=list[ConsentOut],
)
async def list_consents(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        return [consent_json(c) for c in await consent_rules.of_person(session, person.id)]


@endpoint(
    "POST",
    "/api/people/{id}/consents",
    summary="Record a consent (texts, a named partner or relative, photos), oral or written",
    tag="follow-up",
    body=ConsentIn,
    response=ConsentOut,
    status=201,
)
async def add_consent(request: web.Request, *, body: ConsentIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff, path_id(request))
        consent_rules.check(body.scope, body.party)
        given_at = los.clock.now()
        if body.given_on is not None:
            given_at = await followup_lists.local_noon(session, person, body.given_on)
        row = Consent(
            person_id=person.id,
            scope=body.scope,
            party=(body.party or "").strip() or None,
            how=body.how,
            given_at=given_at,
            recorded_by=staff.id,
        )
        session.add(row)
        await session.flush()
        audit(session, los.clock, staff, "consent.add", "consent", row.id, scope=body.scope)
        return consent_json(row)


@endpoint(
    "POST",
    "/api/people/{id}/consents/{consent_id}/withdraw",
    summary="Withdraw a consent (the record stays, with when and by whom)",
    tag="follow-up",
    response=ConsentOut,
)
async def withdraw_consent(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff, path_id(request))
        row = await session.get(Consent, path_id(request, "consent_id"))
        if row is None or row.person_id != person.id:
            raise NotFound("consent")
        consent_rules.withdraw(row, los.clock.now(), staff.id)
        audit(session, los.clock, staff, "consent.withdraw", "consent", row.id)
        return consent_json(row)


# --- matching profile ------------------------------------------------------------------------
class ProfileIn(ApiModel):
    """What matching uses. Plain facts only: never a diagnosis."""

    area: Text | None = Field(None, max_length=80)
    age_band: Literal["18-29", "30-39", "40-49", "50-59", "60+"] | None = None
    gender: Literal["woman", "man", "other"] | None = None
    gender_wish: Literal["woman", "man", "other"] | None = None
    interests: list[Text] = Field(default_factory=list, max_length=20)
    languages: list[Text] = Field(default_factory=list, max_length=10)
    max_assignments: int = Field(1, ge=0, le=10)


class ProfileOut(ProfileIn):
    person_id: int


def profile_json(person_id: int, p: MatchingProfile | None) -> dict[str, Any]:
    p = p or MatchingProfile(max_assignments=1)
    return {
        "person_id": person_id,
        "area": p.area,
        "age_band": p.age_band,
        "gender": p.gender,
        "gender_wish": p.gender_wish,
        "interests": sorted(_split(p.interests)),
        "languages": sorted(_split(p.languages)),
        "max_assignments": p.max_assignments if p.max_assignments is not None else 1,
    }


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _join(values: list[str], limit: int, field: str) -> str | None:
    cleaned = [v.replace(",", " ").strip() for v in values if v.strip()]
    joined = ",".join(cleaned)
    if len(joined) > limit:
        raise InputError({field: "too long"})
    return joined or None


@endpoint(
    "GET",
    "/api/people/{id}/matching",
    summary="What staff recorded for matching volunteers and participants",
    tag="assignments",
    response=ProfileOut,
)
async def get_profile(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        return profile_json(person.id, await session.get(MatchingProfile, person.id))


@endpoint(
    "PUT",
    "/api/people/{id}/matching",
    summary="Record area, age band, gender and gender wish, interests, languages, capacity",
    tag="assignments",
    body=ProfileIn,
    response=ProfileOut,
)
async def put_profile(request: web.Request, *, body: ProfileIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff_of(request), path_id(request))
        profile = await session.get(MatchingProfile, person.id)
        if profile is None:
            profile = MatchingProfile(person_id=person.id)
            session.add(profile)
        profile.area = (body.area or "").strip() or None
        profile.age_band = body.age_band
        profile.gender = body.gender
        profile.gender_wish = body.gender_wish
        profile.interests = _join(body.interests, 400, "interests")
        profile.languages = _join(body.languages, 200, "languages")
        profile.max_assignments = body.max_assignments
        await session.flush()
        audit(session, los.clock, staff_of(request), "person.matching", "person", person.id)
        return profile_json(person.id, profile)


# --- shared phone ----------------------------------------------------------------------------
class SharedPhoneIn(ApiModel):
    phone: Text = Field(max_length=40)
    code_word: Text | None = Field(None, max_length=40)


class SharerOut(ApiModel):
    person_id: int
    name: str | None
    code_word: str | None


@endpoint(
    "POST",
    "/api/people/{id}/shared-phone",
    summary="Put the person on a phone someone else has (a hostel phone; up to 4 people)",
    tag="follow-up",
    body=SharedPhoneIn,
    response=list[SharerOut],
)
async def share_phone(request: web.Request, *, body: SharedPhoneIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        person = await load_person(session, staff, path_id(request))
        try:
            phone = normalise_phone(body.phone)
        except ValueError as exc:
            raise InputError({"phone": str(exc)}) from exc
        contact = await session.scalar(
            select(ContactPoint).where(ContactPoint.channel == "sms", ContactPoint.address == phone)
        )
        owner = (
            await session.get(Person, contact.person_id) if contact and contact.person_id else None
        )
        if contact is None or owner is None or owner.site_id != person.site_id:
            raise InputError({"phone": "register the number on one person first"})
        await phones.share(session, person, contact, (body.code_word or "").strip() or None)
        audit(session, los.clock, staff, "person.shared_phone", "person", person.id)
        return [
            {"person_id": p.id, "name": p.name, "code_word": s.code_word}
            for s, p in await phones.sharers(session, contact.id)
        ]


# --- everyday reminders ----------------------------------------------------------------------
class ReminderIn(ApiModel):
    person_id: Id
    kind: ReminderKind
    text: Text | None = Field(None, max_length=300)
    every_days: int | None = Field(None, ge=1, le=366)
    starts_on: Day | None = None
    day_of_month: int | None = Field(None, ge=1, le=31)
    weekday: int | None = Field(None, ge=0, le=6)
    at: str = Field("09:00", pattern=HHMM)
    missed_to_inbox: bool = False


class RemindersQuery(Paging):
    person_id: Id | None = None


class ReminderOut(ApiModel):
    id: int
    person_id: int
    site_id: int
    kind: ReminderKind
    text: str | None
    every_days: int | None
    starts_on: Day
    day_of_month: int | None
    weekday: int | None
    at: str
    missed_to_inbox: bool
    status: PlanStatus
    next_due_at: Time | None
    done: int
    missed: int


def reminder_json(s: ReminderSeries, done: int = 0, missed: int = 0) -> dict[str, Any]:
    return {
        "id": s.id,
        "person_id": s.person_id,
        "site_id": s.site_id,
        "kind": s.kind,
        "text": s.text,
        "every_days": s.every_days,
        "starts_on": s.starts_on,
        "day_of_month": s.day_of_month,
        "weekday": s.weekday,
        "at": s.at,
        "missed_to_inbox": s.missed_to_inbox,
        "status": s.status,
        "next_due_at": s.next_due_at,
        "done": done,
        "missed": missed,
    }


DEFAULT_RULES: dict[str, dict[str, int]] = {"meldekort": {"every_days": 14}}


@endpoint(
    "POST",
    "/api/reminders",
    summary="An everyday reminder series (meldekort every 14 days, rent, pickup, mailbox, own "
    "words) at a local time",
    tag="follow-up",
    body=ReminderIn,
    response=ReminderOut,
    status=201,
)
async def create_reminder(request: web.Request, *, body: ReminderIn, query: object) -> Any:
    los = los_of(request)
    staff = staff_of(request)
    async with los.sessions.begin() as session:
        try:
            person = await load_person(session, staff, body.person_id)
        except NotFound:
            raise InputError({"person_id": "no such person"}) from None
        rule = {
            "every_days": body.every_days,
            "day_of_month": body.day_of_month,
            "weekday": body.weekday,
        }
        if all(v is None for v in rule.values()):
            rule.update(DEFAULT_RULES.get(body.kind, {}))
        series = ReminderSeries(
            kind=body.kind,
            text=(body.text or "").strip() or None,
            starts_on=body.starts_on
            or await followup_lists.local_today(session, person, los.clock.now()),
            at=body.at,
            missed_to_inbox=body.missed_to_inbox,
            **rule,
        )
        await reminders.create_series(session, los.clock, person, series)
        audit(session, los.clock, staff, "reminder.create", "reminder_series", series.id)
        return reminder_json(series)


async def counts(session: AsyncSession, series_id: int) -> tuple[int, int]:
    rows = list(
        await session.scalars(
            select(ReminderOccurrence).where(ReminderOccurrence.series_id == series_id)
        )
    )
    return (
        sum(1 for r in rows if r.done_at is not None),
        sum(1 for r in rows if r.missed_at is not None),
    )


class RemindersPage(ApiModel):
    items: list[ReminderOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/reminders",
    summary="Everyday reminder series of your sites (?person_id=), with done and missed counts, "
    "a page at a time",
    tag="follow-up",
    query=RemindersQuery,
    response=RemindersPage,
)
async def list_reminders(request: web.Request, *, query: RemindersQuery) -> Any:
    async with los_of(request).sessions() as session:
        found = await followup_lists.reminder_series(
            session, staff_of(request), query.person_id, query.page()
        )
        items = [reminder_json(s, *(await counts(session, s.id))) for s in found.items]
        return {"items": items, "next": found.next, "total": found.total}


@endpoint(
    "DELETE",
    "/api/reminders/{id}",
    summary="End a reminder series (what it counted stays)",
    tag="follow-up",
    response=ReminderOut,
)
async def end_reminder(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        series = await session.get(ReminderSeries, path_id(request))
        if series is None:
            raise NotFound("reminder")
        await load_person(session, staff_of(request), series.person_id)
        series.status = "ended"
        series.next_due_at = None
        audit(session, los.clock, staff_of(request), "reminder.end", "reminder_series", series.id)
        return reminder_json(series, *(await counts(session, series.id)))


class TemplateIn(ApiModel):
    site_id: Id | None = None
    kind: Literal["meldekort", "rent", "pickup", "mailbox"]
    text_nb: Text = Field(min_length=1, max_length=300)
    text_en: Text | None = Field(None, max_length=300)


class TemplateOut(ApiModel):
    site_id: int
    kind: ReminderKind
    text_nb: str
    text_en: str
    own: bool


class TemplatesQuery(ApiModel):
    site_id: Id | None = None


class TemplatesOut(ApiModel):
    site_id: int
    templates: list[TemplateOut]


@endpoint(
    "GET",
    "/api/reminder-templates",
    summary="The wording of each reminder kind at a site (its own, else Los's)",
    tag="follow-up",
    query=TemplatesQuery,
    response=TemplatesOut,
)
async def list_templates(request: web.Request, *, query: TemplatesQuery) -> Any:
    async with los_of(request).sessions() as session:
        site = await site_for(session, staff_of(request), query.site_id)
        result = []
        for kind in ReminderKind:
            if kind == ReminderKind.OWN:
                continue
            own = await session.scalar(
                select(ReminderTemplate).where(
                    ReminderTemplate.site_id == site.id, ReminderTemplate.kind == kind
                )
            )
            result.append(
                {
                    "site_id": site.id,
                    "kind": kind,
                    "text_nb": await reminders.template_text(session, site.id, kind, "nb"),
                    "text_en": await reminders.template_text(session, site.id, kind, "en"),
                    "own": own is not None,
                }
            )
        return {"site_id": site.id, "templates": result}


@endpoint(
    "PUT",
    "/api/reminder-templates",
    summary="A site's own wording of a reminder kind",
    tag="follow-up",
    body=TemplateIn,
    response=TemplateOut,
)
async def put_template(request: web.Request, *, body: TemplateIn, query: object) -> Any:
    los = los_of(request)
    kind = body.kind
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
        own = await session.scalar(
            select(ReminderTemplate).where(
                ReminderTemplate.site_id == site.id, ReminderTemplate.kind == kind
            )
        )
        if own is None:
            own = ReminderTemplate(site_id=site.id, kind=kind)
            session.add(own)
        own.text_nb = body.text_nb.strip()
        own.text_en = (body.text_en or "").strip() or None
        await session.flush()
        audit(session, los.clock, staff_of(request), "reminder.template", "site", site.id)
        return {
            "site_id": site.id,
            "kind": kind,
            "text_nb": own.text_nb,
            "text_en": await reminders.template_text(session, site.id, kind, "en"),
            "own": True,
        }


# --- the desk list ---------------------------------------------------------------------------
class DeskQuery(ApiModel):
    site_id: Id | None = None
    days: int = Field(7, ge=1, le=60)


class DeskRowOut(ApiModel):
    person_id: int
    name: str | None
    queued_at: Time
    text: str | None


class DeskOut(ApiModel):
    """One sheet per site's desk."""

    site_id: int
    days: int
    messages: list[DeskRowOut]


@endpoint(
    "GET",
    "/api/desk-list",
    summary="What Los would have texted people with no phone or chat (print it for the desk)",
    tag="follow-up",
    query=DeskQuery,
    response=DeskOut,
)
async def desk_list(request: web.Request, *, query: DeskQuery) -> Any:
    los = los_of(request)
    async with los.sessions() as session:
        site = await site_for(session, staff_of(request), query.site_id)
        found = await followup_lists.desk_list(session, site.id, los.clock.now(), query.days)
        messages = [
            {"person_id": p.id, "name": p.name, "queued_at": m.created_at, "text": m.text}
            for m, p in found
        ]
        return {"site_id": site.id, "days": query.days, "messages": messages}
