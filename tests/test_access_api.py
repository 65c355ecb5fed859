"""The API refuses what it does not understand, and sites are boundaries on every endpoint."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from bot.api.openapi import document
from bot.api.registry import ENDPOINTS
from bot.config import Settings
from bot.service import build_channels, console_allowed
from bot.staff_users import add_staff
from storage.models import Site
from tests.harness import Harness

ANNE = "+4791000001"
BERIT = "+4791000002"
UNKNOWN = "surely_unknown_field"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_endpoint_is_documented_and_refuses_unknown_fields(h: Harness) -> None:
    doc = document(include_dev=True)
    served = await h.api("GET", "/api/openapi.json", expect=200)
    assert served["paths"].keys() <= doc["paths"].keys()
    for ep in ENDPOINTS:
        op = doc["paths"][ep.path][ep.method.lower()]
        success = op["responses"][str(ep.status)]
        media = "*/*" if ep.response is bytes else "application/json"  # files: CSV, XLSX, media
        assert success["content"][media]["schema"], ep.path
        for status in ("401", "404", "422"):
            assert status in op["responses"], (ep.method, ep.path, status)
        documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        declared = {f.alias or name for name, f in ep.query.model_fields.items()}
        assert documented == declared, ep.path
        # An unknown query parameter is refused everywhere.
        await h.api(ep.method, f"{concrete(ep.path)}?{UNKNOWN}=1", expect=422)
        if ep.body is not None:
            assert "requestBody" in op and {"400", "413"} <= op["responses"].keys()
            body = await h.api(ep.method, concrete(ep.path), {UNKNOWN: 1}, expect=422)
            assert body["error"]["fields"][UNKNOWN] == "unknown field", ep.path


def test_no_two_endpoints_share_a_schema_name_by_accident() -> None:
    schemas = document(include_dev=True)["components"]["schemas"]
    # The two PlanIn classes (check-ins and the rota) each keep their own schema.
    assert {"checkins.PlanIn", "rota.PlanIn"} <= schemas.keys()
    assert schemas["checkins.PlanIn"] != schemas["rota.PlanIn"]
    # Every body and response model has its own component, named module.Class (a streamed
    # file, bytes, and the free-form /api/ops dict are no models and have no component).
    for ep in ENDPOINTS:
        for model in (ep.body, getattr(ep.response, "__args__", [ep.response])[0]):
            if isinstance(model, type) and issubclass(model, BaseModel):
                assert f"{model.__module__.rsplit('.', 1)[-1]}.{model.__name__}" in schemas


async def test_a_typo_in_an_audience_or_a_patch_is_refused(h: Harness) -> None:
    person = await h.person(phone=ANNE)
    body = await h.api(
        "POST", "/api/broadcasts", {"text": "Hei", "audience": {"role": ["volunteer"]}}, expect=422
    )
    assert body["error"]["fields"]["audience.role"] == "unknown field"
    body = await h.api("POST", "/api/broadcasts", {"text": "Hei", "audience": {}}, expect=422)
    assert "audience" in body["error"]["fields"]
    await h.api("PATCH", f"/api/people/{person['id']}", {"langauge": "en"}, expect=422)
    assert h.sms_to(ANNE) == []
    for path, field in (("/api/sites/1", "timezone"), ("/api/sites/1", "opening_hours")):
        body = await h.api("PATCH", path, {field: None}, expect=422)
        assert field in body["error"]["fields"]
    activity = await h.api(
        "POST", "/api/activities", {"title": "Quiz", "starts_at": "2026-03-05T18:00"}, expect=201
    )
    await h.api("PATCH", f"/api/activities/{activity['id']}", {"code": None}, expect=422)
    for query in ("to=9999-12-31", "from=0001-01-01", "status=nonsense", "from=2026-13-01"):
        for path in ("/api/shifts", "/api/stats", "/api/appointments", "/api/activities"):
            if query.startswith("status") and path in ("/api/shifts", "/api/stats"):
                continue
            await h.api("GET", f"{path}?{query}", expect=422)
    deep = b"[" * 100_000 + b"]" * 100_000  # deeper than any JSON parser recurses
    resp = await h.client.post(
        "/api/people", data=deep, headers={"Authorization": f"Bearer {h.token}"}
    )
    assert resp.status == 400
    huge = 2**31
    for ep in ENDPOINTS:
        if ep.path_params and ep.tag != "dev":
            await h.api(ep.method, re.sub(r"\{[^}]+\}", str(huge), ep.path), {}, expect=404)


async def two_sites(h: Harness) -> dict[str, Any]:
    """Site 1 (the first) and site 2, an admin (the harness) and a coordinator of each, and a
    person, appointment, activity, template, shift, check-in plan and inbox item in each."""
    async with h.session() as session:
        site2 = Site(name="Bergen", created_at=h.clock.now())
        session.add(site2)
        await session.flush()
        _, c1 = await add_staff(session, h.clock, name="En", email="en@los.test", site_ids=[1])
        _, c2 = await add_staff(
            session, h.clock, name="To", email="to@los.test", site_ids=[site2.id]
        )
    made: dict[str, Any] = {"tokens": {1: c1, site2.id: c2}, "site2": site2.id, "people": {}}
    for site_id, phone in ((1, ANNE), (site2.id, BERIT)):
        person = await h.person(f"Person {site_id}", phone=phone, site_id=site_id)
        made["people"][site_id] = person["id"]
        await h.api(
            "POST",
            "/api/appointments",
            {"person_id": person["id"], "starts_at": "2026-03-10T10:00:00"},
            expect=201,
        )
        await h.api(
            "POST",
            "/api/activities",
            {"title": f"Quiz {site_id}", "starts_at": "2026-03-05T18:00", "site_id": site_id},
            expect=201,
        )
        await h.api(
            "POST",
            "/api/shift-templates",
            {"title": "Kafé", "weekdays": [0], "start": "08:00", "end": "12:00"}
            | {"site_id": site_id},
            expect=201,
        )
        await h.api(
            "POST",
            "/api/shifts",
            {
                "title": "Kafé",
                "starts_at": "2026-03-06T08:00",
                "ends_at": "2026-03-06T12:00",
                "site_id": site_id,
            },
            expect=201,
        )
        await h.api("POST", "/api/checkins", {"person_id": person["id"], "at": "18:00"}, expect=201)
        await h.sms(phone, "Kan noen ringe meg?")  # an inbox item of the person's site
        await h.api("POST", "/api/surveys", {"template": "yearly", "site_id": site_id}, expect=201)
        volunteer = await h.person(
            f"Frivillig {site_id}", roles=["volunteer"], phone=None, site_id=site_id
        )
        await h.api(
            "POST",
            "/api/assignments",
            {"volunteer_id": volunteer["id"], "participant_id": person["id"]},
            expect=201,
        )
        await h.api(
            "POST", "/api/reminders", {"person_id": person["id"], "kind": "rent"}, expect=422
        )
        await h.api(
            "POST",
            "/api/reminders",
            {"person_id": person["id"], "kind": "rent", "day_of_month": 20},
            expect=201,
        )
    await h.advance(minutes=1)  # signs of life: everyone followed gets a "last seen"
    return made


def site_of(row: dict[str, Any], people: dict[int, int]) -> int:
    if "site_id" in row:
        return int(row["site_id"])
    if "id" in row and "timezone" in row:  # a site
        return int(row["id"])
    return next(site for site, person in people.items() if person == row["person_id"])


LISTS = {
    "/api/people": "",
    "/api/appointments": "",
    "/api/activities": "",
    "/api/shift-templates": "",
    "/api/shifts": "",
    "/api/checkins": "",
    "/api/inbox": "?status=all",
    "/api/sites": "",
    "/api/staff": "",  # admins only
    "/api/ops/held": "",  # admins only
    "/api/assignments": "",
    "/api/volunteer-assignments": "",  # the deprecated alias
    "/api/reminders": "",
    "/api/not-seen": "?everyone=true",
    "/api/surveys": "",
    "/api/activity-types": "",
}


async def test_two_sites_three_staff_on_every_list_endpoint(h: Harness) -> None:
    made = await two_sites(h)
    site2 = made["site2"]
    listed = {ep.path for ep in ENDPOINTS if ep.method == "GET" and not ep.path_params}
    lists = {p for p in listed if is_list(ep_of(p).response)}
    assert lists == set(LISTS), "a new list endpoint needs a place in this test"
    for path, query in LISTS.items():
        everything = await h.items(path + query)
        if path in ("/api/staff", "/api/ops/held"):
            assert len(everything) == (3 if path == "/api/staff" else 0)
            for token in made["tokens"].values():
                await h.api("GET", path, token=token, expect=403)
            continue
        assert {site_of(r, made["people"]) for r in everything} == {1, site2}, path
        for site, token in made["tokens"].items():
            mine = await h.items(path + query, token=token)
            assert mine and {site_of(r, made["people"]) for r in mine} == {site}, (path, site)


def is_list(response: Any) -> bool:
    """A plain list, or a page of one (``items`` and ``next``)."""
    fields = getattr(response, "model_fields", {})
    return getattr(response, "__origin__", None) is list or {"items", "next"} <= set(fields)


def ep_of(path: str) -> Any:
    return next(ep for ep in ENDPOINTS if ep.path == path and ep.method == "GET")


async def test_another_sites_ids_are_404_and_only_admins_change_sites(h: Harness) -> None:
    made = await two_sites(h)
    site2, c1 = made["site2"], made["tokens"][1]
    other = made["people"][site2]
    for method, path in (
        ("GET", f"/api/people/{other}"),
        ("PATCH", f"/api/people/{other}"),
        ("GET", f"/api/people/{other}/messages"),
        ("POST", f"/api/people/{other}/invite"),
        ("GET", f"/api/sites/{site2}"),
    ):
        await h.api(method, path, {} if method == "PATCH" else None, token=c1, expect=404)
    appointments = await h.items(f"/api/appointments?person_id={other}")
    await h.api("GET", f"/api/appointments/{appointments[0]['id']}", token=c1, expect=404)
    await h.api("DELETE", f"/api/appointments/{appointments[0]['id']}", token=c1, expect=404)
    inbox = await h.inbox_items("all", token=made["tokens"][site2])
    await h.api("POST", f"/api/inbox/{inbox[0]['id']}/resolve", token=c1, expect=404)
    await h.api("PATCH", "/api/sites/1", {"name": "Mitt"}, token=c1, expect=403)
    await h.api("POST", "/api/sites", {"name": "Nytt"}, token=c1, expect=403)
    body = await h.api(
        "POST", "/api/people", {"name": "X", "roles": ["participant"], "site_id": site2}, token=c1
    )
    assert h.last_status == 422 and body["error"]["fields"] == {"site_id": "no such site"}
    # Another site's number is a 409, not a 500.
    await h.api("PATCH", f"/api/sites/{site2}", {"sms_number": "+4792000099"}, expect=200)
    await h.api("PATCH", "/api/sites/1", {"sms_number": "+4792000099"}, expect=409)


async def test_disabled_staff_and_revoked_tokens_get_401(h: Harness) -> None:
    made = await h.api(
        "POST",
        "/api/staff",
        {"name": "Kari", "email": "kari@los.test", "site_ids": [1]},
        expect=201,
    )
    first = made["token"]
    await h.api("GET", "/api/people", token=first, expect=200)
    second = await h.api(
        "POST", f"/api/staff/{made['id']}/tokens", {"name": "regneark"}, expect=201
    )
    tokens = await h.items(f"/api/staff/{made['id']}/tokens")
    assert [t["name"] for t in tokens] == ["default", "regneark"]
    assert tokens[0]["last_used_at"] == "2026-03-02T09:00:00+00:00"  # the clock: 10:00 in Oslo
    await h.api("DELETE", f"/api/staff/{made['id']}/tokens/{second['id']}", expect=200)
    await h.api("GET", "/api/people", token=second["token"], expect=401)
    await h.api("GET", "/api/people", token=first, expect=200)
    await h.api("POST", f"/api/staff/{made['id']}/disable", expect=200)
    body = await h.api("GET", "/api/people", token=first, expect=401)
    assert body["error"]["code"] == "unauthorized"
    await h.api("GET", "/api/staff", token=first, expect=401)


def test_console_is_off_behind_a_proxy_even_with_a_loopback_host() -> None:
    telegram_only = Settings(
        host="127.0.0.1",
        public_url="https://los.example.org",
        telegram_bot_token="123:abc",
        telegram_webhook_secret="a-long-enough-secret",
        los_console=True,
    )
    assert not console_allowed(telegram_only)
    assert [c.channel for c in build_channels(telegram_only)] == ["telegram"]
    assert not console_allowed(Settings(host="127.0.0.1"))  # not asked for
    assert console_allowed(Settings(host="127.0.0.1", los_console=True))
    assert not console_allowed(Settings(host="0.0.0.0", los_console=True))
    assert console_allowed(Settings(host="::1", public_url="http://[::1]:8080", los_console=True))


async def test_dates_in_a_query_are_days_where_the_coordinator_works(h: Harness) -> None:
    async with h.session() as session:
        away = Site(name="New York", timezone="America/New_York", created_at=h.clock.now())
        session.add(away)
        await session.flush()
        _, token = await add_staff(
            session, h.clock, name="Nora", email="nora@los.test", site_ids=[away.id]
        )
    person = await h.person("Ny Person", phone=BERIT, site_id=away.id)
    await h.api(  # 20:00 on 9 March in New York is already 10 March in Oslo
        "POST",
        "/api/appointments",
        {"person_id": person["id"], "starts_at": "2026-03-09T20:00:00"},
        expect=201,
    )
    ninth = await h.items("/api/appointments?from=2026-03-09&to=2026-03-10", token=token)
    tenth = await h.items("/api/appointments?from=2026-03-10&to=2026-03-11", token=token)
    assert len(ninth) == 1 and tenth == []
    assert ninth[0]["starts_at"] == "2026-03-10T00:00:00+00:00"
