"""An organisation's own profile lists the partner requests it fits, in Chromium against a real
uvicorn: it answers one from there, and the profile then says it did; nobody else sees the list.
A call's partner requests tell a visitor how to answer them, and a phone jumps straight to them.
"""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.web.browser import PHONE, SETTLED, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A call, a university seeking a Belgian patient organisation for it, and two patient
    organisations: one in Belgium, which the request fits, and one in Ireland, which it does
    not."""
    call = create_call(
        server,
        identifier="E2E-GUT-2099",
        title="Gut microbiome and coeliac disease",
        description="Gut microbiome studies with coeliac patient panels.",
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-05-31",
    )
    seeker, belgian, irish = (
        create_organisation(server, **fields)
        for fields in (
            {
                "name": "Gut Microbiome Institute",
                "description": "Gut microbiome research.",
                "keywords": ["gut microbiome"],
                "activities": [],
            },
            {
                "name": "Coeliac Patients Belgium",
                "stakeholder_type": "patient_organisation",
                "country": "BE",
                "description": "Coeliac disease patient panels for gut microbiome studies.",
                "keywords": ["coeliac disease", "patient panels"],
                "activities": [],
            },
            {
                "name": "Coeliac Patients Ireland",
                "stakeholder_type": "patient_organisation",
                "country": "IE",
                "description": "Coeliac disease patient panels.",
                "keywords": ["coeliac disease"],
                "activities": [],
            },
        )
    )
    sought = created(
        server.post(
            f"/calls/{call['id']}/partner-requests",
            headers=bearer(seeker["api_key"]),
            json={
                "stakeholder_types": ["patient_organisation"],
                "countries": ["BE"],
                "expertise": "Coeliac disease patient panels.",
                "pitch": "Shape our study with us.",
            },
        )
    )
    return {"call": call, "seeker": seeker, "belgian": belgian, "irish": irish, "sought": sought}


def test_own_profile_lists_fitting_partner_requests_and_answers_one(
    page: Any, scene: dict[str, Any]
) -> None:
    """The Belgian patients see the request on their own profile, answer it from there, and
    the profile then says the answer waits; the Irish, and visitors, see no such list."""
    expect = sync_api.expect
    belgian, seeker = scene["belgian"], scene["seeker"]
    profile = f"/ui/organisations/{belgian['id']}"
    section = page.locator("#fitting-requests")

    # Signed out, or as another organisation, the profile has no such section.
    page.goto(profile)
    expect(section).to_be_hidden()
    sign_in(page, scene["irish"]["api_key"], "Coeliac Patients Ireland")
    page.goto(profile)
    page.wait_for_function(SETTLED)
    expect(section).to_be_hidden()
    page.goto(f"/ui/organisations/{scene['irish']['id']}")
    expect(section.get_by_role("heading", name="Partner requests you could answer")).to_be_visible()
    expect(section).to_contain_text(
        "No open partner request is looking for patient organisations from your country (Ireland)"
    )

    # Signing in leads to its own profile, which lists the request, with the call, what is
    # sought and an Answer link.
    sign_in(page, belgian["api_key"], "Coeliac Patients Belgium")
    expect(page).to_have_url(re.compile(f"{profile}$"))
    listed = section.locator("li.partner-request")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Gut Microbiome Institute")
    expect(listed.first).to_contain_text("Gut microbiome and coeliac disease")
    expect(listed.first).to_contain_text("Looking for: Patient organisation, from Belgium")
    expect(listed.first).to_contain_text("Shape our study with us.")
    expect(
        listed.first.get_by_role("link", name="Gut Microbiome Institute", exact=True)
    ).to_have_attribute("href", f"/ui/organisations/{seeker['id']}")
    answer = listed.first.get_by_role(
        "link", name="Answer Gut Microbiome Institute's partner request"
    )
    answer.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Answer Gut Microbiome Institute's partner request"
    )
    page.get_by_label("Your message").fill("Our coeliac panel would like to join.")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#contact-sent")).to_be_visible()

    # Back on its profile, the request says it was answered, and offers no second answer.
    page.goto(profile)
    expect(listed.first).to_have_attribute("data-answer-status", "pending")
    expect(listed.first.locator("[data-answer]")).to_contain_text("waiting for their answer")
    expect(answer).to_have_count(0)

    # The inbox lists the answer as sent, and leads back to the requests on the profile.
    page.get_by_role("link", name="Open your inbox").click()
    expect(page.locator("#sent-list li.contact-request")).to_contain_text(
        "Our coeliac panel would like to join."
    )
    page.get_by_role("link", name="partner requests that fit your organisation").click()
    page.wait_for_url(f"**{profile}#fitting-requests")
    expect(section.get_by_role("heading", name="Partner requests you could answer")).to_be_visible()
    expect(listed).to_have_count(1)


def test_own_profile_partner_requests_fit_a_phone(
    browser: Any, server: httpx.Client, scene: dict[str, Any]
) -> None:
    """On a 390 px phone the list of fitting requests needs no sideways scrolling, and it is set
    apart from the panels below it."""
    context = browser.new_context(base_url=str(server.base_url).rstrip("/"), viewport=PHONE)
    page = context.new_page()
    sign_in(page, scene["belgian"]["api_key"], "Coeliac Patients Belgium")
    page.goto(f"/ui/organisations/{scene['belgian']['id']}")
    sync_api.expect(page.locator("#fitting-requests li.partner-request")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    # The list ends clear of the panels below it, not touching them.
    gap = page.evaluate(
        "document.querySelector('#fitting-requests + .columns').getBoundingClientRect().top"
        " - document.querySelector('#fitting-requests').getBoundingClientRect().bottom"
    )
    context.close()
    assert width <= PHONE["width"]
    assert gap >= 16


def test_call_page_on_a_phone_jumps_to_its_partner_requests(
    browser: Any, server: httpx.Client, scene: dict[str, Any]
) -> None:
    """Below twenty suggestions a phone's call page is long: its header links straight to the
    organisations looking for partners, with how many there are."""
    expect = sync_api.expect
    context = browser.new_context(base_url=str(server.base_url).rstrip("/"), viewport=PHONE)
    page = context.new_page()
    page.goto(f"/ui/calls/{scene['call']['id']}")
    jump = page.get_by_role("link", name="Looking for partners (1)")
    expect(jump).to_be_in_viewport()
    jump.click()
    expect(page.locator("#partner-requests li.partner-request").first).to_be_in_viewport()
    context.close()


def test_signed_out_visitor_is_told_how_to_answer_a_partner_request(
    page: Any, scene: dict[str, Any]
) -> None:
    """Signed out, the call's partner requests say to sign in (or register) to answer one;
    signing in from there comes back to the call, where Answer is offered."""
    expect = sync_api.expect
    page.goto(f"/ui/calls/{scene['call']['id']}")
    hint = page.locator("#answer-sign-in")
    expect(hint).to_be_visible()
    expect(hint.get_by_role("link", name="Register your organisation")).to_have_attribute(
        "href", "/ui/organisations/new"
    )
    hint.get_by_role("link", name="sign in").click()
    page.get_by_label("Organisation key").fill(scene["irish"]["api_key"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**/ui/calls/{scene['call']['id']}")
    expect(hint).to_be_hidden()
    expect(
        page.get_by_role("link", name="Answer Gut Microbiome Institute's partner request")
    ).to_be_visible()

    page.goto(f"/ui/partner-requests/{scene['sought']['id']}/answer")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Register your organisation").last).to_be_visible()


def test_organisation_writes_from_a_profile_choosing_the_call(
    page: Any, scene: dict[str, Any]
) -> None:
    """A profile offers "Write to" to other signed-in organisations (not to itself, not signed
    out); the message page first asks which call, its best-fitting calls first, then sends."""
    expect = sync_api.expect
    seeker = scene["seeker"]
    profile = f"/ui/organisations/{seeker['id']}"
    write = page.get_by_role("link", name="Write to Gut Microbiome Institute")
    page.goto(profile)
    expect(write).to_be_hidden()
    sign_in(page, seeker["api_key"], "Gut Microbiome Institute")
    page.goto(profile)
    page.wait_for_function(SETTLED)
    expect(write).to_be_hidden()

    sign_in(page, scene["irish"]["api_key"], "Coeliac Patients Ireland")
    page.goto(profile)
    write.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write to Gut Microbiome Institute")
    choice = page.get_by_label("Which call is your message about?")
    expect(choice.locator("optgroup").first).to_have_attribute(
        "label", "Calls that fit Gut Microbiome Institute"
    )
    choice.select_option(str(scene["call"]["id"]))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#contact-subject")).to_contain_text("E2E-GUT-2099")
    page.get_by_label("Your message").fill("Could our Irish coeliac panel join too?")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#contact-sent")).to_be_visible()
