"""Schemathesis against the running API, on each database: at least 300 generated requests
(valid and invalid) find no 5xx, no undocumented status and no answer that breaks its schema.

The service runs on the test's event loop; the requests go from a worker thread, as any client
would, over a real socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api.openapi import document
from tests.harness import Harness

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PER_OPERATION = 4  # per mode; two modes and ~60 operations give well over 300 cases
MINIMUM = 300


async def some_data(h: Harness) -> None:
    """A few rows with small ids, so generated ids sometimes find something."""
    person = await h.person(phone="+4791234567", roles=["participant", "volunteer"])
    await h.api(
        "POST",
        "/api/appointments",
        {"person_id": person["id"], "starts_at": "2026-03-10T10:00:00"},
        expect=201,
    )
    await h.api("POST", "/api/activities", {"title": "Quiz", "starts_at": "2026-03-05T18:00"})
    await h.api(
        "POST",
        "/api/shifts",
        {"title": "Kafé", "starts_at": "2026-03-06T08:00", "ends_at": "2026-03-06T12:00"},
    )
    await h.api("POST", "/api/checkins", {"person_id": person["id"], "at": "18:00"})
    await h.sms("+4791234567", "Hei, kan noen ringe?")


def fuzz(base_url: str, token: str) -> int:
    schema = schemathesis.openapi.from_dict(document(include_dev=False))
    headers = {"Authorization": f"Bearer {token}"}
    calls = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself must be valid
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def one(case: Any) -> None:
                nonlocal calls
                calls += 1
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

            one()
    return calls


async def test_generated_requests_find_no_server_error_and_no_broken_answer(h: Harness) -> None:
    await some_data(h)
    base_url = str(h.client.make_url("")).rstrip("/")
    calls = await asyncio.to_thread(fuzz, base_url, h.token)
    assert calls >= MINIMUM
