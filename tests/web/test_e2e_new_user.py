"""What a new user met in the draft builder, the inbox, partnering and saved searches, end to
end in Chromium against a real uvicorn: each test walks one of those paths as the user did.
"""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.web.browser import DESKTOP, SETTLED, TIMEOUT_MS, answer_next_dialog, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDENTIFIER = "E2E-NEW-USER-2099"
# The site's date format, as a pattern: "5 Dec 2026" (`wording.say_date`).
DAY = r"[1-9]\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
# More organisations than the finder shows at first, all found by one word of expertise.
HATCHERIES = 12


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """An IHI call for kidney research needing a university and patients, at most two
    partners; a university writing for it, patients, and a dozen xylotrope hatcheries."""
    call = create_call(
        server,
        identifier=IDENTIFIER,
        title="Kidney organoid tolerance",
        programme="IHI",
        description="Kidney organoid tolerance biomarkers with kidney patient panels.",
        rule_set="ihi",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        max_partners=2,
        opening_date=None,
        deadline="2099-06-30",
    )
    writer = create_organisation(
        server,
        name="Organoid Tolerance Institute",
        description="Kidney organoid tolerance biomarkers research.",
        keywords=["kidney organoid", "tolerance"],
        activities=[],
        contact_email="writer@organoid.example",
    )
    patients = create_organisation(
        server,
        name="Organoid Kidney Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Kidney patient panels for organoid tolerance studies.",
        keywords=["kidney patients", "organoid"],
        activities=[],
        contact_email="hello@organoid-patients.example",
    )
    hatcheries = [
        create_organisation(
            server,
            name=f"Hatchery {number:02d}",
            stakeholder_type="industry",
            description="Xylotrope husbandry and screening services.",
            keywords=["xylotrope"],
            activities=[],
            contact_email=None,
        )
        for number in range(1, HATCHERIES + 1)
    ]
    return {"call": call, "writer": writer, "patients": patients, "hatcheries": hatcheries}


def _tab(browser: Any, server: httpx.Client, problems: list[str]) -> Any:
    """A fresh tab of its own (its own session storage), reporting script errors."""
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page


def _draft(server: httpx.Client, owner: dict[str, Any], call: dict[str, Any], *members: Any) -> Any:
    """A draft of `owner` for the call; `members` are (organisation, role) pairs."""
    return created(
        server.post(
            "/consortia",
            headers=bearer(owner["api_key"]),
            json={
                "name": "New user's draft",
                "call_id": call["id"],
                "members": [{"organisation_id": org["id"], "role": role} for org, role in members],
            },
        )
    )


