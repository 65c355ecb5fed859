"""What ``bench.inbound`` reports of routing is what happened to the texts in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bench.inbound import routed_of
from storage.db import create_engine
from storage.models import Message

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def store_flow(url: str, count: int, every: float, routed_every: float) -> list[str]:
    """``count`` texts stored one every ``every`` seconds and routed one every ``routed_every``
    (20 ms after the first was stored); their provider ids."""
    rows = [
        {
            "direction": "in",
            "channel": "sms",
            "status": "received",
            "kind": "reply",
            "provider_id": f"SMflow{n}",
            "created_at": T0 + timedelta(seconds=n * every),
            "processed_at": T0 + timedelta(seconds=0.02 + n * routed_every),
        }
        for n in range(count)
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(Message), rows)
    finally:
        await engine.dispose()
    return [str(row["provider_id"]) for row in rows]


@pytest.mark.parametrize(
    ("routed_every", "rate", "gap_p50"),
    [
        (0.005, 200.0, 20.0),  # kept pace: the offered 200 a second, not 197
        (0.01, 100.0, 1020.0),  # half the pace: the 200th text waits 20 ms + 200 x 5 ms
    ],
)
async def test_the_routing_rate_is_from_the_first_text_routed_to_the_last(
    database_url: str, routed_every: float, rate: float, gap_p50: float
) -> None:
    ids = await store_flow(database_url, 400, 0.005, routed_every)
    routed = await routed_of(database_url, ids, T0 - timedelta(seconds=1), wait=0)
    assert (routed.stored, routed.routed, routed.duplicates) == (400, 400, 0)
    assert routed.rate == pytest.approx(rate, rel=0.001)
    assert routed.gap_p50 == pytest.approx(gap_p50, abs=0.5)
