"""The hot statements of the message path read an index in the order they need (EXPLAIN)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from storage.db import create_engine

CLAIM = (
    "SELECT id FROM messages WHERE status = 'queued' AND priority = 1 "
    "AND send_after <= '2026-03-02 10:00:00' AND direction = 'out' "
    "ORDER BY send_after, id LIMIT 100"
)
PENDING = (
    "SELECT id FROM messages WHERE direction = 'in' AND processed_at IS NULL "
    "AND created_at < '2026-03-02 10:00:00' ORDER BY id LIMIT 200"
)


HISTORY = (
    "INSERT INTO messages (direction, channel, address, status, kind, attempts, urgent, "
    "priority, provider_id, send_after, created_at, processed_at) VALUES (:direction, 'sms', "
    "'+4791234567', :status, 'reply', 0, FALSE, 1, :pid, :at, :at, :done)"
)


def history(count: int) -> list[dict[str, object]]:
    """A service that has run a while: mostly handled and sent texts, a few waiting."""
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    for n in range(count):
        incoming = n % 2 == 0
        waiting = n % 500 == 0
        rows.append(
            {
                "direction": "in" if incoming else "out",
                "status": ("received" if incoming else ("queued" if waiting else "sent")),
                "pid": f"SMhist{n}",
                "at": at,
                "done": None if waiting and incoming else at,
            }
        )
    return rows


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (CLAIM, "ix_messages_outbox_claim"),
        # SQLite passed over the one on id when the history was large (0024).
        (PENDING, "ix_messages_inbound_pending|ix_messages_inbound_unhandled"),
    ],
    ids=["claim", "inbound_sweep"],
)
async def test_the_statement_is_an_ordered_index_range(
    database_url: str, query: str, index: str
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(HISTORY), history(3000))
            await conn.execute(text("ANALYZE messages"))
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                for setting in ("enable_seqscan", "enable_sort"):  # tiny tables: ask for it
                    await conn.execute(text(f"SET LOCAL {setting} = off"))
                plan = "\n".join(r[0] for r in await conn.execute(text(f"EXPLAIN {query}")))
                assert index.split("|")[0] in plan and "Sort" not in plan, plan
            else:
                rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
                plan = "\n".join(str(r[-1]) for r in rows)
                assert index.split("|")[-1] in plan and "TEMP B-TREE" not in plan, plan
    finally:
        await engine.dispose()
