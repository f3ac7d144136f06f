"""Browser fixtures: a real uvicorn serving the demo data, and Debian's headless Chromium."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings
from tests.servers import uvicorn_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A uvicorn process serving a migrated SQLite file with the demo data loaded."""
    path = tmp_path_factory.mktemp("e2e") / "demo.db"
    url = f"sqlite:///{path}"
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    load_demo(engine)
    engine.dispose()
    with uvicorn_server(url) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, launched by Playwright without any download."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
