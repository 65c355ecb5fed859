"""Undersøkelser: write a survey (or take a template), send it, read the results."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.web.auth import staff_page
from bot.web.core import Form, PageError, los_of, redirect, render, user_of
from bot.web.sites import visible_sites
from handlers import surveys as rules
from handlers.access import site_filter, visible
from handlers.audit import audit
from handlers.broadcasts import audience_people
from handlers.errors import InputError, NotFound
from storage.models import Survey
from storage.models.states import SurveyStatus

AUDIENCES: dict[str, dict[str, Any]] = {
    "participants": {"roles": ["participant"]},
    "volunteers": {"roles": ["volunteer"]},
    "all": {},
}


async def list_view(request: web.Request, form: Form, status: int = 200) -> web.Response:
    los = los_of(request)
    user = user_of(request)
    async with los.sessions() as session:
        rows = list(
            await session.scalars(
                select(Survey).where(site_filter(user, Survey.site_id)).order_by(Survey.id.desc())
            )
        )
        found = [(s, await rules.recipient_counts(session, s.id)) for s in rows]
        sites = await visible_sites(session, user)
    return render(
        request,
        "surveys.html",
        {"surveys": found, "form": form, "sites": sites, "max": rules.MAX_QUESTIONS},
        status=status,
    )


@staff_page
async def surveys_page(request: web.Request) -> web.Response:
    return await list_view(request, Form({"anonymous": "1"}))


@staff_page
async def create(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    template = form.get("template")
    items: list[tuple[str, str, str | None]] = []
    for n in range(1, rules.MAX_QUESTIONS + 1):
        text = form.get(f"q{n}").strip()
        if text:
            kind = form.get(f"kind{n}")
            items.append((kind if kind in rules.KINDS else "scale", text[:200], None))
    title = form.get("title").strip()[:120]
    trigger = None
    if template in rules.TEMPLATES and not items:
        default_title, items = rules.from_template(template, user.language)
        title = title or default_title
        trigger = rules.TEMPLATES[template].trigger
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "survey.error.title"
    if not items:
        errors["questions"] = "survey.error.questions"
    if errors:
        form.errors = errors
        return await list_view(request, form, status=422)
    async with los.sessions.begin() as session:
        sites = await visible_sites(session, user)
        site = next((s for s in sites if str(s.id) == form.get("site_id")), None)
        site = site or (sites[0] if sites else None)
        if site is None:
            raise PageError(403)
        survey = await rules.create_survey(
            session,
            los.clock,
            site_id=site.id,
            title=title,
            anonymous=form.get("anonymous") == "1",
            items=items,
            template=template if template in rules.TEMPLATES else None,
            trigger=trigger,
        )
        audit(session, los.clock, user, "survey.create", "survey", survey.id)
        new_id = survey.id
    return redirect(request, f"/surveys/{new_id}?ok=created")


async def load(session: Any, request: web.Request) -> Survey:
    raw = request.match_info["id"]
    if not raw.isdigit() or int(raw) >= 2**31:
        raise NotFound("survey")
    return await visible(session, user_of(request), Survey, int(raw), "survey")


@staff_page
async def survey_page(request: web.Request) -> web.Response:
    async with los_of(request).sessions() as session:
        survey = await load(session, request)
        questions = await rules.questions_of(session, survey.id)
        results = await rules.results(session, survey)
    return render(
        request,
        "survey.html",
        {
            "survey": survey,
            "questions": questions,
            "results": results,
            "sent": request.query.get("asked"),
            "skipped": request.query.get("skipped", "0"),
        },
    )


@staff_page
async def send(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    user = user_of(request)
    form = Form.of(await request.post())
    async with los.sessions.begin() as session:
        survey = await load(session, request)
        if survey.status == SurveyStatus.CLOSED:
            raise PageError(404)
        audience = AUDIENCES.get(form.get("audience"))
        if survey.trigger is not None and audience is None:
            await rules.open_survey(session, los.clock, survey)
            result = {"asked": 0, "skipped": 0}
        elif audience is None:
            raise InputError({"audience": "unknown"})
        else:
            people = await audience_people(session, survey.site_id, audience)
            result = await rules.send_survey(session, los.clock, survey, people)
        audit(session, los.clock, user, "survey.send", "survey", survey.id)
        survey_id = survey.id
    return redirect(
        request, f"/surveys/{survey_id}?asked={result['asked']}&skipped={result['skipped']}"
    )


@staff_page
async def close(request: web.Request) -> web.StreamResponse:
    los = los_of(request)
    async with los.sessions.begin() as session:
        survey = await load(session, request)
        await rules.close_survey(session, los.clock, survey)
        audit(session, los.clock, user_of(request), "survey.close", "survey", survey.id)
        survey_id = survey.id
    return redirect(request, f"/surveys/{survey_id}?ok=closed")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/surveys", surveys_page),
        web.post("/surveys", create),
        web.get("/surveys/{id}", survey_page),
        web.post("/surveys/{id}/send", send),
        web.post("/surveys/{id}/close", close),
    ]
