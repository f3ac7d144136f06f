"""What a new organisation meets on the web: registering once (Back and Forward never register
a copy), being told of the profiles it looks like, errors named by the form's own labels and
shown at their fields, a past project without a title refused, and a lost key recovered by
e-mail. In real Chromium against a real uvicorn serving the demo data."""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.web.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = sync_api.expect


def _named(server: httpx.Client, name: str) -> list[dict[str, Any]]:
    """The stored organisations with exactly this name."""
    found = server.get("/organisations", params={"q": f'"{name}"', "limit": 50}).json()
    return [item for item in found["items"] if item["name"] == name]


def _fill_required(page: Any, name: str, *, country: str = "DE") -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Stakeholder type").select_option("sme")
    page.get_by_label("Country").select_option(country)


def test_back_then_forward_after_registering_shows_what_was_registered_and_its_lookalikes(
    server: httpx.Client, page: Any
) -> None:
    """A profile like a stored one (same country and website host, near-identical name) is
    registered with the stored one listed as a link, and told to have the two merged (the
    stored one was registered here, not imported: there is no record to claim); Back then
    Forward shows the registration done, again with that link, instead of the filled form, and
    no second profile exists."""
    stored = server.post(
        "/organisations",
        json={
            "name": "Nordlys Biobank AS",
            "stakeholder_type": "academia",
            "country": "NO",
            "website": "https://nordlys-biobank.example",
        },
    ).json()
    page.goto("/ui/organisations")
    page.get_by_role("link", name="Register your organisation").click()
    _fill_required(page, "Nordlys Biobank", country="NO")
    page.get_by_label("Website").fill("https://www.nordlys-biobank.example/about")
    page.get_by_label("Contact e-mail").fill("keys@nordlys-biobank.example")
    page.get_by_role("button", name="Register and get my key").click()
    panel = page.locator("#key-panel")
    expect(panel).to_be_visible()
    duplicates = panel.locator("#duplicates")
    expect(duplicates).to_contain_text(
        "Already here, and perhaps the same organisation: 1 profile."
    )
    link = duplicates.get_by_role("link", name="Nordlys Biobank AS")
    expect(link).to_have_attribute("href", f"/ui/organisations/{stored['id']}")
    expect(duplicates.locator("li")).to_have_text(
        "Nordlys Biobank AS (Academia, Norway): the same website and a "
        "near-identical name in the same country"
    )
    # Registered here, not imported: nothing to claim.
    expect(duplicates.locator("p")).to_have_text(
        "Already here, and perhaps the same organisation: 1 profile. If one is yours "
        "(registered here before, by a colleague perhaps), ask an administrator to merge the "
        "two, rather than keeping both:",
        use_inner_text=True,
    )
    created = _named(server, "Nordlys Biobank")
    assert len(created) == 1
    assert page.url.endswith(f"/ui/organisations/new?registered={created[0]['id']}")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/ui/organisations$"))
    page.go_forward()
    registered = page.locator("#registered")
    expect(registered.get_by_role("heading")).to_have_text("Registered: Nordlys Biobank")
    expect(page.locator("#organisation-form")).to_have_count(0)
    expect(registered.get_by_role("link", name="Nordlys Biobank AS")).to_have_attribute(
        "href", f"/ui/organisations/{stored['id']}"
    )
    page.reload()
    expect(page.locator("#organisation-form")).to_have_count(0)
    page.get_by_role("link", name="Register another organisation").click()
    expect(page.get_by_label("Name")).to_have_value("")
    assert len(_named(server, "Nordlys Biobank")) == 1


