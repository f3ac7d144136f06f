"""Every web page in Chromium, signed out and signed in, at a desktop's, a laptop's, a tablet's
and a phone's width.

What Chromium itself computes is checked: each form control in its accessibility tree has a
name (a label that points nowhere leaves the control nameless), no id is used twice on a page,
no page scrolls sideways, and no table is wider than its box (a table in a scrolling box hides
its last columns, the row's buttons say, until the reader scrolls it).
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.web.browser import DESKTOP, LAPTOP, PHONE, SETTLED, TABLET, TIMEOUT_MS, sign_in

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

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(server: httpx.Client) -> dict[str, Any]:
    """A health call of the demo, an organisation of our own with its key, and a draft of it."""
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
    draft = server.post(
        "/consortia",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "name": "A draft with a long enough name to wrap in a narrow sidebar",
            "call_id": call["id"],
            "members": [{"organisation_id": organisation["id"], "role": "coordinator"}],
        },
    )
    assert draft.status_code == 201, draft.text
    return {"call": call, "organisation": organisation, "key": key, "draft": draft.json()}


@pytest.fixture
def context(browser: Any, server: httpx.Client) -> Iterator[Any]:
    """A fresh browser context on the server (no key in its session storage)."""
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def _pages(demo: dict[str, Any], *, signed_in: bool) -> list[str]:
    call, organisation = demo["call"]["id"], demo["organisation"]["id"]
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
    ]
    if signed_in:
        pages += [f"/ui/consortia/{demo['draft']['id']}", f"/ui/organisations/{organisation}/edit"]
    return pages


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


def _check(page: Any, path: str) -> list[str]:
    """What is wrong with one page as it is shown now."""
    page.goto(path)
    page.wait_for_function(SETTLED)
    problems = [f"{path}: control without a name: {item}" for item in _nameless_controls(page)]
    problems += [f"{path}: id used twice: {item}" for item in page.evaluate(DUPLICATE_IDS)]
    sideways = page.evaluate(SIDEWAYS)
    if sideways > 0:
        width = page.viewport_size["width"]
        problems.append(f"{path}: {sideways} px wider than the {width} px screen")
    for extra in page.evaluate(CLIPPED_TABLES):
        width = page.viewport_size["width"]
        problems.append(f"{path}: a table {extra} px wider than its box at {width} px")
    return problems


def test_calls_page_status_filter_has_its_label(context: Any) -> None:
    """The Status select is named by its label, and the live region keeps its own id."""
    page = context.new_page()
    page.goto("/ui/calls")

    status = page.get_by_role("combobox", name="Status")

    sync_api.expect(status).to_have_count(1)
    sync_api.expect(status).to_have_attribute("name", "status")


@pytest.mark.parametrize(
    "viewport", [DESKTOP, LAPTOP, TABLET, PHONE], ids=["1280px", "1024px", "820px", "390px"]
)
def test_every_page_names_its_controls_has_unique_ids_and_fits_the_screen(
    context: Any, demo: dict[str, Any], viewport: dict[str, int]
) -> None:
    """Signed out, then signed in: no nameless control, no repeated id, no sideways scroll, no
    table wider than its box."""
    page = context.new_page()
    page.set_viewport_size(viewport)
    problems = [problem for path in _pages(demo, signed_in=False) for problem in _check(page, path)]

    sign_in(page, demo["key"], demo["organisation"]["name"])
    problems += [problem for path in _pages(demo, signed_in=True) for problem in _check(page, path)]

    assert problems == []
