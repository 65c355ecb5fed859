"""A small run of bench/dispatch.py: two dispatcher processes on PostgreSQL share a broadcast
through the real TwilioChannel, and every text reaches the fake Twilio exactly once."""

from __future__ import annotations

import pytest

from bench.dispatch import measure
from bench.fake_twilio import BenchTwilio
from tests import databases


async def test_two_dispatcher_processes_send_a_broadcast_exactly_once() -> None:
    url, why = databases.create_pg_database()
    if url is None:
        if databases.REQUIRE_POSTGRES:
            pytest.fail(why)
        pytest.skip(why)
    fake = BenchTwilio()
    await fake.start()
    try:
        run = await measure(url, processes=2, texts=300, fake=fake)
    finally:
        await fake.stop()
        databases.drop_pg_database(url)
    assert (run.arrived, run.distinct, run.sent_rows) == (300, 300, 300)
    assert run.exactly_once
    assert len(run.reports) == 2 and all(r["cpu"] > 0 for r in run.reports)
