"""Erasure leaves no trace of the name, number or text: not in the database file (SQLite and
its -wal), not in a PostgreSQL dump, not in any API answer."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.api.registry import ENDPOINTS
from tests.harness import Harness

NAME = "Zelda Quuxbakken"
PHONE = "+4798765432"
BEFORE = "Hemmelig ABCXYZ skrevet for registrering"
AFTER = "Hemmelig QWERTY etter registrering"
SECRETS = [NAME, "Quuxbakken", PHONE, PHONE[3:], "ABCXYZ", "QWERTY"]


def stored_bytes(h: Harness) -> bytes:
    url = make_url(h.los.settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    dump = shutil.which("pg_dump")
    if dump is None:
        pytest.skip("pg_dump is not installed, so the PostgreSQL dump cannot be searched")
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    result = subprocess.run(
        [
            dump,
            "-h",
            str(url.host),
            "-p",
            str(url.port or 5432),
            "-U",
            str(url.username),
            "--data-only",
            str(url.database),
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    return result.stdout


async def every_list(h: Harness) -> str:
    """Every GET answer without a path id, as one string."""
    answers = []
    for ep in ENDPOINTS:
        # The XLSX is the CSV's figures zipped; the CSV is read here.
        if ep.path.endswith(".xlsx"):
            continue
        if ep.method == "GET" and not ep.path_params and ep.tag != "dev":
            answers.append(str(await h.api("GET", ep.path, expect=200)))
    answers.append(str(await h.api("GET", "/api/inbox?status=all", expect=200)))
    return "\n".join(answers)


async def test_erasure_leaves_no_trace(h: Harness) -> None:
    await h.sms(PHONE, BEFORE)  # not registered yet: the inbox gets it, with the number
    person = await h.person(NAME, phone=PHONE)
    await h.sms(PHONE, AFTER)
    await h.api("POST", "/api/broadcasts", {"text": "Hei alle", "audience": {"all": True}})
    await h.send_due()
    before = await every_list(h)
    assert NAME in before and BEFORE in before and AFTER in before  # the test can see them
    assert PHONE.encode() in stored_bytes(h) and b"ABCXYZ" in stored_bytes(h)

    await h.api("DELETE", f"/api/people/{person['id']}", expect=200)

    answers = await every_list(h) + str(
        await h.api("GET", f"/api/people/{person['id']}/messages", expect=404)
    )
    stored = stored_bytes(h)
    for secret in SECRETS:
        assert secret not in answers, secret
        assert secret.encode() not in stored, secret
    # Counts stay: the texts are still there as rows, without their words.
    stats = await h.api("GET", "/api/stats?from=2026-03-01&to=2026-04-01", expect=200)
    assert stats["messages"]
