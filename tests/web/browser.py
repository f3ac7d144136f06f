"""What the browser tests and `scripts/screenshots.py` share: Debian's headless Chromium driven by
Playwright (whose own browser downloads are never used), a migrated SQLite file holding the
demo data for a real uvicorn to serve, the screen sizes, signing in with a key, and the pages
the accessibility checks visit and what they check on each.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright import sync_api

from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings

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
DESKTOP: sync_api.ViewportSize = {"width": 1280, "height": 900}
PHONE: sync_api.ViewportSize = {"width": 390, "height": 844}
TABLET: sync_api.ViewportSize = {"width": 820, "height": 1180}
LAPTOP: sync_api.ViewportSize = {"width": 1024, "height": 768}
TIMEOUT_MS = 15_000
# True once a page has no request of its own in flight (its script marks those aria-busy).
SETTLED = (
    "() => !document.querySelector('[aria-busy]') && !document.body.innerText.includes('Loading…')"
)


def demo_database(path: Path) -> str:
    """Create a migrated SQLite database at `path` holding the demo data; return its URL."""
    url = f"sqlite:///{path}"
    engine = db.create_db_engine(Settings(database_url=url))
    try:
        db.upgrade(engine)
        load_demo(engine)
    finally:
        engine.dispose()
    return url


@contextmanager
def watched_tab(
    browser: Any, server: httpx.Client, viewport: sync_api.ViewportSize
) -> Iterator[Any]:
    """A tab in a context of its own on the server at `viewport`; a script error on it fails
    the test when the tab is closed."""
    context = browser.new_context(viewport=viewport, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert not problems


def launch_chromium(playwright: sync_api.Playwright) -> sync_api.Browser:
    """Debian's Chromium, headless, launched by Playwright without any download."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def answer_next_dialog(page: Any, asked: list[str], *, accept: bool) -> None:
    """Answer the page's next dialog (a `confirm`), OK or Cancel, noting what it asked."""

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)


def sign_in(page: Any, key: str, name: str) -> None:
    """Sign the page's tab in with an organisation key, as a user does on the sign-in page."""
    page.goto("/ui/sign-in")
    page.get_by_label("Organisation key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    sync_api.expect(page.locator("[data-who-name]")).to_have_text(name)


def audited_pages(audit: dict[str, Any], *, signed_in: bool) -> list[str]:
    """Every page the accessibility checks visit, for the call, organisation and draft of
    `audit` (the `audit` fixture); signed in, also the draft and the profile's edit form."""
    call, organisation = audit["call"]["id"], audit["organisation"]["id"]
    pages = [
        "/ui/calls",
        "/ui/calls?status=open",
        f"/ui/calls/{call}",
        f"/ui/calls/{call}/consortium",
        "/ui/organisations",
        f"/ui/organisations/{organisation}",
        "/ui/organisations/new",
        "/ui/sign-in",
        "/ui/drafts",
        "/ui/inbox",
        "/ui/saved-searches",
        f"/ui/organisations/{organisation}/contact?call_id={call}",
        f"/ui/organisations/{organisation}/contact",
        f"/ui/organisations/{organisation}/confirm",
        f"/ui/organisations/{organisation}/claim",
        "/ui/calls/999999",
        "/ui/expertise?q=tumour+microenvironment&stakeholder_type=academia",
        # An administrator's page, as others see it: what it says instead of the figures.
        "/ui/admin/outbox",
    ]
    if signed_in:
        pages += [f"/ui/consortia/{audit['draft']['id']}", f"/ui/organisations/{organisation}/edit"]
    return pages


# Roles of the controls a user operates; each needs a name a screen reader can announce.
CONTROL_ROLES = frozenset(
    {
        "button",
        "checkbox",
        "combobox",
        "listbox",
        "radio",
        "searchbox",
        "slider",
        "spinbutton",
        "switch",
        "textbox",
        "Date",
        "date",
        "DateTime",
        "InputTime",
    }
)
# Ids of a page and the ids that occur more than once.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  document.querySelectorAll("[id]").forEach((e) => seen.set(e.id, (seen.get(e.id) || 0) + 1));
  return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}"""
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# How many px each table, or the box that scrolls it, is wider than the room it has.
CLIPPED_TABLES = """() => [...document.querySelectorAll("table, .table-scroll")]
  .map((e) => e.scrollWidth - e.clientWidth).filter((extra) => extra > 0)"""


def _nameless_controls(page: Any) -> list[str]:
    """The controls in Chromium's accessibility tree that have no accessible name."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        session.detach()
    return [
        f"{node['role']['value']} (DOM node {node.get('backendDOMNodeId')})"
        for node in nodes
        if not node.get("ignored")
        and node.get("role", {}).get("value") in CONTROL_ROLES
        and not str(node.get("name", {}).get("value", "")).strip()
    ]


def page_problems(
    page: Any, path: str, viewports: Sequence[sync_api.ViewportSize] = ()
) -> list[str]:
    """What is wrong with one page as it is shown now (the checks of test_accessibility.py):
    controls without a name, ids used twice, sideways scrolling, tables wider than their box.

    With `viewports`, the page is loaded once and checked at each size in turn: its layout is
    CSS's alone (no script reads the screen's width), which lays it out again as it is resized,
    as it does when a tablet is turned."""
    page.goto(path)
    page.wait_for_function(SETTLED)
    problems = [f"{path}: id used twice: {item}" for item in page.evaluate(DUPLICATE_IDS)]
    for viewport in viewports or [page.viewport_size]:
        page.set_viewport_size(viewport)
        problems += _layout_problems(page, path)
    return problems


def _layout_problems(page: Any, path: str) -> list[str]:
    """Controls without a name, sideways scrolling and clipped tables at the page's size."""
    width = page.viewport_size["width"]
    problems = [
        f"{path} at {width} px: control without a name: {item}" for item in _nameless_controls(page)
    ]
    sideways = page.evaluate(SIDEWAYS)
    if sideways > 0:
        problems.append(f"{path}: {sideways} px wider than the {width} px screen")
    for extra in page.evaluate(CLIPPED_TABLES):
        problems.append(f"{path}: a table {extra} px wider than its box at {width} px")
    return problems
