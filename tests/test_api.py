"""The staff API: tokens, people, erasure, inbox, broadcasts, the error format, OpenAPI."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEntry, ContactPoint, Message
from tests.harness import Harness, oslo

PHONE = "+4791234567"


async def test_no_token_or_wrong_token_is_401(h: Harness) -> None:
    resp = await h.client.get("/api/people")
    assert resp.status == 401
    body = await resp.json()
    assert body["error"]["code"] == "unauthorized"
    await h.api("GET", "/api/people", token="los_wrong", expect=401)


async def test_create_person_normalises_the_phone(h: Harness) -> None:
    person = await h.person(phone="912 34 567", roles=["participant", "volunteer"])
    assert person["phone"] == PHONE
    assert person["roles"] == ["participant", "volunteer"]
    assert person["language"] == "nb"
    fetched = await h.api("GET", f"/api/people/{person['id']}", expect=200)
    assert fetched["name"] == "Ola Nordmann"


async def test_bad_fields_are_422_naming_the_field(h: Harness) -> None:
    bad_phone = await h.api(
        "POST", "/api/people", {"name": "Ola", "roles": ["participant"], "phone": "12"}, expect=422
    )
    assert list(bad_phone["error"]["fields"]) == ["phone"]
    bad_role = await h.api("POST", "/api/people", {"name": "Ola", "roles": ["boss"]}, expect=422)
    assert "roles.0" in bad_role["error"]["fields"]
    no_name = await h.api("POST", "/api/people", {"roles": ["participant"]}, expect=422)
    assert "name" in no_name["error"]["fields"]
    bad_language = await h.api(
        "POST", "/api/people", {"name": "Ola", "roles": ["staff"], "language": "sv"}, expect=422
    )
    assert "language" in bad_language["error"]["fields"]


async def test_malformed_json_is_400_and_the_service_keeps_serving(h: Harness) -> None:
    resp = await h.client.post(
        "/api/people", data=b"{not json", headers={"Authorization": f"Bearer {h.token}"}
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "bad_json"
    await h.person()


async def test_phone_in_use_is_409(h: Harness) -> None:
    await h.person(phone=PHONE)
    body = await h.api(
        "POST",
        "/api/people",
        {"name": "Kari", "roles": ["participant"], "phone": "+47 912 34 567"},
        expect=409,
    )
    assert body["error"]["fields"] == {"phone": "already registered to someone else"}


async def test_unknown_person_is_404(h: Harness) -> None:
    body = await h.api("GET", "/api/people/9999", expect=404)
    assert body["error"]["code"] == "not_found"


async def test_patch_changes_phone_and_pause(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    changed = await h.api(
        "PATCH",
        f"/api/people/{person['id']}",
        {"phone": "+4790000001", "status": "paused", "paused_until": "2026-03-10T12:00:00"},
        expect=200,
    )
    assert changed["phone"] == "+4790000001"
    assert changed["status"] == "paused"
    # a time without an offset is Oslo time; it is stored and shown in UTC
    assert changed["paused_until"] == "2026-03-10T11:00:00+00:00"
    await h.person(name="Kari", phone=PHONE)  # the old number is free again


async def test_erasure_removes_name_addresses_and_texts_and_frees_the_number(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await h.sms(PHONE, "Jeg har vondt i ryggen og trenger hjelp")
    await h.api("DELETE", f"/api/people/{person['id']}", expect=200)
    await h.api("GET", f"/api/people/{person['id']}", expect=404)
    async with h.session() as session:
        texts = list(
            await session.scalars(select(Message.text).where(Message.person_id == person["id"]))
        )
        addresses = list(
            await session.scalars(select(Message.address).where(Message.person_id == person["id"]))
        )
        contacts = await session.scalar(select(func.count()).select_from(ContactPoint))
    assert texts and all(t is None for t in texts)
    assert all(a is None for a in addresses)
    assert contacts == 0
    listed = await h.api("GET", "/api/inbox?status=all", expect=200)
    items = [i for thread in listed["items"] for i in thread["items"]]
    assert items and all(i["text"] is None and i["summary"] is None for i in items)
    again = await h.person(name="Kari", phone=PHONE)
    assert again["phone"] == PHONE


async def test_staff_actions_are_audited_without_texts(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await h.api("PATCH", f"/api/people/{person['id']}", {"name": "Ola N."}, expect=200)
    async with h.session() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["person.create", "person.update"]
    assert entries[1].detail == {"fields": ["name"]}
    assert all("Ola" not in str(e.detail) for e in entries)


async def test_messages_of_a_person_oldest_first(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    messages = await h.items(f"/api/people/{person['id']}/messages")
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[0]["text"] == "hjelp"
    assert messages[1]["status"] == "sent"


async def test_invite_gives_a_code_and_telegram_link(h: Harness) -> None:
    person = await h.person(phone=None)
    invite = await h.api("POST", f"/api/people/{person['id']}/invite", expect=201)
    assert invite["telegram_link"] == f"https://t.me/los_test_bot?start={invite['code']}"
    await h.tg(777, f"/start {invite['code']}")
    fetched = await h.api("GET", f"/api/people/{person['id']}", expect=200)
    assert fetched["telegram_linked"] is True
    await h.tg(778, f"/start {invite['code']}")  # a used code does not work twice
    assert h.tg_to(778) == ["Koden virker ikke. Spør de ansatte om en ny kode."]


async def test_inbox_reply_and_resolve(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "Når åpner dere i morgen?")
    [thread] = (await h.api("GET", "/api/inbox", expect=200))["items"]
    [item] = thread["items"]
    await h.api(
        "POST", f"/api/inbox/{item['id']}/reply", {"text": "Vi åpner kl. 08:00."}, expect=202
    )
    await h.send_due()
    assert h.sms_to(PHONE)[-1] == "Vi åpner kl. 08:00."
    await h.api("POST", f"/api/inbox/{item['id']}/reply", {"text": ""}, expect=422)
    await h.api("POST", f"/api/inbox/{item['id']}/resolve", expect=200)
    assert (await h.api("GET", "/api/inbox", expect=200))["items"] == []
    assert len((await h.api("GET", "/api/inbox?status=resolved", expect=200))["items"]) == 1


async def test_broadcast_to_a_role_with_progress_counts(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.person(name="Kari", phone="+4791234568")
    await h.person(name="Vera", roles=["volunteer"], phone="+4791234569")
    await h.person(name="Uten Telefon", phone=None)
    created = await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Julelunsj fredag kl. 12!", "audience": {"roles": ["participant"]}},
        expect=202,
    )
    assert created["recipients"] == 3
    await h.send_due()
    progress = await h.api("GET", f"/api/broadcasts/{created['id']}", expect=200)
    assert progress["status"] == "done"
    assert (progress["sent"], progress["skipped"], progress["queued"]) == (2, 1, 0)
    assert h.sms_to("+4791234569") == []


async def test_scheduled_broadcast_waits_for_its_time(h: Harness) -> None:
    await h.person(phone=PHONE)
    created = await h.api(
        "POST",
        "/api/broadcasts",
        {
            "text": "Husk bingo!",
            "audience": {"roles": ["participant"]},
            "send_at": "2026-03-02T14:00:00",
        },
        expect=202,
    )
    await h.send_due()
    assert h.sms_to(PHONE) == []
    progress = await h.api("GET", f"/api/broadcasts/{created['id']}", expect=200)
    assert progress["status"] == "scheduled"
    await h.set_time(oslo(2026, 3, 2, 14, 0))
    assert h.sms_to(PHONE) == ["Husk bingo!"]


async def test_openapi_document_lists_the_contract(h: Harness) -> None:
    resp = await h.client.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/people", "/api/people/{id}", "/api/inbox", "/api/broadcasts", "/api/stats"):
        assert path in doc["paths"], path
    assert doc["paths"]["/api/people"]["post"]["requestBody"]


async def test_stats_count_messages_and_opt_outs(h: Harness) -> None:
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    await h.sms(PHONE, "stopp")
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["messages"]["received"] == 2
    assert stats["messages"]["sent"] == 2
    assert stats["messages"]["opt_outs"] == 1
    bad = await h.api("GET", "/api/stats?from=2026-13-01", expect=422)
    assert "from" in bad["error"]["fields"]


async def test_health_ready_and_metrics(h: Harness) -> None:
    assert (await h.client.get("/healthz")).status == 200
    assert (await h.client.get("/readyz")).status == 200
    await h.person(phone=PHONE)
    await h.sms(PHONE, "hjelp")
    metrics = await (await h.client.get("/metrics")).text()
    assert "los_messages_out_total" in metrics
    assert 'los_messages_in_total{channel="sms"}' in metrics


async def test_a_new_phone_number_takes_over_what_is_queued(h: Harness) -> None:
    person = await h.person(phone=PHONE)
    await h.api(
        "POST",
        "/api/broadcasts",
        {
            "text": "Husk bingo!",
            "audience": {"roles": ["participant"]},
            "send_at": "2026-03-02T14:00:00",
        },
        expect=202,
    )
    await h.api("PATCH", f"/api/people/{person['id']}", {"phone": "+4790000001"}, expect=200)
    await h.set_time(oslo(2026, 3, 2, 14, 0))
    assert h.sms_to("+4790000001") == ["Husk bingo!"]
    assert h.sms_to(PHONE) == []


async def test_numbers_too_large_for_the_database_are_bad_input_not_a_crash(h: Harness) -> None:
    huge = 2**80
    await h.api("GET", f"/api/people/{huge}/messages", expect=404)
    await h.api("POST", f"/api/shifts/{huge}/call", expect=404)
    body = await h.api(
        "POST",
        "/api/people",
        {"name": "Ola", "roles": ["participant"], "site_id": huge},
        expect=422,
    )
    assert body["error"]["fields"] == {"site_id": "number too large"}
    body = await h.api(
        "POST",
        "/api/appointments",
        {"person_id": huge, "starts_at": "2026-03-03T10:00:00"},
        expect=422,
    )
    assert "person_id" in body["error"]["fields"]
    body = await h.api("GET", f"/api/appointments?person_id={huge}", expect=422)
    assert body["error"]["fields"] == {"person_id": "number too large"}
    await h.api("GET", "/api/stats?site_id=x", expect=422)


async def test_dates_in_year_one_are_bad_input_not_a_crash(h: Harness) -> None:
    body = await h.api(
        "POST", "/api/rota/plan", {"from": "0001-01-01", "to": "0001-01-01"}, expect=422
    )
    assert body["error"]["fields"]["from"] == "must be between the years 1900 and 2200"
    body = await h.api(
        "POST",
        "/api/broadcasts",
        {"text": "Hei", "audience": {"all": True}, "send_at": "0001-01-01T00:00:00"},
        expect=422,
    )
    assert "send_at" in body["error"]["fields"]


async def test_only_an_admin_may_erase(h: Harness) -> None:
    from bot.staff_users import add_staff

    person = await h.person(phone=PHONE)
    async with h.session() as session:
        _, coordinator = await add_staff(session, h.clock, name="Kari", email="kari@los.test")
    body = await h.api("DELETE", f"/api/people/{person['id']}", token=coordinator, expect=403)
    assert body["error"]["code"] == "forbidden"
    await h.api("GET", f"/api/people/{person['id']}", token=coordinator, expect=200)
    await h.api("DELETE", f"/api/people/{person['id']}", expect=200)  # the harness is an admin
