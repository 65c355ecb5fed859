"""Rapporter: the yearly report for a period and site, with charts drawn on the server, the
weekly contact report, and downloads (CSV, XLSX) and a print page, which apply "<5"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from bot import report_exports
from bot.web.auth import staff_page
from bot.web.core import PageError, language_of, los_of, render, user_of
from bot.web.texts import ui
from handlers import activity_types, yearly_report
from handlers.access import site_filter
from handlers.checkins import not_reached
from storage.models import Site, StaffUser


def parse_day(value: str, fallback: date) -> date | None:
    if not value:
        return fallback
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


async def period_of(request: web.Request) -> dict[str, Any]:
    """The chosen site (or all of an admin's), the period (``to`` inclusive on the page, as
    people read it) and the report, or the form's errors."""
    los = los_of(request)
    user: StaffUser = user_of(request)
    async with los.sessions() as session:
        sites = list(
            await session.scalars(select(Site).where(site_filter(user, Site.id)).order_by(Site.id))
        )
        chosen = request.query.get("site", "")
        site = next((s for s in sites if str(s.id) == chosen), None)
        if site is None and (user.role != "admin" or chosen):
            site = sites[0] if sites else None
        if site is None and user.role != "admin":
            raise PageError(403)
        tz = ZoneInfo(site.timezone if site else los.rules.timezone)
        today = los.clock.now().astimezone(tz).date()
        errors: dict[str, str] = {}
        # By default the last twelve months up to today: a yearly report at any time of year.
        first = parse_day(request.query.get("from", ""), today - timedelta(days=365))
        last = parse_day(request.query.get("to", ""), today)
        if first is None:
            errors["from"] = "report.bad_date"
        if last is None:
            errors["to"] = "report.bad_date"
        if first and last and last < first:
            errors["to"] = "report.to_before_from"
        report: dict[str, list[yearly_report.Figure]] = {}
        names: dict[str, str] = {}
        weekly: list[dict[str, Any]] = []
        if not errors and first and last:
            start = datetime.combine(first, time(), tzinfo=tz)
            end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
            options = yearly_report.Options(
                sms_price=los.settings.los_sms_price, timezone=str(tz), now=los.clock.now()
            )
            site_id = site.id if site else None
            report = await yearly_report.build(session, site_id, start, end, options)
            names = await activity_types.names_of(session, site_id)
            monday = today - timedelta(days=today.weekday())
            weekly = await not_reached(
                session,
                site_id,
                datetime.combine(monday, time(), tzinfo=tz),
                datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz),
            )
    return {
        "sites": sites,
        "site": site,
        "first": first,
        "last": last,
        "errors": errors,
        "report": report,
        "type_names": names,
        "not_reached": weekly,
        "funder": request.query.get("funder") == "1",
        "language": language_of(request),
    }


def query_of(context: dict[str, Any]) -> str:
    site = context["site"]
    parts = [f"from={context['first']}", f"to={context['last']}"]
    if site is not None:
        parts.append(f"site={site.id}")
    return "&".join(parts)


def charts(context: dict[str, Any]) -> dict[str, list[tuple[str, int | float]]]:
    """The bars of each chart: (label, value), from the exact figures (staff view)."""
    report = context["report"]
    if not report:
        return {}
    by_key = {s: {f.key: f.value for f in figures} for s, figures in report.items()}
    names = context["type_names"]
    activities: list[tuple[str, int | float]] = [
        (names.get(key.split(".")[1], key.split(".")[1]), int(value or 0))
        for key, value in by_key["activities"].items()
        if key.startswith("by_type.") and key.endswith(".participations") and value
    ]
    months = [
        (key.split(".", 1)[1], float(value))
        for key, value in by_key["checkins"].items()
        if key.startswith("average_score.") and isinstance(value, int | float)
    ]
    rates = [
        (ui(context["language"], f"report.chart.{label}"), round(float(value) * 100, 1))
        for key, label in (
            ("attendance_rate_confirmed", "confirmed"),
            ("attendance_rate_not_confirmed", "not_confirmed"),
        )
        if (value := by_key["appointments"].get(key)) is not None
    ]
    return {"activities": activities, "checkins": months, "attendance": rates}


def labeller(language: str, names: dict[str, str]) -> Any:
    """``label(section, key)``: the words for a figure of the report."""

    def t(key: str, **values: object) -> str:
        return ui(language, key, **values)

    def label(section: str, key: str) -> str:
        head, _, rest = key.partition(".")
        if head == "by_role":
            return t("report.by_role", role=t(f"role.{rest}"))
        if head in ("participants_by_gender", "volunteers_by_gender"):
            group = head.split("_")[0]
            return t(f"report.gender_of.{group}", gender=t(f"report.gender.{rest}"))
        if head == "by_municipality":
            name = t("report.not_recorded") if rest == yearly_report.NOT_RECORDED else rest
            return t("report.municipality", name=name)
        if head == "intakes" and rest:
            return t(f"report.intake.{rest}")
        if head == "by_type":
            kind, _, what = rest.partition(".")
            name = names.get(kind) or t("report.not_recorded")
            return t(f"report.type_{what}", name=name)
        if head == "average_score" and rest:
            return t("report.month_average", month=rest)
        if head == "survey":
            return t("report.survey_n", id=rest.split(".")[0])
        return t(f"report.f.{section}.{key}")

    return label


@staff_page
async def reports_page(request: web.Request) -> web.Response:
    context = await period_of(request)
    context["query"] = query_of(context) if not context["errors"] else ""
    context["charts"] = charts(context)
    context["shown"] = yearly_report.shown
    context["label"] = labeller(language_of(request), context["type_names"])
    return render(request, "reports.html", context, status=422 if context["errors"] else 200)


@staff_page
async def print_page(request: web.Request) -> web.Response:
    """The funder version on one page that a browser saves as PDF: "<5" applies."""
    context = await period_of(request)
    if context["errors"]:
        raise PageError(404)
    context["shown"] = yearly_report.shown
    context["charts"] = charts(context)
    context["label"] = labeller(language_of(request), context["type_names"])
    return render(request, "report_print.html", context)


async def download(request: web.Request, kind: str) -> web.Response:
    context = await period_of(request)
    if context["errors"]:
        raise PageError(404)
    site = context["site"].name if context["site"] else "all sites"
    first, end = context["first"], context["last"] + timedelta(days=1)
    if kind == "csv":
        body = report_exports.csv_text(context["report"], first, end, site).encode()
        content_type = "text/csv"
    else:
        body = report_exports.xlsx_bytes(context["report"], first, end, site)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="los-rapport-{first}.{kind}"'},
    )


@staff_page
async def csv_download(request: web.Request) -> web.Response:
    return await download(request, "csv")


@staff_page
async def xlsx_download(request: web.Request) -> web.Response:
    return await download(request, "xlsx")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/reports", reports_page),
        web.get("/reports/print", print_page),
        web.get("/reports/report.csv", csv_download),
        web.get("/reports/report.xlsx", xlsx_download),
    ]
