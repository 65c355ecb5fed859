"""Reports for the team: who was not reached this week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field

from bot import report_exports
from bot.api.registry import endpoint, los_of, staff_of
from bot.api.schema import ApiModel, Day, Id, Period, Time
from handlers import yearly_report
from handlers.access import home_timezone, one_site
from handlers.checkins import iso_week, not_reached
from handlers.errors import InputError
from storage.models import Site


class ContactQuery(ApiModel):
    week: str | None = Field(None, pattern=r"^\d{4}-[Ww]\d{1,2}$", examples=["2026-W10"])
    site_id: Id | None = None


class NotReachedOut(ApiModel):
    person_id: int
    name: str | None
    contact_staff_id: int | None
    checkins_asked: int
    last_heard_at: Time | None


class ContactOut(ApiModel):
    week: str
    from_: Day = Field(alias="from")
    to: Day
    not_reached: list[NotReachedOut]


def parse_week(value: str | None, today: date) -> date:
    """``2026-W10`` -> the Monday of that ISO week; the current week when not given."""
    if not value:
        return today - timedelta(days=today.weekday())
    try:
        year_s, week_s = value.upper().split("-W")
        monday = date.fromisocalendar(int(year_s), int(week_s), 1)
    except ValueError:
        raise InputError({"week": "use an ISO week, e.g. 2026-W10"}) from None
    if not 1900 <= monday.year <= 2200:
        raise InputError({"week": "must be between the years 1900 and 2200"})
    return monday


@endpoint(
    "GET",
    "/api/reports/contact",
    summary="Participants with a check-in plan not heard from in a week (?week=2026-W10)",
    tag="reports",
    query=ContactQuery,
    response=ContactOut,
)
async def contact(request: web.Request, *, query: ContactQuery) -> Any:
    los = los_of(request)
    tz = ZoneInfo(los.rules.timezone)
    monday = parse_week(query.week, los.clock.now().astimezone(tz).date())
    start = datetime.combine(monday, time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    async with los.sessions() as session:
        site_id = await one_site(session, staff_of(request), query.site_id)
        people = await not_reached(session, site_id, start, end)
    return {
        "week": iso_week(monday),
        "from": monday,
        "to": monday + timedelta(days=6),
        "not_reached": people,
    }


# --- the yearly report ------------------------------------------------------------------------


class YearQuery(Period):
    site_id: Id | None = None
    # The funder view: counts of 1-4 people shown as "<5", as in every export.
    funder: bool = False


class FigureOut(ApiModel):
    key: str
    value: int | float | str | None


class YearOut(ApiModel):
    from_: Day = Field(alias="from")
    to: Day
    site_id: int | None
    site: str
    masked: bool
    sections: dict[str, list[FigureOut]]


async def year_report(request: web.Request, query: YearQuery) -> tuple[dict[str, Any], Any]:
    """The period (local dates, ``to`` exclusive; this year so far by default), the site and
    the report's sections."""
    los = los_of(request)
    async with los.sessions() as session:
        site_id = await one_site(session, staff_of(request), query.site_id)
        tz = await home_timezone(session, staff_of(request), los.rules.timezone, site_id)
        today = los.clock.now().astimezone(ZoneInfo(tz)).date()
        first, end = query.days(today.replace(month=1, day=1), today + timedelta(days=1))
        if end <= first:
            raise InputError({"to": "must be after from"})
        site = await session.get(Site, site_id) if site_id is not None else None
        options = yearly_report.Options(
            sms_price=los.settings.los_sms_price, timezone=tz, now=los.clock.now()
        )
        report = await yearly_report.build(
            session,
            site_id,
            datetime.combine(first, time(), tzinfo=ZoneInfo(tz)),
            datetime.combine(end, time(), tzinfo=ZoneInfo(tz)),
            options,
        )
    head = {
        "from": first,
        "to": end,
        "site_id": site_id,
        "site": site.name if site else "all sites",
    }
    return head, report


@endpoint(
    "GET",
    "/api/reports/year",
    summary="The yearly report for a period and site (?from=&to=&site_id=; ?funder=true: <5)",
    tag="reports",
    query=YearQuery,
    response=YearOut,
)
async def year(request: web.Request, *, query: YearQuery) -> Any:
    head, report = await year_report(request, query)
    return {
        **head,
        "masked": query.funder,
        "sections": {
            name: [{"key": f.key, "value": yearly_report.shown(f, query.funder)} for f in figures]
            for name, figures in report.items()
        },
    }


def download(body: bytes, content_type: str, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@endpoint(
    "GET",
    "/api/reports/year.csv",
    summary="The yearly report as CSV (section, figure, value); numbers under 5 as <5",
    tag="reports",
    query=YearQuery,
    response=bytes,
)
async def year_csv(request: web.Request, *, query: YearQuery) -> web.StreamResponse:
    head, report = await year_report(request, query)
    text = report_exports.csv_text(report, head["from"], head["to"], head["site"])
    return download(text.encode(), "text/csv", f"los-report-{head['from']}.csv")


@endpoint(
    "GET",
    "/api/reports/year.xlsx",
    summary="The yearly report as an XLSX workbook, one sheet per section; numbers under 5 as <5",
    tag="reports",
    query=YearQuery,
    response=bytes,
)
async def year_xlsx(request: web.Request, *, query: YearQuery) -> web.StreamResponse:
    head, report = await year_report(request, query)
    body = report_exports.xlsx_bytes(report, head["from"], head["to"], head["site"])
    return download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"los-report-{head['from']}.xlsx",
    )
