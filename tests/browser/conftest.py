"""Browser tests: Playwright for Python drives Debian's Chromium against a real Los server.

The server is the test harness (fake clock, fake Twilio and Telegram on loopback). Playwright
cannot download a browser here, so ``/usr/bin/chromium`` is launched; without it these tests are
skipped with one line saying so, unless ``LOS_TEST_REQUIRE_BROWSER=1`` (CI) makes that a failure.
They run on SQLite only: what they add is the browser; the database rules run on both elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("LOS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("LOS_TEST_REQUIRE_BROWSER") == "1"
MISSING = f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if REQUIRE:
        raise pytest.UsageError(MISSING.replace("skipped", "required"))
    marker = pytest.mark.skip(reason=MISSING)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(marker)


@pytest.fixture(params=["sqlite"])
async def database_url(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[str]:
    from tests import databases

    yield databases.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()
