"""What a hospital writing a proposal tripped on, end to end in Chromium against a real uvicorn:
its own organisation left out of the proposal it was to coordinate (also on its way back from
signing in), the draft name it typed lost at each "Keep", a call page counting "(0)"
organisations looking for partners, and no way to find "a regulator" for its draft.
"""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_call, create_organisation
from tests.helpers import bearer, created
from tests.web.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = sync_api.expect


@pytest.fixture(scope="module")
def scene(server: httpx.Client) -> dict[str, Any]:
    """A call needing a university and an SME (at most three partners), one of each that fit
    it well, a hospital that shares no term with it, so is never proposed unless kept, and a
    regulator whose profile never says "regulator"."""
    call = create_call(
        server,
        identifier="E2E-WRITER-2099",
        title="Quorvex zintral plasmodics",
        programme="IHI",
        description="Quorvex zintral plasmodics with zintral assays.",
        rule_set="none",
        required_stakeholders={"academia": 1, "sme": 1},
        min_countries=1,
        max_partners=3,
        opening_date=None,
        deadline="2099-06-30",
    )
    university = create_organisation(
        server,
        name="Quorvex University",
        description="Quorvex zintral plasmodics research.",
        keywords=["quorvex", "zintral plasmodics"],
        activities=[],
    )
    sme = create_organisation(
        server,
        name="Zintral Assays SME",
        stakeholder_type="sme",
        description="Zintral assays for quorvex plasmodics.",
        keywords=["zintral assays", "plasmodics"],
        activities=[],
    )
    hospital = create_organisation(
        server,
        name="Sant Amaro Teaching Hospital",
        stakeholder_type="healthcare_provider",
        country="ES",
        description="A teaching hospital for children's surgery.",
        keywords=[],
        activities=[],
    )
    regulator = create_organisation(
        server,
        name="Sant Amaro Medicines Agency",
        stakeholder_type="regulator",
        country="PT",
        description="Approvals of medicines.",
        keywords=[],
        activities=[],
    )
    return {
        "call": call,
        "university": university,
        "sme": sme,
        "hospital": hospital,
        "regulator": regulator,
    }


