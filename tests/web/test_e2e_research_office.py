"""What a university research office coordinating a consortium tripped on, end to end in
Chromium against a real uvicorn: adding an accepted partner to the draft from the inbox,
naming its draft in a message written from a call's page, an administrator's view of a
profile, a long organisation name in the header, and the IHI in-kind question on the form.
"""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.servers import ADMIN_TOKEN
from tests.web.browser import DESKTOP, PHONE, SETTLED, TIMEOUT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = sync_api.expect
OFFICE = "Research Office of the University of Nephrotopia and its Associated Teaching Hospitals"


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A call needing a university and patients; a university research office (with a long
    name) that drafts for it, and a patient organisation."""
    call = create_call(
        server,
        identifier="E2E-OFFICE-2099",
        title="Nephron regeneration with patients involved",
        description="Nephron regeneration organoids, kidney patient panels.",
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-06-30",
    )
    office = create_organisation(
        server,
        name=OFFICE,
        description="Nephron regeneration organoids research.",
        keywords=["nephron regeneration", "organoids"],
        activities=[],
        contact_email="office@nephrotopia.example",
    )
    patients = create_organisation(
        server,
        name="Nephron Patients Network",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Kidney patient panels for nephron regeneration studies.",
        keywords=["nephron regeneration", "kidney patients"],
        activities=[],
        contact_email="hello@nephron-patients.example",
    )
    return {"call": call, "office": office, "patients": patients}


def _tab(browser: Any, server: httpx.Client, problems: list[str], viewport: Any = DESKTOP) -> Any:
    """A fresh tab of its own (its own session storage), reporting script errors."""
    context = browser.new_context(viewport=viewport, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page


def _draft(server: httpx.Client, owner: dict[str, Any], call: dict[str, Any], name: str) -> Any:
    """A draft of `owner` for the call, with the owner alone as its coordinator."""
    return created(
        server.post(
            "/consortia",
            headers=bearer(owner["api_key"]),
            json={
                "name": name,
                "call_id": call["id"],
                "members": [{"organisation_id": owner["id"], "role": "coordinator"}],
            },
        )
    )


def test_an_accepted_answer_to_a_drafts_partner_request_adds_its_sender_to_the_draft(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """The owner accepted an answer to the partner request its draft published: the inbox
    offers "Add to your draft", adds the sender there, then says it is a member."""
    call, office, patients = scene["call"], scene["office"], scene["patients"]
    draft = _draft(server, office, call, "Nephron regeneration bid")
    published = created(
        server.post(
            f"/consortia/{draft['id']}/partner-requests",
            headers=bearer(office["api_key"]),
            json={"pitch": "We need patient panels."},
        )
    )
    answer = created(
        server.post(
            f"/partner-requests/{published['id']}/interest",
            headers=bearer(patients["api_key"]),
            json={"message": "Our panels could join."},
        )
    )
    accepted = server.post(
        f"/contact-requests/{answer['id']}/accept", headers=bearer(office["api_key"])
    )
    assert accepted.status_code == 200, accepted.text
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, office["api_key"], OFFICE)

    page.goto("/ui/inbox")
    item = page.locator(f"#received-list li[data-request-id='{answer['id']}']")
    add = item.get_by_role(
        "button", name="Add to your draft Nephron regeneration bid: Nephron Patients Network"
    )
    expect(add).to_have_text("Add to your draft")
    expect(item.locator(f"a[href='/ui/consortia/{draft['id']}']")).to_have_text(
        "Nephron regeneration bid"
    )
    add.click()
    expect(page.locator("#status")).to_have_text(
        "Added Nephron Patients Network to your draft Nephron regeneration bid."
    )
    members = server.get(f"/consortia/{draft['id']}").json()["members"]
    assert [(m["organisation"]["id"], m["role"]) for m in members] == [
        (office["id"], "coordinator"),
        (patients["id"], "partner"),
    ]
    expect(item.locator(f"[data-in-draft='{draft['id']}']")).to_have_text(
        "Nephron Patients Network is a member of your draft Nephron regeneration bid."
    )
    expect(item.get_by_role("button", name="Add to your draft")).to_have_count(0)
    assert not problems


def test_a_message_from_the_calls_suggestions_names_the_writers_draft_when_chosen(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """ "Contact" beside a suggested partner offers the writer's draft for the call, checked
    first; the message sent names it, and the writer's inbox links to it."""
    call, office, patients = scene["call"], scene["office"], scene["patients"]
    draft = _draft(server, office, call, "Second nephron bid")
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, office["api_key"], OFFICE)

    page.goto(f"/ui/calls/{call['id']}")
    page.get_by_role("link", name="Contact Nephron Patients Network").click()
    choice = page.get_by_role("group", name="Your draft for this call")
    named = choice.get_by_label("Name “Second nephron bid” (1 member)")
    expect(named).to_be_checked()
    expect(choice.get_by_label("Name no draft, only the call")).not_to_be_checked()
    page.get_by_label("Your message").fill("Would your panels join our nephron bid?")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#contact-sent")).to_be_visible()

    sent = server.get("/inbox", headers=bearer(office["api_key"])).json()["sent"]
    newest = sent[0]
    assert (newest["counterpart"]["id"], newest["consortium_id"], newest["call"]["id"]) == (
        patients["id"],
        draft["id"],
        call["id"],
    )
    page.goto("/ui/inbox")
    item = page.locator(f"#sent-list li[data-request-id='{newest['id']}']")
    expect(item.get_by_role("link", name="Second nephron bid")).to_have_attribute(
        "href", f"/ui/consortia/{draft['id']}"
    )
    # Once the patients accept, the message that named the draft offers to add them to it.
    accepted = server.post(
        f"/contact-requests/{newest['id']}/accept", headers=bearer(patients["api_key"])
    )
    assert accepted.status_code == 200, accepted.text
    page.reload()
    expect(
        item.get_by_role(
            "button", name="Add to your draft Second nephron bid: Nephron Patients Network"
        )
    ).to_be_visible()
    # Writing to someone else, naming no draft: only the call goes with it.
    other = create_organisation(
        server,
        name="Nephron Regeneration Clinic",
        stakeholder_type="healthcare_provider",
        country="FR",
        description="Nephron regeneration trials with kidney patients.",
        keywords=["nephron regeneration"],
        activities=[],
    )
    page.goto(f"/ui/organisations/{other['id']}/contact?call_id={call['id']}")
    page.get_by_label("Name no draft, only the call").check()
    page.get_by_label("Your message").fill("Could your clinic run the trial?")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#contact-sent")).to_be_visible()
    newest = server.get("/inbox", headers=bearer(office["api_key"])).json()["sent"][0]
    assert (newest["counterpart"]["id"], newest["consortium_id"]) == (other["id"], None)
    assert not problems


