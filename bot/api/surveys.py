"""Surveys: write (or start from a template), send to an audience, read the results."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy import select

from bot.api.broadcasts import AudienceIn
from bot.api.middleware import audit
from bot.api.registry import endpoint, los_of, path_id, staff_of
from bot.api.schema import ApiModel, Id, Paging, Text, Time
from handlers import pages
from handlers import surveys as rules
from handlers.access import site_filter, site_for, visible
from handlers.broadcasts import audience_people
from handlers.errors import InputError
from storage.models import Survey
from storage.models.states import SurveyStatus

Kind = Literal["scale", "yesno", "text"]


class QuestionIn(ApiModel):
    kind: Kind
    text: Text = Field(min_length=1, max_length=200)
    text_en: Text | None = Field(None, max_length=200)


class SurveyIn(ApiModel):
    """Questions written here, or a built-in ``template`` ("yearly", "session")."""

    site_id: Id | None = None
    title: Text | None = Field(None, min_length=1, max_length=120)
    anonymous: bool = True
    template: Literal["yearly", "session"] | None = None
    trigger: Literal["appointment_attended"] | None = None
    questions: list[QuestionIn] | None = Field(None, min_length=1, max_length=rules.MAX_QUESTIONS)


class QuestionOut(ApiModel):
    position: int
    kind: Kind
    text: str
    text_en: str | None


class SurveyOut(ApiModel):
    id: int
    site_id: int
    title: str
    anonymous: bool
    template: str | None
    trigger: str | None
    status: SurveyStatus
    created_at: Time
    sent_at: Time | None
    closed_at: Time | None
    questions: list[QuestionOut]
    recipients: dict[str, int]


class SendIn(ApiModel):
    """Who is asked. A survey with a trigger may be opened without one (it then asks after
    each attended appointment)."""

    audience: AudienceIn | None = None


class SendOut(ApiModel):
    asked: int
    skipped: int


class QuestionResult(ApiModel):
    position: int
    kind: Kind
    text: str
    n: int | None = None
    mean: float | None = None
    distribution: dict[str, int] | None = None
    answers: list[str] | None = None


class ResultsOut(ApiModel):
    id: int
    title: str
    anonymous: bool
    withheld: bool
    recipients: dict[str, int]
    questions: list[QuestionResult]


class TemplateOut(ApiModel):
    key: str
    title: str
    trigger: str | None
    questions: list[QuestionOut]


class TemplatesOut(ApiModel):
    templates: list[TemplateOut]


async def survey_json(session: Any, survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "site_id": survey.site_id,
        "title": survey.title,
        "anonymous": survey.anonymous,
        "template": survey.template,
        "trigger": survey.trigger,
        "status": survey.status,
        "created_at": survey.created_at,
        "sent_at": survey.sent_at,
        "closed_at": survey.closed_at,
        "questions": [
            {"position": q.position, "kind": q.kind, "text": q.text, "text_en": q.text_en}
            for q in await rules.questions_of(session, survey.id)
        ],
        "recipients": await rules.recipient_counts(session, survey.id),
    }


@endpoint(
    "GET",
    "/api/survey-templates",
    summary="The built-in surveys: the yearly user survey and a session feedback",
    tag="surveys",
    response=TemplatesOut,
)
async def templates(request: web.Request, *, query: object) -> Any:
    return {
        "templates": [
            {
                "key": template.key,
                "title": template.title["nb"],
                "trigger": template.trigger,
                "questions": [
                    {"position": n, "kind": kind, "text": nb, "text_en": en}
                    for n, (kind, nb, en) in enumerate(template.questions)
                ],
            }
            for template in rules.TEMPLATES.values()
        ]
    }


@endpoint(
    "POST",
    "/api/surveys",
    summary="Write a survey (at most 6 questions: scale 1-5, yesno or text), or take a template",
    tag="surveys",
    body=SurveyIn,
    response=SurveyOut,
    status=201,
)
async def create(request: web.Request, *, body: SurveyIn, query: object) -> Any:
    los = los_of(request)
    if body.template is None and not body.questions:
        raise InputError({"questions": "write at least one question, or name a template"})
    async with los.sessions.begin() as session:
        site = await site_for(session, staff_of(request), body.site_id)
        trigger: str | None = body.trigger
        items: list[tuple[str, str, str | None]]
        if body.questions:
            items = [(q.kind, q.text, q.text_en) for q in body.questions]
            title = body.title or ""
        else:
            assert body.template is not None
            title, items = rules.from_template(body.template)
            title = body.title or title
            trigger = trigger or rules.TEMPLATES[body.template].trigger
        if not title.strip():
            raise InputError({"title": "give the survey a title"})
        survey = await rules.create_survey(
            session,
            los.clock,
            site_id=site.id,
            title=title,
            anonymous=body.anonymous,
            items=items,
            template=body.template,
            trigger=trigger,
        )
        audit(session, los.clock, staff_of(request), "survey.create", "survey", survey.id)
        return await survey_json(session, survey)


class SurveysPage(ApiModel):
    items: list[SurveyOut]
    next: str | None
    total: int | None = None


@endpoint(
    "GET",
    "/api/surveys",
    summary="Surveys of your sites, newest first, a page at a time",
    tag="surveys",
    query=Paging,
    response=SurveysPage,
)
async def list_surveys(request: web.Request, *, query: Paging) -> Any:
    async with los_of(request).sessions() as session:
        found = await pages.read(
            session,
            select(Survey).where(site_filter(staff_of(request), Survey.site_id)),
            [Survey.id],
            query.page(),
            lambda s: [s.id],
            descending=True,
        )
        items = [await survey_json(session, s) for s in found.items]
        return {"items": items, "next": found.next, "total": found.total}


@endpoint("GET", "/api/surveys/{id}", summary="One survey", tag="surveys", response=SurveyOut)
async def get(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        survey = await visible(session, staff_of(request), Survey, path_id(request), "survey")
        return await survey_json(session, survey)


@endpoint(
    "POST",
    "/api/surveys/{id}/send",
    summary="Ask the audience the first question (each person once); opens a triggered survey",
    tag="surveys",
    body=SendIn,
    response=SendOut,
)
async def send(request: web.Request, *, body: SendIn, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        survey = await visible(session, staff_of(request), Survey, path_id(request), "survey")
        if survey.status == SurveyStatus.CLOSED:
            raise InputError({"status": "the survey is closed"})
        if body.audience is None:
            if survey.trigger is None:
                raise InputError({"audience": 'name who it is for: {"all": true}, roles …'})
            await rules.open_survey(session, los.clock, survey)
            result = {"asked": 0, "skipped": 0}
        else:
            people = await audience_people(session, survey.site_id, body.audience.rule())
            result = await rules.send_survey(session, los.clock, survey, people)
        audit(session, los.clock, staff_of(request), "survey.send", "survey", survey.id)
    return result


@endpoint(
    "POST",
    "/api/surveys/{id}/close",
    summary="Close a survey: nobody is asked more, those half-way are counted as expired",
    tag="surveys",
    response=SurveyOut,
)
async def close(request: web.Request, *, query: object) -> Any:
    los = los_of(request)
    async with los.sessions.begin() as session:
        survey = await visible(session, staff_of(request), Survey, path_id(request), "survey")
        await rules.close_survey(session, los.clock, survey)
        audit(session, los.clock, staff_of(request), "survey.close", "survey", survey.id)
        return await survey_json(session, survey)


@endpoint(
    "GET",
    "/api/surveys/{id}/results",
    summary="Per question n, mean, distribution and free-text answers (anonymous: from 5 answers)",
    tag="surveys",
    response=ResultsOut,
)
async def results(request: web.Request, *, query: object) -> Any:
    async with los_of(request).sessions() as session:
        survey = await visible(session, staff_of(request), Survey, path_id(request), "survey")
        found = await rules.results(session, survey)
        return {
            "id": survey.id,
            "title": survey.title,
            "anonymous": survey.anonymous,
            **found,
        }