def test_a_signed_in_organisation_is_kept_in_the_proposal_it_builds(
    server: httpx.Client, page: Any, scene: dict[str, Any]
) -> None:
    """Signed in, "Build a consortium" proposes with one's own organisation kept in it (the API
    proposes only what it is asked); left out, "Propose with my organisation in it" puts it
    back without the refusal of an organisation both kept and left out; signed out, the
    builder link is the plain one again."""
    call, hospital = scene["call"], scene["hospital"]
    rows = page.locator(".builder-main > .table-scroll .proposal-table tbody tr")
    mine = rows.filter(has_text="Sant Amaro Teaching Hospital")
    include_me = page.get_by_role("link", name="Propose with my organisation in it")

    # Signed out, the proposal is the call's own, without the hospital.
    page.goto(f"/ui/calls/{call['id']}/consortium")
    expect(mine).to_have_count(0)

    sign_in(page, hospital["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/calls/{call['id']}")
    page.get_by_role("link", name="Build a consortium").click()
    page.wait_for_url(f"**/ui/calls/{call['id']}/consortium?include={hospital['id']}")
    expect(mine).to_have_count(1)
    expect(mine.locator(".badge-pinned")).to_have_text("Kept")
    expect(page.locator(".builder-main .notice-ok")).to_contain_text("Meets every requirement")
    expect(include_me).to_be_hidden()

    mine.get_by_role(
        "link", name="Leave out Sant Amaro Teaching Hospital: propose without it"
    ).click()
    expect(mine).to_have_count(0)
    expect(include_me).to_be_visible()
    include_me.click()
    expect(mine.locator(".badge-pinned")).to_have_text("Kept")
    expect(page.locator(".notice-error")).to_have_count(0)
    expect(page.locator(".left-out")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"/ui/calls/{call['id']}")
    expect(page.get_by_role("link", name="Build a consortium")).to_have_attribute(
        "href", f"/ui/calls/{call['id']}/consortium"
    )


def test_a_draft_name_typed_in_the_builder_survives_its_keep_leave_out_and_put_back(
    page: Any, scene: dict[str, Any]
) -> None:
    """Each of the builder's "Keep", "Leave out" and "Put back" loads the page again: the
    draft name typed beside the proposal is still there after each, the draft is created
    with it, and the builder then offers the usual name again."""
    call = scene["call"]
    sign_in(page, scene["hospital"]["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    name = page.get_by_label("Draft name")
    expect(name).to_have_value("E2E-WRITER-2099 consortium")
    name.fill("Quorvex plasmodics, second attempt")

    page.get_by_role("link", name="Keep Quorvex University in every proposal").click()
    page.wait_for_url(f"**/consortium?include={scene['university']['id']}")
    expect(name).to_have_value("Quorvex plasmodics, second attempt")
    page.get_by_role("link", name="Leave out Zintral Assays SME: propose without it").click()
    expect(page.locator(".left-out")).to_contain_text("Zintral Assays SME")
    expect(name).to_have_value("Quorvex plasmodics, second attempt")
    page.get_by_role("link", name="Put back Zintral Assays SME").click()
    expect(page.locator(".left-out")).to_have_count(0)
    expect(name).to_have_value("Quorvex plasmodics, second attempt")

    page.get_by_role("button", name="Create draft").click()
    expect(page.locator("#draft-title")).to_have_text("Quorvex plasmodics, second attempt")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    expect(name).to_have_value("E2E-WRITER-2099 consortium")


def test_keep_leave_out_and_put_back_leave_the_keyboard_on_the_organisations_next_step(
    page: Any, scene: dict[str, Any]
) -> None:
    """Each of the builder's "Keep", "Stop keeping", "Leave out" and "Put back", pressed from
    the keyboard, loads the page again with the focus on that organisation's next step (where
    it went back to the top of the page) and the status saying what was done; an organisation
    no longer proposed after it leaves the focus on the status, which says so."""
    call, hospital = scene["call"], scene["hospital"]
    status = page.locator("#status")

    def press(name: str) -> None:
        page.get_by_role("link", name=name, exact=True).focus()
        page.keyboard.press("Enter")

    page.goto(f"/ui/calls/{call['id']}/consortium")
    press("Keep Quorvex University in every proposal")
    page.wait_for_url(f"**/consortium?include={scene['university']['id']}")
    expect(
        page.get_by_role("link", name="Stop keeping Quorvex University in every proposal")
    ).to_be_focused()
    expect(status).to_have_text("Kept Quorvex University in every proposal.")
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("link", name="Leave out Quorvex University: propose without it")
    ).to_be_focused()

    press("Stop keeping Quorvex University in every proposal")
    expect(
        page.get_by_role("link", name="Keep Quorvex University in every proposal", exact=True)
    ).to_be_focused()
    expect(status).to_have_text("Stopped keeping Quorvex University in every proposal.")

    press("Leave out Zintral Assays SME: propose without it")
    expect(page.get_by_role("link", name="Put back Zintral Assays SME")).to_be_focused()
    expect(status).to_have_text("Left out Zintral Assays SME.")

    press("Put back Zintral Assays SME")
    expect(
        page.get_by_role("link", name="Keep Zintral Assays SME in every proposal", exact=True)
    ).to_be_focused()
    expect(status).to_have_text("Put back Zintral Assays SME.")

    # The hospital shares no term with the call: once no longer kept, it is not proposed.
    page.goto(f"/ui/calls/{call['id']}/consortium?include={hospital['id']}")
    press("Stop keeping Sant Amaro Teaching Hospital in every proposal")
    expect(status).to_be_focused()
    expect(status).to_have_text(
        "Stopped keeping Sant Amaro Teaching Hospital in every proposal. "
        "It is not in the proposed consortium now."
    )


def test_signing_in_from_the_builder_keeps_ones_organisation_in_the_proposal(
    server: httpx.Client, page: Any, scene: dict[str, Any]
) -> None:
    """The builder's own "Sign in" leads back to the builder with one's organisation kept in
    the proposal, as "Build a consortium" does for a signed-in organisation; so does a
    draft's "Back to the builder", in a panel loaded after the page's links were set."""
    call, hospital = scene["call"], scene["hospital"]
    builder = f"/ui/calls/{call['id']}/consortium"
    mine = page.locator(".builder-main > .table-scroll .proposal-table tbody tr").filter(
        has_text="Sant Amaro Teaching Hospital"
    )
    page.goto(builder)
    expect(mine).to_have_count(0)
    page.get_by_role("link", name="Sign in with your organisation key").click()
    page.get_by_label("Organisation key").fill(hospital["api_key"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**{builder}?include={hospital['id']}")
    expect(mine.locator(".badge-pinned")).to_have_text("Kept")

    draft = created(
        server.post(
            "/consortia",
            headers=bearer(hospital["api_key"]),
            json={
                "name": "Quorvex return trip",
                "call_id": call["id"],
                "members": [{"organisation_id": hospital["id"], "role": "coordinator"}],
            },
        )
    )
    page.goto(f"/ui/consortia/{draft['id']}")
    back = page.get_by_role("link", name="Back to the builder")
    expect(back).to_have_attribute("href", f"{builder}?include={hospital['id']}")
    back.click()
    page.wait_for_url(f"**{builder}?include={hospital['id']}")
    expect(mine.locator(".badge-pinned")).to_have_text("Kept")


def test_withdrawing_the_last_partner_request_leaves_no_count_of_zero(
    server: httpx.Client, page: Any, scene: dict[str, Any]
) -> None:
    """The call page counts the partner requests it lists, and none once its publisher
    withdraws the last one there: "Looking for partners", never "Looking for partners (0)";
    the sentence saying none is looking shows at once, not only after a reload."""
    call, hospital = scene["call"], scene["hospital"]
    created(
        server.post(
            f"/calls/{call['id']}/partner-requests",
            headers=bearer(hospital["api_key"]),
            json={"stakeholder_types": ["sme"], "pitch": "An SME for zintral assays?"},
        )
    )
    sign_in(page, hospital["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/calls/{call['id']}")
    heading = page.locator("#partner-requests-heading")
    jump = page.locator("[data-jump-requests]")
    expect(heading).to_have_text("Looking for partners (1)")
    expect(jump).to_have_text("Looking for partners (1)")
    expect(page.locator("#partner-requests .empty")).to_be_hidden()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw your partner request").click()
    expect(page.locator("#status")).to_have_text(
        "Withdrew your partner request: it is no longer listed here."
    )
    expect(heading).to_have_text("Looking for partners")
    expect(jump).to_have_text("Looking for partners")
    # At once, as a reload renders it: the list gone, the sentence saying there are none.
    expect(page.locator("#partner-requests ol.cards")).to_have_count(0)
    expect(page.locator("#partner-requests .empty")).to_be_visible()
    expect(page.locator("#partner-requests .empty")).to_contain_text(
        "No organisation is looking for partners for this call yet."
    )
    page.reload()
    expect(heading).to_have_text("Looking for partners")
    expect(page.locator("#partner-requests .empty")).to_contain_text(
        "No organisation is looking for partners for this call yet."
    )


def test_the_draft_finder_finds_a_regulator_by_its_type(
    server: httpx.Client, page: Any, scene: dict[str, Any]
) -> None:
    """Adding "a regulator" the call does not ask for: the finder lists the organisations of
    the type chosen, without words, and still reads that type after one of them is added."""
    call, hospital, regulator = scene["call"], scene["hospital"], scene["regulator"]
    draft = created(
        server.post(
            "/consortia",
            headers=bearer(hospital["api_key"]),
            json={
                "name": "Quorvex consortium",
                "call_id": call["id"],
                "members": [{"organisation_id": hospital["id"], "role": "coordinator"}],
            },
        )
    )
    sign_in(page, hospital["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/consortia/{draft['id']}")
    kind = page.get_by_label("Stakeholder type")
    kind.select_option("regulator")
    page.get_by_role("button", name="Find").click()
    found = page.locator("#finder-results")
    expect(found).to_contain_text("regulator")
    found.get_by_role("button", name="Add Sant Amaro Medicines Agency to the draft").click()
    expect(page.locator("#status")).to_have_text("Added Sant Amaro Medicines Agency.")
    expect(kind).to_have_value("regulator")
    row = found.locator(f"li[data-organisation-id='{regulator['id']}']")
    expect(row.locator("[data-in-draft]")).to_have_text("In the draft")
    expect(found.locator("li.candidate .tag:not(.tag-regulator)")).to_have_count(0)


def test_ones_own_organisation_among_suggested_partners_says_so(
    page: Any, scene: dict[str, Any]
) -> None:
    """Where the others have "Contact", one's own organisation reads "Your organisation"
    instead of an empty cell; signed out, neither shows."""
    university, sme = scene["university"], scene["sme"]
    page.goto(f"/ui/calls/{scene['call']['id']}")
    own = page.locator(f"#suggestion-table tr[data-organisation-id='{university['id']}']")
    other = page.locator(f"#suggestion-table tr[data-organisation-id='{sme['id']}']")
    expect(own.get_by_text("Your organisation")).to_be_hidden()
    sign_in(page, university["api_key"], "Quorvex University")
    page.goto(f"/ui/calls/{scene['call']['id']}")
    expect(own.get_by_text("Your organisation")).to_be_visible()
    expect(own.get_by_role("link", name="Contact Quorvex University")).to_be_hidden()
    expect(other.get_by_role("link", name="Contact Zintral Assays SME")).to_be_visible()
    expect(other.get_by_text("Your organisation")).to_be_hidden()


def test_a_drafts_download_is_named_after_it_in_its_own_letters(
    server: httpx.Client, page: Any, scene: dict[str, Any]
) -> None:
    """ "Download CSV" saves the file under the draft's name, its accents kept (the server's
    `filename*`), where every draft was `consortium-<id>.csv`; the status says which file."""
    call, hospital = scene["call"], scene["hospital"]
    draft = created(
        server.post(
            "/consortia",
            headers=bearer(hospital["api_key"]),
            json={
                "name": "Plasmódicos de Łódź",
                "call_id": call["id"],
                "members": [{"organisation_id": hospital["id"], "role": "coordinator"}],
            },
        )
    )
    sign_in(page, hospital["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/consortia/{draft['id']}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "Plasmódicos-de-Łódź.csv"
    expect(page.locator("#status")).to_have_text("Downloaded Plasmódicos-de-Łódź.csv.")


def test_start_a_draft_from_it_takes_the_keyboard_to_the_draft_form(
    page: Any, scene: dict[str, Any]
) -> None:
    """ "Start a draft from it", pressed from the keyboard, moves the focus to the draft's name
    and says what to do there, where only the view scrolled and the next Tab went on from the
    link; signed out, the focus lands on the form's heading, above the sign-in it needs."""
    call = scene["call"]
    start = page.get_by_role("link", name="Start a draft from it")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Start a draft")).to_be_focused()
    expect(page.locator("#status")).to_have_text(
        "Start a draft: sign in with your organisation key first."
    )

    sign_in(page, scene["hospital"]["api_key"], "Sant Amaro Teaching Hospital")
    page.goto(f"/ui/calls/{call['id']}/consortium")
    start.focus()
    page.keyboard.press("Enter")
    name = page.get_by_label("Draft name")
    expect(name).to_be_focused()
    expect(name).to_be_in_viewport()
    expect(page.locator("#status")).to_have_text(
        "Start a draft: name it, choose what it starts from, then “Create draft”."
    )
    page.keyboard.press("Tab")
    expect(page.get_by_label("The proposed consortium", exact=False)).to_be_focused()