def test_the_key_panel_says_a_lost_key_is_recovered_by_email_and_sign_in_starts_it(
    server: httpx.Client, page: Any
) -> None:
    """The new key's panel no longer says the key cannot be recovered; "Lost your key?" on the
    sign-in page finds the organisation, asks for its contact address and says what happens
    next in the same words whether or not the address is the organisation's."""
    page.goto("/ui/organisations/new")
    _fill_required(page, "Fjordtek Sensorik")
    page.get_by_label("Contact e-mail").fill("keys@fjordtek.example")
    page.get_by_role("button", name="Register and get my key").click()
    panel = page.locator("#key-panel")
    expect(panel).to_be_visible()
    assert "cannot be recovered" not in panel.inner_text()
    expect(panel.locator("#key-recoverable")).to_be_visible()
    expect(panel.locator("#key-unrecoverable")).to_be_hidden()
    organisation_id = _named(server, "Fjordtek Sensorik")[0]["id"]

    page.get_by_role("button", name="Sign out").click()
    page.goto("/ui/sign-in")
    page.get_by_role("link", name="Lost your key?").click()
    expect(page).to_have_url(re.compile(r"/ui/key-recovery$"))
    page.get_by_label("Your organisation's name").fill("Fjordtek")
    page.get_by_role("button", name="Find my organisation").click()
    page.get_by_role("link", name="Fjordtek Sensorik").click()
    expect(page).to_have_url(re.compile(rf"/ui/key-recovery\?organisation={organisation_id}$"))

    email = page.get_by_label("Your organisation's contact e-mail")
    email.fill("not an address")
    page.get_by_role("button", name="E-mail me a link to a new key").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#contact_email-error")).to_have_text(
        "Write the contact e-mail address, such as name@example.org."
    )

    answers = []
    for address in ("keys@fjordtek.example", "someone.else@fjordtek.example"):
        page.goto(f"/ui/key-recovery?organisation={organisation_id}")
        email = page.get_by_label("Your organisation's contact e-mail")
        email.fill(address)
        page.get_by_role("button", name="E-mail me a link to a new key").click()
        sent = page.locator("#key-recovery-sent")
        expect(sent).to_be_focused()
        answers.append(sent.locator("p").first.inner_text().replace(address, "<address>"))
        expect(page.locator("#key-recovery-form")).to_be_hidden()
    assert answers[0] == answers[1]
    assert answers[0] == (
        "Request received. If <address> is the contact address of Fjordtek Sensorik, a link "
        "is on its way there. For everyone's privacy this page says the same whatever the "
        "address."
    )
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The link works once, within 30 minutes.")


def test_a_profile_without_contact_email_is_told_its_key_cannot_be_recovered(
    server: httpx.Client, page: Any
) -> None:
    """Registered without a contact address, the key panel says a lost key cannot be recovered
    by e-mail until one is added."""
    page.goto("/ui/organisations/new")
    _fill_required(page, "Nocontact Labs")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-unrecoverable")).to_be_visible()
    expect(page.locator("#key-unrecoverable")).to_have_text(
        "You gave no contact e-mail, so a lost key cannot be recovered by e-mail: add one by "
        "editing your profile."
    )
    expect(page.locator("#key-recoverable")).to_be_hidden()


def test_a_form_that_says_nothing_of_expertise_is_told_what_that_costs_and_may_still_register(
    server: httpx.Client, page: Any
) -> None:
    """While expertise, keywords and every project title are empty, a hint above the button
    says calls would find the profile by its name alone; any of them filled hides it. Such a
    profile still registers, and its key panel links to its edit page to describe it."""
    page.goto("/ui/organisations/new")
    hint = page.locator("#expertise-empty")
    expect(hint).to_have_text(
        "Nothing here says yet what your organisation knows: with no expertise, keywords or "
        "past project, calls find it by its name alone, and few will."
    )
    page.get_by_label("Keywords").fill(" ; , ")
    expect(hint).to_be_visible()
    page.get_by_label("Keywords").fill("gait analysis")
    expect(hint).to_be_hidden()
    page.get_by_label("Keywords").fill("")
    expect(hint).to_be_visible()
    page.get_by_role("button", name="Add a past project").click()
    expect(hint).to_be_visible()
    page.get_by_label("Project title").fill("GAIT-AGE: gait in the elderly")
    expect(hint).to_be_hidden()
    page.get_by_role("button", name="Remove past project 1").click()
    expect(hint).to_be_visible()
    page.get_by_label("Expertise").fill("Wearable gait sensors.")
    expect(hint).to_be_hidden()
    page.get_by_label("Expertise").fill("")

    _fill_required(page, "Nameonly Sensorik")
    page.get_by_role("button", name="Register and get my key").click()
    notice = page.locator("#key-no-expertise")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(
        "Your profile does not say yet what your organisation knows, so calls find it by its "
        "name alone: describe your expertise."
    )
    stored = _named(server, "Nameonly Sensorik")[0]["id"]
    expect(notice.get_by_role("link", name="describe your expertise")).to_have_attribute(
        "href", f"/ui/organisations/{stored}/edit"
    )


