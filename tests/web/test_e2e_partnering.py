"""From suggestion to conversation, end to end in Chromium against a real uvicorn.

A proposal writer contacts an organisation the call page suggests; the recipient accepts in
its inbox; only then do both see each other's contact address, on any page either can open.
A draft's missing stakeholder types are published as a partner request from its coverage panel.
"""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import created
from tests.web.browser import DESKTOP, SETTLED, TIMEOUT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRITER_EMAIL = "writer@kidney-institute.example"
PATIENTS_EMAIL = "hello@kidney-patients.example"
# Markup in a message is text: shown as typed, never run or rendered.
MESSAGE = "We are writing a proposal on xenotransplant tolerance. <b>Join us?</b>"


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A call for xenotransplant tolerance, a university writing for it, and patients."""
    call = create_call(
        server,
        identifier="E2E-XENO-2099",
        title="Xenotransplant tolerance with patients involved",
        description="Xenotransplant tolerance biomarkers, kidney patient panels.",
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-06-30",
    )
    writer = create_organisation(
        server,
        name="Kidney Tolerance Institute",
        description="Xenotransplant tolerance biomarkers research.",
        keywords=["xenotransplant", "tolerance"],
        activities=[],
        contact_email=WRITER_EMAIL,
    )
    patients = create_organisation(
        server,
        name="Kidney Patients Europe",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Kidney patient panels for xenotransplant tolerance studies.",
        keywords=["xenotransplant", "kidney patients"],
        activities=[],
        contact_email=PATIENTS_EMAIL,
    )
    return {"call": call, "writer": writer, "patients": patients}


def _tab(browser: Any, server: httpx.Client, problems: list[str]) -> Any:
    """A fresh tab of its own (its own session storage), reporting script errors."""
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    return page


def _texts(page: Any, paths: list[str]) -> dict[str, str]:
    """Each page's HTML once its script has loaded what it loads."""
    found = {}
    for path in paths:
        page.goto(path)
        page.wait_for_function(SETTLED)
        found[path] = page.content()
    return found


def test_writer_contacts_a_suggestion_and_addresses_are_shared_only_on_acceptance(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Contact from the call's suggestions, accept in the inbox, then both see the address."""
    expect = sync_api.expect
    call, writer, patients = scene["call"], scene["writer"], scene["patients"]
    problems: list[str] = []
    page = _tab(browser, server, problems)

    # Signed out, the call page offers no Contact; signed in, each suggestion but one's own has it.
    page.goto(f"/ui/calls/{call['id']}")
    row = page.locator(f"#suggestion-table tr[data-organisation-id='{patients['id']}']")
    expect(row).to_have_count(1)
    contact = row.get_by_role("link", name="Contact Kidney Patients Europe")
    expect(contact).to_be_hidden()
    sign_in(page, writer["api_key"], "Kidney Tolerance Institute")
    page.goto(f"/ui/calls/{call['id']}")
    expect(contact).to_be_visible()
    own = page.locator(f"#suggestion-table tr[data-organisation-id='{writer['id']}'] a.button")
    expect(own).to_be_hidden()

    # The message form names the call; an empty message is refused in the page, not sent.
    contact.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write to Kidney Patients Europe")
    expect(page.locator("#contact-subject")).to_contain_text("E2E-XENO-2099")
    page.get_by_role("button", name="Send message").click()
    errors = page.locator("#contact-errors")
    expect(errors).to_contain_text("Not sent")
    # The field is marked, and its description gives the error before its hint.
    field = page.get_by_label("Your message")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        re.compile(r"^Write your message first\. Plain text, at most 2,000 characters")
    )
    field.fill(MESSAGE)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message-error")).to_be_hidden()
    expect(page.locator("[data-message-count]")).to_have_text(
        f"{2000 - len(MESSAGE)} characters left."
    )
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#contact-sent")).to_be_visible()
    expect(page.locator("#contact-sent")).to_be_focused()

    # While it waits, the page says so instead of offering the form again.
    page.reload()
    expect(page.locator("#contact-check")).to_contain_text("still waiting for an answer")
    expect(page.get_by_role("button", name="Send message")).to_be_hidden()

    # The writer's inbox shows it sent and waiting; no address yet, anywhere.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    sent = page.locator("#sent-list li.contact-request")
    expect(sent).to_have_count(1)
    expect(sent.first).to_contain_text("Waiting for an answer")
    expect(
        sent.first.get_by_role("button", name="Withdraw your request to Kidney Patients Europe")
    ).to_be_visible()
    pages_of_writer = [
        f"/ui/calls/{call['id']}",
        f"/ui/organisations/{patients['id']}",
        f"/ui/organisations/{patients['id']}/contact?call_id={call['id']}",
        "/ui/inbox",
    ]
    before = _texts(page, pages_of_writer)
    assert [path for path, html in before.items() if PATIENTS_EMAIL in html] == []

    # The recipient signs in in its own tab: the message is in its inbox, as text.
    other = _tab(browser, server, problems)
    sign_in(other, patients["api_key"], "Kidney Patients Europe")
    pages_of_patients = [
        f"/ui/calls/{call['id']}",
        f"/ui/organisations/{writer['id']}",
        "/ui/inbox",
    ]
    before = _texts(other, pages_of_patients)
    assert [path for path, html in before.items() if WRITER_EMAIL in html] == []
    received = other.locator("#received-list li.contact-request")
    expect(received).to_have_count(1)
    expect(received.first.locator(".message")).to_have_text(MESSAGE)
    expect(received.first.locator(".message b")).to_have_count(0)
    expect(received.first).to_contain_text("E2E-XENO-2099")

    # Accepting it, once confirmed, shows the writer's address to the recipient...
    other.once("dialog", lambda dialog: dialog.accept())
    received.first.get_by_role(
        "button", name="Accept the request from Kidney Tolerance Institute"
    ).click()
    expect(other.locator("#status")).to_contain_text("now see each other's contact address")
    expect(received.first).to_contain_text("Accepted")
    expect(received.first.get_by_role("link", name=WRITER_EMAIL)).to_have_attribute(
        "href", f"mailto:{WRITER_EMAIL}"
    )
    expect(
        received.first.get_by_role(
            "button", name="Accept the request from Kidney Tolerance Institute"
        )
    ).to_have_count(0)

    # ... and the recipient's to the writer, in its inbox.
    page.goto("/ui/inbox")
    expect(sent.first).to_contain_text("Accepted")
    expect(sent.first.get_by_role("link", name=PATIENTS_EMAIL)).to_be_visible()
    # Still nowhere else: the addresses are in the accepted request only.
    after = _texts(page, pages_of_writer[:3])
    assert [path for path, html in after.items() if PATIENTS_EMAIL in html] == []

    page.context.close()
    other.context.close()
    assert problems == []