def test_a_writer_without_a_draft_for_the_call_is_offered_none(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """The patients have no draft for the call: the form names only the call."""
    call, office, patients = scene["call"], scene["office"], scene["patients"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, patients["api_key"], "Nephron Patients Network")
    page.goto(f"/ui/organisations/{office['id']}/contact?call_id={call['id']}")
    expect(page.get_by_label("Your message")).to_be_visible()
    page.wait_for_function(SETTLED)
    expect(page.locator("#contact-drafts")).to_be_empty()
    assert not problems


def test_an_administrator_sees_wording_and_actions_that_fit_an_administrator(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Signed in with an admin's key, a profile offers no "Write to" nor "Replace your key",
    says "this organisation" rather than "your", and the message form says why it is not
    there; the owner still sees its own words."""
    office = scene["office"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, ADMIN_TOKEN, "an administrator")

    page.goto(f"/ui/organisations/{office['id']}")
    page.wait_for_function(SETTLED)
    header = page.locator(".page-header")
    expect(header.get_by_role("link", name=f"Write to {OFFICE}")).to_be_hidden()
    expect(header.get_by_role("button", name="Replace your key")).to_be_hidden()
    expect(header.get_by_role("link", name="Edit your profile")).to_be_hidden()
    expect(header.get_by_role("link", name="Edit this profile")).to_be_visible()
    expect(header.get_by_role("link", name="Add its EU projects from CORDIS")).to_be_visible()
    expect(page.locator("#owner-contact")).to_have_text(
        "Contact e-mail (only this organisation and administrators see it): "
        "office@nephrotopia.example",
        use_inner_text=True,
    )
    expect(page.locator("#fitting-requests-heading")).to_have_text(
        "Partner requests this organisation could answer", use_inner_text=True
    )
    visible = page.locator("main").inner_text()
    assert "your" not in visible.lower().replace("your key", ""), visible

    page.goto(f"/ui/organisations/{office['id']}/contact?call_id={scene['call']['id']}")
    expect(page.locator("#contact-admin")).to_be_visible()
    expect(page.locator("#contact-admin")).to_contain_text(
        "You are signed in with an administrator's key, which writes for no organisation"
    )
    expect(page.get_by_label("Your message")).to_be_hidden()
    page.goto("/ui/inbox")
    expect(page.locator("#inbox-panel")).to_have_text(
        "This belongs to an organisation, and an administrator's key acts for none: "
        "sign in with the organisation's own key to see it."
    )
    expect(page.get_by_role("form", name="Filter the inbox")).to_be_hidden()

    owner = _tab(browser, server, problems)
    sign_in(owner, office["api_key"], OFFICE)
    owner.goto(f"/ui/organisations/{office['id']}")
    expect(owner.get_by_role("link", name="Edit your profile")).to_be_visible()
    expect(owner.get_by_role("link", name="Edit this profile")).to_be_hidden()
    expect(owner.locator("#fitting-requests-heading")).to_have_text(
        "Partner requests you could answer", use_inner_text=True
    )
    assert not problems


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_organisation_name_is_cut_short_in_the_header_not_wrapped(
    server: httpx.Client, browser: Any, scene: dict[str, Any], viewport: Any
) -> None:
    """At 1280 px the header stays one line however long the name; on a phone the name takes
    one line of its own; the whole name is the link's tooltip and its text."""
    problems: list[str] = []
    page = _tab(browser, server, problems, viewport)
    sign_in(page, scene["office"]["api_key"], OFFICE)
    page.goto("/ui/calls")
    link = page.locator(".session-who a")
    expect(link).to_have_attribute("title", f"Signed in as {OFFICE}")
    sizes = page.evaluate(
        """() => {
          const box = (selector) => document.querySelector(selector).getBoundingClientRect();
          const name = document.querySelector(".session-who a");
          return {
            header: box(".site-header").height,
            brand: box(".brand").height,
            who: box(".session-who").height,
            cut: name.scrollWidth > name.clientWidth,
            width: document.documentElement.scrollWidth,
          };
        }"""
    )
    assert sizes["cut"] is True
    assert sizes["width"] <= viewport["width"]
    assert sizes["who"] < 2 * sizes["brand"]  # one line
    if viewport is DESKTOP:
        assert sizes["header"] < 2.5 * sizes["brand"], sizes  # one row: brand, menu, session
    expect(page.locator("[data-action='sign-out']")).to_be_in_viewport()
    assert not problems


def test_the_ihi_question_is_asked_where_it_applies_and_a_stored_answer_survives_a_type_change(
    server: httpx.Client, browser: Any
) -> None:
    """ "IHI in-kind contributor" appears for industry and the types that can be contributing
    partners, not for a university; an answer given stays shown, and stored, when the type
    changes, and editing a profile of another type keeps what was stored."""
    problems: list[str] = []
    page = _tab(browser, server, problems)
    page.goto("/ui/organisations/new")
    question = page.get_by_label("IHI in-kind contributor")
    kind = page.get_by_label("Stakeholder type")
    expect(question).to_be_hidden()
    for value, shown in [
        ("academia", False),
        ("industry", True),
        ("regulator", False),
        ("sme", True),
        ("healthcare_provider", False),
        ("patient_organisation", True),
        ("public_body", False),
        ("other", True),
    ]:
        kind.select_option(value)
        expect(question).to_be_visible() if shown else expect(question).to_be_hidden()

    kind.select_option("industry")
    question.select_option("false")
    kind.select_option("academia")  # an answer given is never hidden
    expect(question).to_have_value("false")
    page.get_by_label("Name").fill("Tubule Analytics University Spin-out")
    page.get_by_label("Country").select_option("NL")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-panel")).to_be_visible()
    organisation_id = int(
        (page.locator("#new-profile-link").get_attribute("href") or "").rsplit("/", 1)[1]
    )
    stored = server.get(f"/organisations/{organisation_id}").json()
    assert (stored["stakeholder_type"], stored["ihi_contributor"]) == ("academia", False)

    # A company that said yes becomes a public body: the question stays, with its answer,
    # and saving keeps it; a university that was never asked keeps nothing it did not set.
    company = create_organisation(
        server, name="Tubule Devices", stakeholder_type="industry", ihi_contributor=True
    )
    sign_in(page, company["api_key"], "Tubule Devices")
    page.goto(f"/ui/organisations/{company['id']}/edit")
    expect(question).to_have_value("true")
    kind.select_option("public_body")
    expect(question).to_be_visible()
    expect(question).to_have_value("true")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    edited = server.get(f"/organisations/{company['id']}").json()
    assert (edited["stakeholder_type"], edited["ihi_contributor"]) == ("public_body", True)
    page.reload()
    expect(question).to_have_value("true")

    university = create_organisation(server, name="Tubule University", stakeholder_type="academia")
    sign_in(page, university["api_key"], "Tubule University")
    page.goto(f"/ui/organisations/{university['id']}/edit")
    expect(question).to_be_hidden()
    page.get_by_label("City").fill("Delft")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    edited = server.get(f"/organisations/{university['id']}").json()
    assert (edited["city"], edited["ihi_contributor"]) == ("Delft", None)
    assert not problems


def test_a_drafts_breadcrumb_and_tab_title_name_it_and_follow_a_rename(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """With several drafts open in tabs, each tab's title and breadcrumb say which draft it
    is, not its number, and a rename shows there at once."""
    office, call = scene["office"], scene["call"]
    draft = _draft(server, office, call, "Tubular bid")
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, office["api_key"], OFFICE)
    page.goto(f"/ui/consortia/{draft['id']}")
    crumb = page.locator(".breadcrumbs [aria-current='page']")
    expect(crumb).to_have_text("Tubular bid")
    expect(page).to_have_title("Tubular bid · matchmaker")
    page.get_by_text("Rename this draft").click()
    page.get_by_label("New name").fill("Tubular regeneration bid")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(crumb).to_have_text("Tubular regeneration bid")
    expect(page).to_have_title("Tubular regeneration bid · matchmaker")
    assert not problems


def test_a_drafts_pitch_and_finder_survive_adding_a_member_and_leaving_asks_first(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """A pitch half typed for the partner request, then a member added from the finder: the
    pitch, the finder's words and its results (the new member marked) are all still there,
    and leaving the page with the unsent pitch asks first."""
    office, call = scene["office"], scene["call"]
    draft = _draft(server, office, call, "Pitch bid")
    lab = create_organisation(
        server,
        name="Nephron Imaging Lab",
        stakeholder_type="sme",
        description="Imaging of nephron regeneration.",
        activities=[],
    )
    problems: list[str] = []
    page = _tab(browser, server, problems)
    asked: list[str] = []

    def stay(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    sign_in(page, office["api_key"], OFFICE)
    page.goto(f"/ui/consortia/{draft['id']}")
    pitch = page.get_by_label("Why join, in a few sentences (optional)")
    pitch.click()
    page.keyboard.type("Our nephron organoids need your panels.")
    page.get_by_label("Name or expertise").fill("Nephron Imaging")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name="Add Nephron Imaging Lab to the draft").click()
    expect(page.locator("#status")).to_have_text("Added Nephron Imaging Lab.")
    page.wait_for_function(SETTLED)
    expect(pitch).to_have_value("Our nephron organoids need your panels.")
    expect(page.get_by_label("Name or expertise")).to_have_value("Nephron Imaging")
    row = page.locator(f"#finder-results li[data-organisation-id='{lab['id']}']")
    expect(row.locator("[data-in-draft]")).to_have_text("In the draft")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calls").click()
    expect(pitch).to_have_value("Our nephron organoids need your panels.")
    assert asked == ["beforeunload"]
    assert not problems


def test_an_open_request_for_a_type_the_draft_has_found_since_says_to_withdraw_it(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """A draft published its lack of patients, then took the patients in: its request, still
    asking for them on the call's page, says so beside Withdraw."""
    office, call, patients = scene["office"], scene["call"], scene["patients"]
    draft = _draft(server, office, call, "Found patients bid")
    published = created(
        server.post(
            f"/consortia/{draft['id']}/partner-requests",
            headers=bearer(office["api_key"]),
            json={},
        )
    )
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, office["api_key"], OFFICE)
    page.goto(f"/ui/consortia/{draft['id']}")
    item = page.locator(f"li[data-partner-request-id='{published['id']}']")
    expect(item.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(item.locator("[data-request-outdated]")).to_have_count(0)

    page.get_by_role("button", name="Add Nephron Patients Network to the draft").first.click()
    expect(page.locator("#status")).to_have_text("Added Nephron Patients Network.")
    expect(item.locator("[data-request-outdated]")).to_have_text(
        "The draft now has all the patient organisations the call requires, yet this request "
        "still asks for them on the call's page. Withdraw it."
    )
    assert patients["id"] in [
        m["organisation"]["id"] for m in server.get(f"/consortia/{draft['id']}").json()["members"]
    ]
    assert not problems