def test_builder_starts_a_draft_with_only_my_organisation_and_the_draft_is_renamed(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """The builder starts a draft from one's own organisation alone; the draft is renamed on
    its page; "Propose with my organisation in it" shows only when the proposal lacks it."""
    expect = sync_api.expect
    call, writer = scene["call"], scene["writer"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Organoid Tolerance Institute")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    proposal = page.locator(".builder-main > .table-scroll .proposal-table tbody tr")
    expect(proposal.filter(has_text="Organoid Tolerance Institute")).to_have_count(1)
    expect(page.get_by_role("link", name="Propose with my organisation in it")).to_be_hidden()

    page.get_by_label("Only my organisation (add partners later)").check()
    page.get_by_label("Draft name").fill("Just us")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/ui/consortia/*")
    members = page.locator("#member-table tbody tr")
    expect(members).to_have_count(1)
    expect(members.first).to_have_attribute("data-organisation-id", str(writer["id"]))
    expect(members.first).to_have_attribute("data-role", "coordinator")

    page.get_by_text("Rename this draft").click()
    page.get_by_label("New name").fill("Organoid tolerance consortium")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator("#status")).to_have_text(
        "Renamed the draft to Organoid tolerance consortium."
    )
    expect(page.locator("#draft-title")).to_have_text("Organoid tolerance consortium")

    other = _tab(browser, server, problems)
    hatchery = scene["hatcheries"][0]
    sign_in(other, hatchery["api_key"], hatchery["name"])
    other.goto(f"/ui/calls/{call['id']}/consortium")
    include_me = other.get_by_role("link", name="Propose with my organisation in it")
    expect(include_me).to_be_visible()
    expect(include_me).to_have_attribute("href", re.compile(rf"include={hatchery['id']}$"))
    page.context.close()
    other.context.close()
    assert problems == []


def test_remove_asks_first_and_cancelled_keeps_the_member(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Remove on a partner asks first, naming it and how to have it back; cancelled, nothing is
    sent and the member stays; confirmed from the keyboard, it goes."""
    expect = sync_api.expect
    call, writer, patients = scene["call"], scene["writer"], scene["patients"]
    draft = _draft(server, writer, call, (writer, "coordinator"), (patients, "partner"))
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Organoid Tolerance Institute")
    page.goto(f"/ui/consortia/{draft['id']}")
    members = page.locator("#member-table tbody tr")
    expect(members).to_have_count(2)
    asked: list[str] = []

    remove = page.get_by_role("button", name="Remove Organoid Kidney Patients")
    answer_next_dialog(page, asked, accept=False)
    remove.click()
    assert asked == [
        "Remove Organoid Kidney Patients from the draft? To have it back, find it under “Add an "
        "organisation” and add it again."
    ]
    expect(remove).to_be_enabled()
    expect(members).to_have_count(2)
    stored = server.get(f"/consortia/{draft['id']}").json()
    assert [m["organisation"]["id"] for m in stored["members"]] == [writer["id"], patients["id"]]

    answer_next_dialog(page, asked, accept=True)
    remove.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Removed Organoid Kidney Patients.")
    expect(members).to_have_count(1)
    assert len(asked) == 2
    stored = server.get(f"/consortia/{draft['id']}").json()
    assert [m["organisation"]["id"] for m in stored["members"]] == [writer["id"]]
    page.context.close()
    assert problems == []


def test_finder_marks_members_pages_through_results_and_a_missing_coordinator_is_said(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Members are "In the draft", never "Add" (which demoted the coordinator); the finder
    searches names and expertise and shows more on demand; the coordinator's row has no Remove
    but says what to do first; a draft without a coordinator says so."""
    expect = sync_api.expect
    call, writer, patients = scene["call"], scene["writer"], scene["patients"]
    draft = _draft(server, writer, call, (writer, "coordinator"), (patients, "partner"))
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Organoid Tolerance Institute")
    page.goto(f"/ui/consortia/{draft['id']}")
    expect(page.locator("#no-coordinator")).to_have_count(0)

    page.get_by_label("Name or expertise").fill("organoid")
    page.get_by_role("button", name="Find").click()
    found = page.locator("#finder-results li.candidate")
    for member in (writer, patients):
        row = found.filter(has=page.locator(f"a[href='/ui/organisations/{member['id']}']"))
        expect(row).to_have_count(1)
        expect(row.locator("[data-in-draft]")).to_have_text("In the draft")
        expect(row.get_by_role("button")).to_have_count(0)

    page.get_by_label("Name or expertise").fill("xylotrope")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#finder-results")).to_contain_text(
        f"{HATCHERIES} organisations found, the first 10 shown."
    )
    expect(found).to_have_count(10)
    page.get_by_role("button", name=f"Show {HATCHERIES - 10} more").click()
    expect(found).to_have_count(HATCHERIES)
    expect(found.nth(10)).to_be_focused()
    expect(page.locator("#finder-results")).to_contain_text(f"{HATCHERIES} organisations found.")
    expect(page.get_by_role("button", name=re.compile("^Show .* more$"))).to_have_count(0)

    # The coordinator is never removed, which would leave the draft without one: its row
    # offers no Remove, which could only fail, but says what to do first.
    coordinator = page.locator(f"#member-table tr[data-organisation-id='{writer['id']}']")
    expect(coordinator.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    expect(coordinator.locator("[data-coordinator-note]")).to_have_text(
        "To remove the coordinator, make another member the coordinator first."
    )
    stored = server.get(f"/consortia/{draft['id']}").json()
    assert [(m["organisation"]["id"], m["role"]) for m in stored["members"]] == [
        (writer["id"], "coordinator"),
        (patients["id"], "partner"),
    ]
    # A draft can still lack one (made so through the API, or its coordinator's profile was
    # deleted): the page says so.
    leaderless = _draft(server, writer, call, (patients, "partner"))
    page.goto(f"/ui/consortia/{leaderless['id']}")
    expect(page.locator("#no-coordinator")).to_contain_text("The draft has no coordinator")
    page.context.close()
    assert problems == []


def test_a_draft_publishes_one_request_which_its_deletion_withdraws(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """Dates and programme read as on every page; once a request is open the draft offers no
    second one, and says why; the publisher withdraws on the call's page; deleting the draft
    withdraws its request, and its page then says the draft is gone."""
    expect = sync_api.expect
    call, writer, patients = scene["call"], scene["writer"], scene["patients"]
    draft = _draft(server, writer, call, (writer, "coordinator"))
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Organoid Tolerance Institute")
    page.goto(f"/ui/consortia/{draft['id']}")
    expect(page.locator("#rules-heading")).to_have_text("Programme rules (IHI, on 30 Jun 2099)")

    publish = page.get_by_role("button", name="Publish as partner request")
    publish.click()
    expect(page.locator("#status")).to_have_text(
        "Published your partner request: it is listed under “Looking for partners” on the "
        "call's page, open until 30 Jun 2099."
    )
    # A second is not offered (the API refuses one: tests/api/test_partnering.py).
    expect(publish).to_have_count(0)
    expect(page.locator("#publish-open")).to_have_text(
        "Your partner request for this draft is on the call's page until 30 Jun 2099. A draft "
        "has one open request at a time: to publish another, withdraw it below first."
    )
    listed = page.locator("#partner-requests li.partner-request")
    page.goto(f"/ui/calls/{call['id']}")
    expect(listed).to_have_count(1)
    expect(page.locator("#partner-requests-heading .count")).to_have_text("(1)")

    # Another organisation sees no Withdraw; the publisher withdraws a request of its own there.
    other = _tab(browser, server, problems)
    sign_in(other, patients["api_key"], "Organoid Kidney Patients")
    other.goto(f"/ui/calls/{call['id']}")
    expect(other.locator("#partner-requests li.partner-request")).to_have_count(1)
    expect(other.get_by_role("button", name="Withdraw your partner request")).to_be_hidden()
    extra = created(
        server.post(
            f"/calls/{call['id']}/partner-requests",
            headers=bearer(writer["api_key"]),
            json={"stakeholder_types": ["sme"], "pitch": "Any SME?"},
        )
    )
    page.reload()
    expect(listed).to_have_count(2)
    mine = listed.filter(has_text="Any SME?")
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Withdraw your partner request").click()
    expect(page.locator("#status")).to_have_text(
        "Withdrew your partner request: it is no longer listed here."
    )
    expect(listed).to_have_count(1)
    expect(page.locator("#partner-requests-heading .count")).to_have_text("(1)")
    expect(page.locator("[data-jump-requests]")).to_have_text("Looking for partners (1)")
    assert server.get(f"/partner-requests/{extra['id']}").json()["status"] == "withdrawn"

    page.goto(f"/ui/consortia/{draft['id']}")
    page.get_by_text("Delete this draft").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete draft").click()
    page.wait_for_url("**/ui/drafts")
    page.goto(f"/ui/calls/{call['id']}")
    expect(listed).to_have_count(0)
    expect(page.locator("#partner-requests-heading")).to_have_text("Looking for partners")
    expect(page.locator("[data-jump-requests]")).to_have_text("Looking for partners")

    page.goto(f"/ui/consortia/{draft['id']}")
    expect(page.locator("#draft-panel")).to_have_text(
        "This draft was deleted or never existed. See your drafts"
    )
    expect(page.get_by_role("link", name="See your drafts")).to_have_attribute("href", "/ui/drafts")
    page.context.close()
    other.context.close()
    assert problems == []


def test_contact_says_up_front_why_not_and_accepting_asks_first(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """One's own organisation, or one with a request still waiting, gets a sentence instead
    of the form; Accept asks before both addresses are shared; the inbox's sentences have no
    space before their full stops."""
    expect = sync_api.expect
    call, writer, patients = scene["call"], scene["writer"], scene["patients"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, writer["api_key"], "Organoid Tolerance Institute")
    send = page.get_by_role("button", name="Send message")

    page.goto(f"/ui/organisations/{writer['id']}/contact?call_id={call['id']}")
    expect(page.locator("#contact-check")).to_have_text(
        "This is your own organisation: messages go to other organisations. See your profile."
    )
    expect(send).to_be_hidden()

    page.goto(f"/ui/organisations/{patients['id']}/contact?call_id={call['id']}")
    page.wait_for_function(SETTLED)
    expect(send).to_be_visible()
    page.get_by_label("Your message").fill("Would your panel join us?")
    send.click()
    expect(page.locator("#contact-sent")).to_be_visible()
    page.reload()
    expect(page.locator("[data-contact-obstacle='waiting']")).to_have_text(
        re.compile(
            rf"Your earlier request, sent on {DAY}, is still waiting for an answer\. It is in "
            "your inbox, where you can withdraw it"
        )
    )
    expect(send).to_be_hidden()

    other = _tab(browser, server, problems)
    sign_in(other, patients["api_key"], "Organoid Kidney Patients")
    other.goto("/ui/inbox")
    received = other.locator("#received-list li.contact-request").filter(
        has_text="Would your panel join us?"
    )
    sentences = received.locator("p.meta.sentence")
    expect(sentences.first).to_have_text(f"A message about {IDENTIFIER}.", use_inner_text=True)
    expect(sentences.nth(1)).to_have_text(
        re.compile(rf"^Unanswered, it expires on {DAY}\.$"), use_inner_text=True
    )

    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    accept = received.get_by_role("button", name="Accept the request from Organoid Tolerance")
    other.once("dialog", dismiss)
    accept.click()
    assert asked == [
        "Accept the request from Organoid Tolerance Institute? Both contact addresses will be "
        "shared: Organoid Tolerance Institute sees your organisation's address, and you see "
        "theirs."
    ]
    expect(received).to_have_attribute("data-status", "pending")
    expect(received).not_to_contain_text("writer@organoid.example")
    other.once("dialog", lambda dialog: dialog.accept())
    accept.click()
    expect(received).to_have_attribute("data-status", "accepted")
    expect(received.get_by_role("link", name="writer@organoid.example")).to_be_visible()
    page.context.close()
    other.context.close()
    assert problems == []


def test_saved_search_takes_a_programme_from_the_list_and_relevance_in_percent(
    server: httpx.Client, browser: Any, scene: dict[str, Any]
) -> None:
    """The programme is chosen among the calls' own; relevance is a percentage (stored 0 to
    1); refusals use the form's labels, and one the browser replaces does not linger."""
    expect = sync_api.expect
    patients = scene["patients"]
    problems: list[str] = []
    page = _tab(browser, server, problems)
    sign_in(page, patients["api_key"], "Organoid Kidney Patients")
    page.goto("/ui/saved-searches")
    errors = page.locator("#saved-search-errors")
    save = page.get_by_role("button", name="Save search")

    programmes = page.get_by_label("Programme").locator("option")
    expect(programmes.first).to_have_text("Any programme")
    expect(programmes.filter(has_text=re.compile("^IHI$"))).to_have_count(1)
    expect(page.get_by_label("Relevance needed (%)")).to_have_value("3")

    save.click()
    expect(errors).to_have_text(
        "Not saved: Fill in “What you look for”, or tick “Calls that fit our profile”."
    )
    page.get_by_label("What you look for").fill("organoid tolerance")
    page.get_by_label("Relevance needed (%)").fill("150")
    save.click()
    expect(errors).to_be_hidden()

    page.get_by_label("Tell me about").select_option("organisations")
    page.get_by_label("Relevance needed (%)").fill("20")
    page.get_by_label("Programme").select_option("IHI")
    save.click()
    expect(errors).to_have_text(
        "Not saved: Organisations have no programme: set “Programme” to “Any programme”."
    )
    page.get_by_label("What you look for").fill("")
    page.get_by_label("Calls that fit our profile").check()
    save.click()
    expect(errors).to_contain_text("“Calls that fit our profile” is for new calls only")
    expect(errors).not_to_contain_text("fits_profile")

    page.get_by_label("Calls that fit our profile").uncheck()
    page.get_by_label("Tell me about").select_option("calls")
    page.get_by_label("What you look for").fill("organoid tolerance")
    save.click()
    expect(page.locator("#status")).to_contain_text("Saved.")
    listed = page.locator("#saved-search-list li.saved-search")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Programme: IHI. Relevance at least 20%.")
    stored = server.get(
        f"/organisations/{patients['id']}/saved-searches", headers=bearer(patients["api_key"])
    ).json()
    assert [(s["text"], s["programme"], s["threshold"]) for s in stored["items"]] == [
        ("organoid tolerance", "IHI", 0.2)
    ]
    page.context.close()
    assert problems == []
