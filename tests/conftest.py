"""Fixtures: every database test runs on SQLite and, when reachable, on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from handlers.clock import FakeClock
from tests import databases
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.harness import Harness, oslo, running_harness, test_settings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    url, why = databases.create_pg_database()
    if url is None:
        if databases.REQUIRE_POSTGRES:
            pytest.fail(why)
        yield None
        return
    yield url
    databases.drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield databases.sqlite_copy(sqlite_template, tmp_path)
        return
    url = request.getfixturevalue("postgres_database")
    if url is None:
        pytest.skip(f"PostgreSQL not reachable at {databases.POSTGRES_ADMIN_URL}")
    await databases.truncate_all(url)
    yield url


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2 March 2026, 10:00 in Oslo: office hours, outside quiet hours."""
    return FakeClock(oslo(2026, 3, 2, 10, 0))


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    server = FakeTwilio()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def h(
    database_url: str, clock: FakeClock, twilio: FakeTwilio, telegram: FakeTelegram
) -> AsyncIterator[Harness]:
    settings = test_settings(database_url, twilio.url, telegram.url)
    async with running_harness(settings, clock, twilio, telegram) as harness:
        yield harness
