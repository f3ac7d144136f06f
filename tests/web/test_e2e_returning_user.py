"""What a user coming back a week later met, end to end in Chromium against a real uvicorn:
signing in again in a fresh tab, finding the draft and the answers that came meanwhile.
"""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.web.browser import DESKTOP, TIMEOUT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO_DATA = False


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A call needing a university and patients; a university's draft for it with a partner
    request, answered by a patient organisation while the university was away."""
    call = create_call(
        server,
        identifier="RETURN-2099",
        title="Kidney organoid tolerance",
        description="Kidney organoid tolerance biomarkers with kidney patient panels.",
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-06-30",
    )
    writer = create_organisation(
        server,
        name="Returning Kidney Lab",
        description="Kidney organoid tolerance biomarkers research.",
        contact_email="lab@returning.example",
    )
    patients = create_organisation(
        server,
        name="Kidney Patients Alliance",
        stakeholder_type="patient_organisation",
        country="NL",
        description="Kidney patient panels.",
        contact_email="hi@kpa.example",
    )
    draft = created(
        server.post(
            "/consortia",
            headers=bearer(writer["api_key"]),
            json={
                "name": "Kidney bid",
                "call_id": call["id"],
                "members": [{"organisation_id": writer["id"], "role": "coordinator"}],
            },
        )
    )
    published = created(
        server.post(
            f"/consortia/{draft['id']}/partner-requests",
            headers=bearer(writer["api_key"]),
            json={"pitch": "Join our kidney bid."},
        )
    )
    created(
        server.post(
            f"/partner-requests/{published['id']}/interest",
            headers=bearer(patients["api_key"]),
            json={"message": "We run kidney patient panels."},
        )
    )
    return {"writer": writer, "draft": draft}


def test_returning_user_finds_what_waits_and_the_accepted_answer(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Signed in again, the profile says an answer waits and names the draft; accepted from
    the list of those waiting, where it then leaves, the status links to it among the
    accepted, with the address and "Add to your draft"; the draft counts the answer."""
    expect = sync_api.expect
    problems: list[str] = []
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, scene["writer"]["api_key"], "Returning Kidney Lab")
    page.wait_for_url(f"**/ui/organisations/{scene['writer']['id']}")
    waiting = page.locator("#owner-waiting")
    expect(waiting.locator("#owner-waiting-inbox")).to_have_text(
        "1 request in your inbox waits for your answer. Answer it"
    )
    expect(waiting.get_by_role("link", name="Kidney bid")).to_have_attribute(
        "href", f"/ui/consortia/{scene['draft']['id']}"
    )

    waiting.get_by_role("link", name="Answer it").click()
    page.wait_for_url("**/ui/inbox?status=pending")
    page.get_by_role("button", name="Accept").click()
    status = page.locator("#status")
    expect(status).to_have_text(
        "Accepted. You and Kidney Patients Alliance now see each other's contact address. "
        "See it with the accepted requests."
    )
    status.get_by_role("link", name="See it with the accepted requests").click()
    page.wait_for_url("**/ui/inbox?status=accepted")
    card = page.locator("li.contact-request")
    expect(card).to_contain_text("hi@kpa.example")
    expect(card.get_by_role("button", name="Add to your draft")).to_be_visible()

    page.goto(f"/ui/consortia/{scene['draft']['id']}")
    expect(page.locator("[data-request-answers]")).to_have_text(
        "1 answer, accepted. See it in your inbox"
    )
    context.close()
    assert not problems
