"""Every list of the API comes in pages: two pages of two follow each other without overlap, and
all pages together hold what one large page holds (nothing missed, nothing twice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import update

from bot.api.registry import ENDPOINTS
from storage.models import Message
from tests.harness import Harness
from tests.test_access_api import is_list

PHONES = ["+4791000001", "+4791000002", "+4791000003"]


async def people(h: Harness) -> list[dict[str, Any]]:
    return [await h.person(f"Person {n}", phone=phone) for n, phone in enumerate(PHONES)]


def day(n: int) -> str:
    return f"2026-03-1{n}"


async def three_people(h: Harness) -> str:
    await people(h)
    return "/api/people"


async def messages(h: Harness) -> str:
    person = (await people(h))[0]
    for n in range(3):
        await h.sms(PHONES[0], f"Hei {n}")
    return f"/api/people/{person['id']}/messages"


async def appointments(h: Harness) -> str:
    for n, person in enumerate(await people(h)):
        body = {"person_id": person["id"], "starts_at": f"{day(n)}T10:00:00"}
        await h.api("POST", "/api/appointments", body, expect=201)
    return "/api/appointments"


async def activities(h: Harness) -> str:
    for n in range(3):
        body = {"title": f"Quiz {n}", "starts_at": f"{day(n)}T18:00"}
        await h.api("POST", "/api/activities", body, expect=201)
    return "/api/activities"


async def signups(h: Harness) -> str:
    body = {"title": "Tur", "starts_at": "2026-03-05T18:00", "capacity": 2}
    activity = await h.api("POST", "/api/activities", body, expect=201)
    for person in await people(h):  # two places and one waiting
        await h.api(
            "POST", f"/api/activities/{activity['id']}/signups", {"person_id": person["id"]}
        )
    return f"/api/activities/{activity['id']}/signups"


async def shifts(h: Harness) -> str:
    for n in range(3):
        body = {"title": "Kafé", "starts_at": f"{day(n)}T08:00", "ends_at": f"{day(n)}T12:00"}
        await h.api("POST", "/api/shifts", body, expect=201)
    return "/api/shifts"


async def checkins(h: Harness) -> str:
    for person in await people(h):
        body = {"person_id": person["id"], "at": "18:00"}
        await h.api("POST", "/api/checkins", body, expect=201)
    return "/api/checkins"


async def inbox(h: Harness) -> str:
    for n, phone in enumerate(PHONES):  # three numbers: three threads
        await h.sms(phone, f"Kan noen ringe meg? {n}")
    return "/api/inbox?status=all"


async def staff(h: Harness) -> str:
    for name in ("Kari", "Per"):  # and the harness's admin
        body = {"name": name, "email": f"{name.lower()}@los.test", "site_ids": [1]}
        await h.api("POST", "/api/staff", body, expect=201)
    return "/api/staff"


async def tokens(h: Harness) -> str:
    body = {"name": "Kari", "email": "kari@los.test", "site_ids": [1]}
    made = await h.api("POST", "/api/staff", body, expect=201)
    for n in range(2):  # and the first one, made with the user
        await h.api("POST", f"/api/staff/{made['id']}/tokens", {"name": f"t{n}"}, expect=201)
    return f"/api/staff/{made['id']}/tokens"


async def surveys(h: Harness) -> str:
    for _ in range(3):
        await h.api("POST", "/api/surveys", {"template": "yearly"}, expect=201)
    return "/api/surveys"


async def assignments(h: Harness) -> str:
    for n, person in enumerate(await people(h)):
        volunteer = await h.person(f"Frivillig {n}", roles=["volunteer"], phone=None)
        body = {"volunteer_id": volunteer["id"], "participant_id": person["id"]}
        await h.api("POST", "/api/assignments", body, expect=201)
    return "/api/assignments"


async def assignments_by_the_old_path(h: Harness) -> str:
    await assignments(h)
    return "/api/volunteer-assignments"  # the deprecated alias pages the same way


async def reminders(h: Harness) -> str:
    for person in await people(h):
        body = {"person_id": person["id"], "kind": "rent", "day_of_month": 20}
        await h.api("POST", "/api/reminders", body, expect=201)
    return "/api/reminders"


async def held(h: Harness) -> str:
    for person in await people(h):
        body = {"person_id": person["id"], "starts_at": "2026-03-20T10:00:00"}
        await h.api("POST", "/api/appointments", body, expect=201)
    async with h.session() as session:  # as after a restore: queued texts held
        await session.execute(
            update(Message)
            .where(Message.direction == "out", Message.status == "queued")
            .values(status="held")
        )
    return "/api/ops/held"


SEEDS: dict[str, Callable[[Harness], Awaitable[str]]] = {
    "/api/people": three_people,
    "/api/people/{id}/messages": messages,
    "/api/appointments": appointments,
    "/api/activities": activities,
    "/api/activities/{id}/signups": signups,
    "/api/shifts": shifts,
    "/api/checkins": checkins,
    "/api/inbox": inbox,
    "/api/staff": staff,
    "/api/staff/{id}/tokens": tokens,
    "/api/surveys": surveys,
    "/api/assignments": assignments,
    "/api/volunteer-assignments": assignments_by_the_old_path,
    "/api/reminders": reminders,
    "/api/ops/held": held,
}


# Whole lists on purpose: bounded by configuration (a site's settings, one person's few
# consents), or by what is left to do today (not seen past a threshold).
WHOLE = {
    "/api/sites",
    "/api/shift-templates",
    "/api/activity-types",
    "/api/people/{id}/consents",
    "/api/not-seen",
}


def test_every_list_endpoint_is_paged_or_bounded_on_purpose() -> None:
    lists = {ep.path for ep in ENDPOINTS if ep.method == "GET" and is_list(ep.response)}
    assert lists == set(SEEDS) | WHOLE, "a new list endpoint: page it, or say why it is bounded"
    for ep in ENDPOINTS:
        if ep.method == "GET" and ep.path in SEEDS:
            assert {"items", "next"} <= set(ep.response.model_fields), ep.path


def key(row: dict[str, Any]) -> Any:
    return row.get("id", row.get("person_id"))  # a sign-up is one person's


def with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


@pytest.mark.parametrize("endpoint", sorted(SEEDS))
async def test_a_list_in_pages_of_two_misses_nothing_and_repeats_nothing(
    h: Harness, endpoint: str
) -> None:
    path = await SEEDS[endpoint](h)
    whole = await h.api("GET", with_query(path, "limit=500"), expect=200)
    assert whole["next"] is None
    everything = [key(row) for row in whole["items"]]
    assert len(everything) >= 3, endpoint
    first = await h.api("GET", with_query(path, "limit=2"), expect=200)
    assert len(first["items"]) == 2 and first["next"]
    second = await h.api("GET", with_query(path, f"limit=2&cursor={first['next']}"), expect=200)
    ids = [key(row) for row in first["items"] + second["items"]]
    assert len(set(ids)) == len(ids), endpoint  # no overlap
    assert ids == everything[: len(ids)], endpoint  # the same order, nothing skipped
    paged = [key(row) for row in await h.items(with_query(path, "limit=2"))]
    assert paged == everything, endpoint
    if endpoint != "/api/inbox":  # threads are not counted
        counted = await h.api("GET", with_query(path, "limit=1&total=true"), expect=200)
        assert counted["total"] == len(everything), endpoint
    bad = await h.api("GET", with_query(path, "cursor=bm90IGEgY3Vyc29y"), expect=422)
    assert "cursor" in bad["error"]["fields"], endpoint
