"""The menu's "Inbox" says how many requests wait for the organisation's answer, end to end in
Chromium against a real uvicorn: counted when signed in, gone once answered in the inbox
(without a reload), and never asked for signed out or with a key that has no inbox.
"""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.servers import ADMIN_TOKEN
from tests.web.browser import SETTLED, answer_next_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO_DATA = False
WAITING = "/inbox/waiting"


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A patient organisation with two messages waiting for its answer, from a lab and a
    clinic, about an open call."""
    call = create_call(
        server,
        identifier="WAITING-2099",
        title="Kidney organoid tolerance",
        description="Kidney organoid tolerance biomarkers with kidney patient panels.",
        opening_date=None,
        deadline="2099-06-30",
    )
    patients = create_organisation(
        server,
        name="Kidney Patients Network",
        stakeholder_type="patient_organisation",
        country="NL",
        description="Kidney patient panels.",
    )
    senders = [
        create_organisation(server, name=name, description="Kidney organoid research.")
        for name in ("Organoid Lab", "Kidney Clinic")
    ]
    for sender in senders:
        created(
            server.post(
                f"/organisations/{patients['id']}/contact-requests",
                headers=bearer(sender["api_key"]),
                json={"call_id": call["id"], "message": "Would you join our consortium?"},
            )
        )
    return {"call": call, "patients": patients}


def _asked(page: Any) -> list[str]:
    """The addresses of the count requests the tab makes from now on."""
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if WAITING in request.url else None
    )
    return asked


def test_the_menu_counts_the_requests_waiting_until_they_are_answered(
    page: Any, scene: dict[str, Any]
) -> None:
    """Signed out, nothing is asked; signed in, "Inbox 2" is named "Inbox, 2 waiting for your
    answer"; signing out takes the count away; each answer in the inbox lowers it at once,
    and with none left the link is "Inbox" alone, on the next page too."""
    expect = sync_api.expect
    asked = _asked(page)
    menu = page.get_by_role("navigation", name="Main")
    inbox = menu.locator("[data-inbox-link]")
    badge = inbox.locator("[data-inbox-waiting]")

    page.goto(f"/ui/calls/{scene['call']['id']}")
    page.wait_for_load_state("networkidle")
    expect(badge).to_be_hidden()
    assert asked == []

    sign_in(page, scene["patients"]["api_key"], "Kidney Patients Network")
    expect(menu.get_by_role("link", name="Inbox, 2 waiting for your answer")).to_be_visible()
    expect(badge).to_have_text("2")
    assert len(asked) == 1

    page.get_by_role("button", name="Sign out").click()
    expect(badge).to_be_hidden()
    expect(menu.get_by_role("link", name="Inbox", exact=True)).to_be_visible()

    sign_in(page, scene["patients"]["api_key"], "Kidney Patients Network")
    menu.get_by_role("link", name="Inbox, 2 waiting for your answer").click()
    received = page.locator("#received-list li.contact-request")
    expect(received).to_have_count(2)
    page.evaluate("window.sameInboxPage = true")  # gone if the page were loaded again
    # Declining cannot be undone: it asks first, and cancelled, nothing is sent.
    decline = received.get_by_role("button", name="Decline the request from Organoid Lab")
    asked_first: list[str] = []

    answer_next_dialog(page, asked_first, accept=False)
    decline.click()
    expect(decline).to_be_enabled()
    expect(badge).to_have_text("2")
    answer_next_dialog(page, asked_first, accept=True)
    decline.click()
    expect(page.locator("#status")).to_contain_text("Declined.")
    assert asked_first == 2 * [
        "Decline the request from Organoid Lab? This cannot be undone: Organoid Lab is told you "
        "declined, and neither of you sees the other's contact address."
    ]
    expect(menu.get_by_role("link", name="Inbox, 1 waiting for your answer")).to_be_visible()
    expect(badge).to_have_text("1")

    page.once("dialog", lambda dialog: dialog.accept())
    received.get_by_role("button", name="Accept the request from Kidney Clinic").click()
    expect(page.locator("#status")).to_contain_text("now see each other's contact address")
    expect(badge).to_be_hidden()
    expect(menu.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    expect(inbox).not_to_have_attribute("aria-label", "Inbox, 1 waiting for your answer")
    assert page.evaluate("window.sameInboxPage") is True

    page.goto(f"/ui/calls/{scene['call']['id']}")
    page.wait_for_function(SETTLED)
    expect(badge).to_be_hidden()
    expect(menu.get_by_role("link", name="Inbox", exact=True)).to_be_visible()


@pytest.mark.parametrize("role", ["admin", "publisher"])
def test_a_key_without_an_inbox_shows_no_count_and_asks_for_none(
    page: Any, server: httpx.Client, scene: dict[str, Any], role: str
) -> None:
    """An administrator's or a call publisher's key acts for no organisation: its menu has no
    Inbox, and no page asks how many requests wait."""
    expect = sync_api.expect
    key = ADMIN_TOKEN
    if role == "publisher":
        key = created(server.post("/admin/keys", json={"role": "publisher"}))["token"]
    asked = _asked(page)
    sign_in(page, key, "an administrator" if role == "admin" else "a call publisher")
    page.goto(f"/ui/calls/{scene['call']['id']}")
    page.wait_for_load_state("networkidle")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Inbox")).to_be_hidden()
    expect(menu.locator("[data-inbox-waiting]")).to_be_hidden()
    assert asked == []
