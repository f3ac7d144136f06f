"""Browser fixtures: a real uvicorn serving the demo data, and Debian's headless Chromium."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.servers import uvicorn_server
from tests.web.browser import DESKTOP, TIMEOUT_MS, demo_database, launch_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A uvicorn process serving a migrated SQLite file with the demo data loaded."""
    url = demo_database(tmp_path_factory.mktemp("e2e") / "demo.db")
    with uvicorn_server(url) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, launched by Playwright without any download."""
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(server: httpx.Client, browser: Any) -> Iterator[Any]:
    """A desktop tab of its own on the server; the test fails if a script error happened on
    it."""
    context = browser.new_context(base_url=str(server.base_url).rstrip("/"), viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert not problems
