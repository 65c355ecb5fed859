"""Follow-up pages: Oppdrag (assignments with matching and hand-over), the person page's
sections (assignments, consent, signs of life, everyday reminders) and the desk list to print."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.web.auth import staff_page
from bot.web.core import Form, PageError, error_key, los_of, redirect, render, user_of
from bot.web.sites import visible_sites, zone_for
from handlers import people_pages
from handlers.audit import audit
from handlers.errors import InputError, NotFound
from handlers.followup import assignments as assignment_rules
from handlers.followup import consent as consent_rules
from handlers.followup import lists, pages, reminders, signs
from handlers.followup.lists import local_today
from storage.models import Consent, Person, ReminderSeries, StaffUser, VolunteerAssignment
from storage.models.states import ConsentHow, ConsentScope, ReminderKind

WEEKDAYS = range(7)


def id_of(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise PageError(404)
    return int(raw)


async def person_context(request: web.Request, person_id: int) -> dict[str, Any]:
    """What the person page shows of follow-up (views_people.profile_view adds it)."""
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        person = await people_pages.visible_person(session, user, person_id)
        found = await pages.person_follow_up(session, user, person, los.clock.now())
    return {
        "fu": found,
        "consent_scopes": [s.value for s in ConsentScope],
        "consent_hows": [h.value for h in ConsentHow],
        "reminder_kinds": [k.value for k in ReminderKind],
        "weekdays": WEEKDAYS,
    }


async def visible_person(request: web.Request, session: Any, user: StaffUser) -> Person:
    try:
        return await people_pages.visible_person(session, user, id_of(request))
    except NotFound:
        raise PageError(404) from None


@staff_page
async def seen(request: web.Request) -> web.StreamResponse:
    """The "seen today" button: the same rule as POST /api/people/{id}/seen."""
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        person = await visible_person(request, session, user)
        await signs.seen_today(session, los.clock, person)
        audit(session, los.clock, user, "person.seen", "person", person.id)
    back = request.query.get("back")
    return redirect(request, "/" if back == "today" else f"/people/{person.id}?ok=seen#h-signs")


async def person_form_error(request: web.Request, exc: InputError, form: Form) -> web.Response:
    from bot.web.views_people import profile_view

    form.errors = error_key(exc.fields, user_of(request).language)
    return await profile_view(request, {"form": form}, status=422)


@staff_page
async def add_consent(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            person = await visible_person(request, session, user)
            scope, how = form.get("scope"), form.get("how")
            if scope not in {s.value for s in ConsentScope}:
                raise InputError({"scope": "invalid"})
            if how not in {h.value for h in ConsentHow}:
                raise InputError({"how": "invalid"})
            party = form.get("party").strip()[:120] or None
            consent_rules.check(scope, party)
            row = Consent(
                person_id=person.id,
                scope=scope,
                party=party,
                how=how,
                given_at=los.clock.now(),
                recorded_by=user.id,
            )
            session.add(row)
            await session.flush()
            audit(session, los.clock, user, "consent.add", "consent", row.id, scope=scope)
    except InputError as exc:
        return await person_form_error(request, exc, form)
    return redirect(request, f"/people/{person.id}?ok=consent#h-consent")


@staff_page
async def withdraw_consent(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        person = await visible_person(request, session, user)
        row = await session.get(Consent, id_of(request, "consent_id"))
        if row is None or row.person_id != person.id:
            raise PageError(404)
        consent_rules.withdraw(row, los.clock.now(), user.id)
        audit(session, los.clock, user, "consent.withdraw", "consent", row.id)
    return redirect(request, f"/people/{person.id}?ok=withdrawn#h-consent")


def number(form: Form, name: str, low: int, high: int) -> int | None:
    raw = form.get(name).strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InputError({name: "invalid"})
    return int(raw)


@staff_page
async def add_reminder(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            person = await visible_person(request, session, user)
            kind = form.get("kind")
            if kind not in {k.value for k in ReminderKind}:
                raise InputError({"kind": "invalid"})
            raw_start = form.get("starts_on").strip()
            try:
                starts_on = date.fromisoformat(raw_start) if raw_start else None
            except ValueError:
                raise InputError({"starts_on": "invalid"}) from None
            rule = {
                "every_days": number(form, "every_days", 1, 366),
                "day_of_month": number(form, "day_of_month", 1, 31),
                "weekday": number(form, "weekday", 0, 6),
            }
            if kind == "meldekort" and all(v is None for v in rule.values()):
                rule["every_days"] = 14
            at = form.get("at").strip() or "09:00"
            if len(at) != 5:
                raise InputError({"at": "expected HH:MM"})
            series = ReminderSeries(
                kind=kind,
                text=form.get("text").strip()[:300] or None,
                starts_on=starts_on or await local_today(session, person, los.clock.now()),
                at=at,
                missed_to_inbox=form.get("missed_to_inbox") == "1",
                **rule,
            )
            await reminders.create_series(session, los.clock, person, series)
            audit(session, los.clock, user, "reminder.create", "reminder_series", series.id)
    except InputError as exc:
        return await person_form_error(request, exc, form)
    return redirect(request, f"/people/{person.id}?ok=reminder#h-reminders")


@staff_page
async def end_reminder(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions.begin() as session:
        person = await visible_person(request, session, user)
        series = await session.get(ReminderSeries, id_of(request, "series_id"))
        if series is None or series.person_id != person.id:
            raise PageError(404)
        series.status, series.next_due_at = "ended", None
        audit(session, los.clock, user, "reminder.end", "reminder_series", series.id)
    return redirect(request, f"/people/{person.id}?ok=reminder_ended#h-reminders")


# --- Oppdrag ---------------------------------------------------------------------------------
async def assignments_view(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    form = form or Form(dict(request.query))
    chosen = form.get("participant_id")
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        rows = await pages.assignment_rows(session, user, open_only=True)
        participants = await people_pages.person_choices(
            session, user, role="participant", limit=500
        )
        participant = None
        suggestions: list[assignment_rules.Suggestion] = []
        if chosen.isdigit():
            try:
                participant = await people_pages.visible_person(session, user, int(chosen))
            except NotFound:
                participant = None
            if participant is not None:
                suggestions = await assignment_rules.suggestions(session, participant, limit=5)
        staff_people = await people_pages.staff_people(session, user)
    return render(
        request,
        "assignments.html",
        {
            "rows": rows,
            "tz": tz,
            "form": form,
            "participants": participants,
            "participant": participant,
            "suggestions": suggestions,
            "staff_people": staff_people,
        },
        status=status,
    )


@staff_page
async def assignments_page(request: web.Request) -> web.Response:
    return await assignments_view(request)


@staff_page
async def create_assignment(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            ids = [form.get("volunteer_id"), form.get("participant_id")]
            if not all(i.isdigit() and 0 < int(i) < 2**31 for i in ids):
                raise InputError({"volunteer_id": "invalid"})
            try:
                volunteer = await people_pages.visible_person(session, user, int(ids[0]))
                participant = await people_pages.visible_person(session, user, int(ids[1]))
            except NotFound:
                raise InputError({"volunteer_id": "invalid"}) from None
            made = await assignment_rules.start(
                session,
                los.clock,
                volunteer,
                participant,
                goal=form.get("goal")[:1000],
                starts_on=None,
                review_on=None,
            )
            audit(session, los.clock, user, "assignment.create", "volunteer_assignment", made.id)
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await assignments_view(request, form, status=422)
    return redirect(request, "/assignments?ok=created")


@staff_page
async def hand_over(request: web.Request) -> web.StreamResponse:
    """Hand-over in one step: the key worker chosen (the participant's contact by default)."""
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    try:
        async with los.sessions.begin() as session:
            assignment = await session.get(VolunteerAssignment, id_of(request))
            if assignment is None or assignment.status not in ("active", "paused"):
                raise PageError(404)
            participant = await people_pages.visible_person(
                session, user, assignment.participant_id
            )
            raw = form.get("staff_person_id")
            allowed = {p.id: p for p in await people_pages.staff_people(session, user)}
            key_id = int(raw) if raw.isdigit() else participant.contact_staff_id
            if key_id not in allowed:
                raise InputError({"staff_person_id": "empty"})
            await assignment_rules.hand_over(session, los.clock, assignment, allowed[key_id])
            audit(
                session,
                los.clock,
                user,
                "assignment.hand_over",
                "volunteer_assignment",
                assignment.id,
            )
    except NotFound:
        raise PageError(404) from None
    except InputError as exc:
        form.errors = error_key(exc.fields, user.language)
        return await assignments_view(request, form, status=422)
    return redirect(request, "/assignments?ok=handed_over")


# --- the desk list ---------------------------------------------------------------------------
@staff_page
async def desk_page(request: web.Request) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        tz = await zone_for(session, user)
        sites = await visible_sites(session, user)
        found = []
        for site in sites:
            found.extend(await lists.desk_list(session, site.id, los.clock.now(), 7))
    return render(request, "desk.html", {"rows": found, "tz": tz, "now": los.clock.now()})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/assignments", assignments_page),
        web.post("/assignments", create_assignment),
        web.post("/assignments/{id}/hand-over", hand_over),
        web.post("/people/{id}/seen", seen),
        web.post("/people/{id}/consents", add_consent),
        web.post("/people/{id}/consents/{consent_id}/withdraw", withdraw_consent),
        web.post("/people/{id}/reminders", add_reminder),
        web.post("/people/{id}/reminders/{series_id}/end", end_reminder),
        web.get("/desk", desk_page),
    ]