def test_writer_publishes_the_drafts_gaps_as_a_partner_request(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """From the draft's coverage panel, one click publishes what it lacks on the call's page;
    the panel lists it, and withdraws it."""
    expect = sync_api.expect
    call, writer = scene["call"], scene["writer"]
    draft = created(
        server.post(
            "/consortia",
            headers={"Authorization": f"Bearer {writer['api_key']}"},
            json={
                "name": "Xeno draft",
                "call_id": call["id"],
                "members": [{"organisation_id": writer["id"], "role": "coordinator"}],
            },
        )
    )
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Kidney Tolerance Institute")
    page.goto(f"/ui/consortia/{draft['id']}")
    gap = page.locator("li.requirement[data-requirement='patient_organisation']")
    expect(gap).to_have_attribute("data-met", "false")
    expect(gap.get_by_role("link", name="Contact Kidney Patients Europe")).to_have_attribute(
        "href",
        f"/ui/organisations/{scene['patients']['id']}/contact"
        f"?call_id={call['id']}&consortium_id={draft['id']}",
    )
    # The coverage column is long: its top leads to the form that publishes what is lacking.
    page.get_by_role("link", name="Ask for the partners you lack").click()
    expect(page.get_by_label("Why join, in a few sentences (optional)")).to_be_in_viewport()
    page.get_by_label("Expertise sought (optional)").fill("Kidney patient panels.")
    page.get_by_label("Why join, in a few sentences (optional)").fill("Patients from day one.")
    page.get_by_role("button", name="Publish as partner request").click()
    expect(page.locator("#status")).to_contain_text("Published your partner request")
    expect(page.locator("#publish-jump")).to_have_count(0)

    page.goto(f"/ui/calls/{call['id']}#partner-requests")
    listed = page.locator("#partner-requests li.partner-request")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Kidney Tolerance Institute")
    expect(listed.first).to_contain_text("Looking for: Patient organisation")
    expect(listed.first).to_contain_text("Patients from day one.")
    expect(listed.first).to_contain_text("Expertise sought: Kidney patient panels.")
    expect(listed.first.get_by_role("link", name="Answer")).to_be_hidden()
    assert WRITER_EMAIL not in page.content()

    # The patients answer it from the call's page; it waits in the writer's inbox.
    other = _tab(browser, server, problems)
    sign_in(other, scene["patients"]["api_key"], "Kidney Patients Europe")
    other.goto(f"/ui/calls/{call['id']}#partner-requests")
    other.get_by_role("link", name="Answer Kidney Tolerance Institute's partner request").click()
    expect(other.get_by_role("heading", level=1)).to_have_text(
        "Answer Kidney Tolerance Institute's partner request"
    )
    other.get_by_label("Your message").fill("Our patient panel would like to join.")
    other.get_by_role("button", name="Send message").click()
    expect(other.locator("#contact-sent")).to_be_visible()
    page.goto("/ui/inbox")
    answer = page.locator("#received-list li.contact-request").filter(
        has_text="Our patient panel would like to join."
    )
    expect(answer).to_contain_text("Answers your partner request")
    expect(answer).to_contain_text("Waiting for your answer")
    # (The earlier accepted request shows the address; this one, waiting, does not.)
    expect(answer).not_to_contain_text(PATIENTS_EMAIL)

    # The draft lists its request; withdrawn there, it leaves the call's page.
    page.goto(f"/ui/consortia/{draft['id']}")
    mine = page.locator("section.draft-requests li")
    expect(mine).to_have_count(1)
    expect(mine.first).to_have_attribute("data-status", "open")
    expect(mine.first).to_contain_text("Patients from day one.")
    expect(mine.first).to_contain_text("Expertise sought: Kidney patient panels.")
    page.once("dialog", lambda dialog: dialog.accept())
    mine.first.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#status")).to_contain_text("Withdrew your partner request")
    expect(mine.first).to_have_attribute("data-status", "withdrawn")
    expect(mine.first.get_by_role("button", name="Withdraw")).to_have_count(0)
    page.goto(f"/ui/calls/{call['id']}#partner-requests")
    expect(page.locator("#partner-requests li.partner-request")).to_have_count(0)
    page.context.close()
    other.context.close()
    assert problems == []


def test_an_answer_to_a_publisher_without_an_address_says_it_is_not_e_mailed(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """A publisher whose profile gives no contact e-mail is not e-mailed an answer: the answer
    form says so before it is sent, and the sent notice, which takes the focus, says it again."""
    expect = sync_api.expect
    call, patients = scene["call"], scene["patients"]
    publisher = create_organisation(
        server,
        name="Quiet Transplant Centre",
        stakeholder_type="healthcare_provider",
        description="Xenotransplant tolerance trials.",
        contact_email=None,
    )
    published = server.post(
        f"/calls/{call['id']}/partner-requests",
        headers={"Authorization": f"Bearer {publisher['api_key']}"},
        json={"stakeholder_types": ["patient_organisation"], "expertise": "Patient panels."},
    )
    assert published.status_code == 201, published.text
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, patients["api_key"], "Kidney Patients Europe")
    page.goto(f"/ui/partner-requests/{published.json()['id']}/answer")
    before = page.locator("#contact-check [data-contact-unmailed]")
    expect(before).to_contain_text(
        "Quiet Transplant Centre's profile gives no contact e-mail, so your answer is not "
        "e-mailed to it"
    )
    expect(before).to_contain_text("they see it when they next sign in")
    page.get_by_label("Your message").fill("Our patient panel would like to join.")
    page.get_by_role("button", name="Send message").click()
    sent = page.locator("#contact-sent")
    expect(sent).to_be_focused()
    expect(sent).to_contain_text("Your answer was sent to Quiet Transplant Centre.")
    expect(sent).to_contain_text(
        "Quiet Transplant Centre is not e-mailed about it, as its profile gives no contact "
        "e-mail: they will see it when they next sign in."
    )
    page.context.close()
    assert problems == []


def test_a_call_page_says_beside_answer_which_requests_do_not_fit_in_one_request(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Signed in, the call page asks once whether the organisation fits the partner requests
    it lists, and says why beside the Answer of each that it does not fit, and nothing beside
    the others."""
    expect = sync_api.expect
    call, patients = scene["call"], scene["patients"]
    ids = {}
    for name, country in (("Berlin Transplant Clinic", "DE"), ("Brussels Transplant Clinic", "BE")):
        publisher = create_organisation(
            server, name=name, stakeholder_type="healthcare_provider", country=country
        )
        published = server.post(
            f"/calls/{call['id']}/partner-requests",
            headers={"Authorization": f"Bearer {publisher['api_key']}"},
            json={"stakeholder_types": ["patient_organisation"], "countries": [country]},
        )
        ids[country] = created(published)["id"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    asked: list[str] = []
    page.on("request", lambda sent: asked.append(sent.url) if "/fit" in sent.url else None)
    sign_in(page, patients["api_key"], "Kidney Patients Europe")
    page.goto(f"/ui/calls/{call['id']}")
    page.wait_for_function(SETTLED)
    german = page.locator(f'[data-partner-request-id="{ids["DE"]}"] [data-fit-slot]')
    expect(german).to_have_text(
        "Not what this request seeks. It seeks partners from Germany; yours is in Belgium. "
        "You can still answer: say why your organisation would help all the same."
    )
    expect(page.locator(f'[data-partner-request-id="{ids["BE"]}"] [data-fit-slot]')).to_be_empty()
    assert len(asked) == 1
    assert "/ui/partner-requests/fits?" in asked[0]
    page.context.close()
    assert problems == []