def test_a_past_project_with_a_summary_but_no_title_is_refused_at_its_title(
    server: httpx.Client, page: Any
) -> None:
    """A project row with a summary and no title is not dropped: its title is marked, the
    error is beside it and in the summary by its label, and nothing is registered."""
    page.goto("/ui/organisations/new")
    _fill_required(page, "Untitled Projects GmbH")
    page.get_by_role("button", name="Add a past project").click()
    page.get_by_role("button", name="Add a past project").click()
    page.get_by_label("Project title").nth(0).fill("KNOWN: a titled project")
    page.get_by_label("What it was about").nth(1).fill("A study of gait in the elderly.")
    page.get_by_role("button", name="Register and get my key").click()
    title = page.get_by_label("Project title").nth(1)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-activity-title-n1")).to_have_text(
        "Give this project a title, or remove it."
    )
    expect(page.get_by_label("Project title").nth(0)).not_to_have_attribute("aria-invalid", "true")
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Past project 2, Project title"])
    assert _named(server, "Untitled Projects GmbH") == []

    title.fill("GAIT-AGE: gait in the elderly")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-panel")).to_be_visible()
    expect(page.locator("#key-no-expertise")).to_be_hidden()
    stored = _named(server, "Untitled Projects GmbH")[0]["id"]
    titles = [item["title"] for item in server.get(f"/organisations/{stored}").json()["activities"]]
    assert titles == ["KNOWN: a titled project", "GAIT-AGE: gait in the elderly"]


def test_invalid_fields_are_named_by_their_labels_and_each_error_shown_once_beside_it(
    page: Any,
) -> None:
    """An empty form: the summary names Name, Stakeholder type and Country as the page labels
    them (never name, stakeholder_type), links to each once, and each message is beside its
    own field once."""
    page.goto("/ui/organisations/new")
    page.get_by_label("Website").fill("not a web address")
    page.get_by_role("button", name="Register and get my key").click()
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary.locator("p")).to_have_text(
        "Not saved: correct these 4 fields, where they are marked."
    )
    expect(summary.get_by_role("link")).to_have_text(
        ["Name", "Stakeholder type", "Country", "Website"]
    )
    assert "_" not in summary.inner_text()
    assert "Some values are not valid" not in summary.inner_text()
    for field in ("name", "stakeholder_type", "country"):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#error-{field}")).to_have_text("Is required.")
    # Each message once, beside its own field: nowhere else on the page.
    expect(page.locator("main").get_by_text("Is required.", exact=True)).to_have_count(3)
    expect(page.locator("#error-website")).to_have_text(
        "Must be a web address, such as https://example.org."
    )
    # Fixing one field clears its error on the next try; the others stay, once each.
    page.get_by_label("Name").fill("Labelled Fields Ltd")
    page.get_by_role("button", name="Register and get my key").click()
    expect(summary.get_by_role("link")).to_have_text(["Stakeholder type", "Country", "Website"])
    expect(page.locator("#error-name")).to_be_hidden()
    expect(page.locator("#error-country")).to_have_text("Is required.")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_ihi_choice_shows_its_whole_text_at_phone_and_desktop_width(
    browser: Any, server: httpx.Client, viewport: sync_api.ViewportSize
) -> None:
    """Every option of "IHI in-kind contributor" fits its select, which keeps what "not
    stated" means in the hint below it."""
    context = browser.new_context(base_url=str(server.base_url).rstrip("/"), viewport=viewport)
    try:
        page = context.new_page()
        page.goto("/ui/organisations/new")
        page.get_by_label("Stakeholder type").select_option("industry")
        select = page.get_by_label("IHI in-kind contributor")
        expect(select.locator("option")).to_have_text(["Not stated", "Yes", "No"])
        # The text each option needs, measured in the select's own font, against the room the
        # closed select gives it (its width less its padding, border and arrow).
        fits = select.evaluate(
            """(select) => {
              const style = getComputedStyle(select);
              const context = document.createElement("canvas").getContext("2d");
              context.font = style.font;
              const room = select.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight) - 16;
              return [...select.options].map((o) => context.measureText(o.text).width <= room);
            }"""
        )
        assert fits == [True, True, True]
        expect(page.locator("#ihi-hint")).to_contain_text(
            "Not stated counts as yes for industry and as no for every other type."
        )
    finally:
        context.close()
