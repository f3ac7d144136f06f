"""Browser fixtures: a real uvicorn serving the demo data, Debian's headless Chromium, and what
the accessibility checks (test_accessibility, test_axe) sign in with and visit."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api

from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings
from tests.helpers import app_for, bearer, settings_for
from tests.servers import ADMIN_TOKEN, serving
from tests.web.browser import DESKTOP, TIMEOUT_MS, launch_chromium, watched_tab


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite template with the demo data loaded, made once per test process:
    each browser module gets a copy, where migrating and loading took seconds a module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = db.create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    try:
        load_demo(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def browser_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of this test process's browser database, which each module gets afresh."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest, browser_folder: Path) -> str:
    """The URL of a migrated SQLite file holding the demo data, or nothing in a module that
    sets ``DEMO_DATA = False``: a copy of its template made afresh for each module, at one
    address per test process (so one app serves every module: `server`)."""
    demo = getattr(request.module, "DEMO_DATA", True)
    template = request.getfixturevalue("demo_template" if demo else "sqlite_template")
    shutil.rmtree(browser_folder)
    browser_folder.mkdir()
    path = browser_folder / "e2e.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def server(database: str) -> Iterator[httpx.Client]:
    """A real uvicorn serving that database over HTTP on loopback, in a thread of this test
    process, with an administrator's client. The app is made once per process (`app_for`):
    its lifespan opens the module's database and fits its indexes anew. A server process of
    its own per module spent seconds importing the service and building its routes."""
    with (
        serving(app_for(settings_for(database))) as base_url,
        httpx.Client(base_url=base_url, timeout=30, headers=bearer(ADMIN_TOKEN)) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, launched by Playwright without any download: one per test
    process, which `browser` lends to each module."""
    with sync_api.sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Iterator[Any]:
    """The test process's Chromium for one module; the contexts (tabs and their sessions) the
    module opened and left open are closed after it."""
    yield chromium
    for context in chromium.contexts:
        context.close()


@pytest.fixture
def page(server: httpx.Client, browser: Any) -> Iterator[Any]:
    """A desktop tab of its own on the server; the test fails if a script error happened on
    it."""
    with watched_tab(browser, server, DESKTOP) as tab:
        yield tab


@pytest.fixture(scope="module")
def audit(server: httpx.Client) -> dict[str, Any]:
    """For the accessibility checks: a health call of the demo, an organisation of our own with
    its key, a draft of it that a member left by deleting its profile, a request waiting for
    its answer and a saved search that finds calls (`browser.audited_pages` lists the pages
    they make)."""
    calls = server.get("/calls", params={"q": "tumour-host", "limit": 1}).json()["items"]
    call = calls[0]
    created = server.post(
        "/organisations",
        json={
            "name": "Oncomark Diagnostics",
            "stakeholder_type": "sme",
            "country": "NL",
            "description": "Liquid biopsy assays for cancer patients.",
        },
    )
    assert created.status_code == 201, created.text
    organisation = created.json()
    key = organisation["api_key"]
    leaving = server.post(
        "/organisations",
        json={"name": "Rotterdam Tumour Biobank", "stakeholder_type": "academia", "country": "NL"},
    )
    assert leaving.status_code == 201, leaving.text
    draft = server.post(
        "/consortia",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "name": "A draft with a long enough name to wrap in a narrow sidebar",
            "call_id": call["id"],
            "members": [
                {"organisation_id": organisation["id"], "role": "coordinator"},
                {"organisation_id": leaving.json()["id"]},
            ],
        },
    )
    assert draft.status_code == 201, draft.text
    # The draft's members part then lists it among those that left.
    left = server.delete(
        f"/organisations/{leaving.json()['id']}",
        headers={"Authorization": f"Bearer {leaving.json()['api_key']}"},
    )
    assert left.status_code == 204, left.text
    # A request waiting for its answer (the menu's Inbox count, Accept and Decline in the
    # inbox) and a saved search that finds something (its finds, with their relevance bars).
    sender = server.post(
        "/organisations",
        json={"name": "Leiden Oncology Centre", "stakeholder_type": "academia", "country": "NL"},
    )
    assert sender.status_code == 201, sender.text
    asked = server.post(
        f"/organisations/{organisation['id']}/contact-requests",
        headers={"Authorization": f"Bearer {sender.json()['api_key']}"},
        json={"call_id": call["id"], "message": "Would you join our consortium?"},
    )
    assert asked.status_code == 201, asked.text
    saved = server.post(
        f"/organisations/{organisation['id']}/saved-searches",
        headers={"Authorization": f"Bearer {key}"},
        json={"target": "calls", "text": "tumour microenvironment"},
    )
    assert saved.status_code == 201, saved.text
    panel = server.get("/ui/saved-searches/panel", headers={"Authorization": f"Bearer {key}"})
    assert 'class="finds"' in panel.text
    return {"call": call, "organisation": organisation, "key": key, "draft": draft.json()}


@pytest.fixture
def context(browser: Any, server: httpx.Client) -> Iterator[Any]:
    """A fresh desktop browser context on the server (no key in its session storage)."""
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()
