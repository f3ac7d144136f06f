"""End to end in a real headless Chromium against a real uvicorn serving the demo data.

The browser is Debian's `chromium` (installed by `scripts/test`), driven by Playwright (see
`conftest.py`); Playwright's own browser downloads are never used. Screenshots of the key pages
are saved under `test-artifacts/screenshots/`.
"""

import csv
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright import sync_api

from tests.web.browser import DESKTOP, PHONE, TIMEOUT_MS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# The demo call this scenario builds for: it needs a patient organisation, among others.
CALL_SEARCH = "tumour-host"
CALL_IDENTIFIER = "HORIZON-MISS-2023-CANCER-01-01"

# Debian's chromium is installed by scripts/test; without it these tests fail rather than skip.
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _shot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.mouse.move(0, 0)  # type: ignore[attr-defined]
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    return target


def test_user_builds_a_draft_closes_a_gap_and_exports_it(
    server: httpx.Client, browser: object, tmp_path: Path
) -> None:
    """Register, find a call, see suggestions, draft the proposal, open and close a gap, export."""
    base = str(server.base_url).rstrip("/")
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=DESKTOP, accept_downloads=True, base_url=base
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    requested: set[str] = set()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("request", lambda request: requested.add(request.url))
    expect = sync_api.expect

    # Register an organisation through the form: its key is shown once and signs the tab in.
    page.goto("/ui/organisations/new")
    page.get_by_label("Name").fill("Oncomark Diagnostics")
    page.get_by_label("Stakeholder type").select_option("sme")
    page.get_by_label("Country").select_option("NL")
    page.get_by_label("Contact e-mail").fill("partnering@oncomark.example")
    page.get_by_label("Expertise").fill(
        "Liquid biopsy assays for cancer patients: tumour immune response, treatment monitoring."
    )
    page.get_by_label("Keywords").fill("liquid biopsy, oncology, tumour immunology")
    page.get_by_role("button", name="Register and get my key").click()
    key_panel = page.locator("#key-panel")
    expect(key_panel).to_be_visible()
    expect(key_panel).to_be_focused()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("mm_")
    expect(page.locator("[data-who-name]")).to_have_text("Oncomark Diagnostics")
    _shot(page, "01-register-key-shown-once")
    assert key not in page.url

    # Its profile page offers its owner the edit form, which loads the private e-mail.
    page.get_by_role("link", name="See your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oncomark Diagnostics")
    page.get_by_role("link", name="Edit your profile").click()
    expect(page.get_by_label("Contact e-mail")).to_have_value("partnering@oncomark.example")
    page.get_by_label("City").fill("Leiden")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(".page-header .meta")).to_contain_text("Leiden")
    _shot(page, "02-organisation-profile")

    # Find the call by searching the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calls").click()
    search = page.get_by_role("searchbox", name="Search")
    search.fill(CALL_SEARCH)
    search.press("Enter")
    expect(page.locator("ol.cards > li")).to_have_count(1)
    _shot(page, "03-calls-search")
    page.locator("ol.cards a").first.click()
    expect(page.locator(".page-header .identifier")).to_have_text(CALL_IDENTIFIER)

    # Its suggestions, then only the patient organisations among them.
    page.get_by_role("link", name="Suggested partners").click()
    rows = page.locator("#suggestion-table tbody tr")
    expect(rows).to_have_count(20)
    _shot(page, "04-call-suggestions")
    # "Show more" from the keyboard: reading goes on at the first new row, not at the top.
    page.get_by_role("link", name="Show more").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(40)
    expect(rows.nth(20)).to_be_focused()
    page.keyboard.press("Tab")
    expect(rows.nth(20).locator("th a")).to_be_focused()
    page.get_by_label("Stakeholder type").select_option("patient_organisation")
    page.get_by_role("button", name="Filter").click()
    expect(rows.first).to_contain_text("Patient organisation")
    assert rows.count() >= 1
    for index in range(rows.count()):
        # A patient organisation's type is self-declared until an admin verifies it.
        expect(rows.nth(index).locator("td[data-label='Type']")).to_have_text(
            re.compile(r"^Patient organisation (Unverified|Verified)$")
        )

    # Signed in, the builder proposes a consortium with our own organisation kept in it.
    page.get_by_role("link", name="Build a consortium").click()
    expect(page.get_by_role("heading", name="Consortium builder")).to_be_visible()
    expect(page.get_by_role("link", name="Propose with my organisation in it")).to_be_hidden()
    proposal_rows = page.locator(".builder-main > .table-scroll .proposal-table tbody tr")
    mine = proposal_rows.filter(has_text="Oncomark Diagnostics")
    expect(mine).to_have_count(1)
    expect(mine.locator(".badge-pinned")).to_have_text("Kept")
    expect(page.locator(".builder-main .notice-ok")).to_contain_text("Meets every requirement")
    proposed = proposal_rows.count()
    _shot(page, "05-builder-proposal")
    page.get_by_label("Draft name").fill("Tumour-host consortium")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/ui/consortia/*")
    members = page.locator("#member-table tbody tr")
    expect(members).to_have_count(proposed)
    expect(members.filter(has_text="Oncomark Diagnostics")).to_have_attribute(
        "data-role", "coordinator"
    )
    expect(page.locator("#coverage-summary")).to_contain_text("meets every requirement")

    # Removing the patient organisation opens a gap with candidates to close it.
    patient = page.locator("#member-table tbody tr[data-stakeholder-type='patient_organisation']")
    removed_name = patient.locator("th a").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    patient.get_by_role("button", name=f"Remove {removed_name}").click()
    gap = page.locator("li.requirement[data-requirement='patient_organisation']")
    expect(gap).to_have_attribute("data-met", "false")
    expect(gap.locator(".badge-missing")).to_have_text("Missing")
    expect(members).to_have_count(proposed - 1)
    expect(page.locator("#status")).to_have_text(f"Removed {removed_name}.")
    candidates = gap.locator("li.candidate")
    expect(candidates.first).to_be_visible()
    assert candidates.count() >= 1
    _shot(page, "06-draft-gap-with-candidates")

    # One click on the best candidate closes the gap.
    chosen = candidates.first
    chosen_id = chosen.get_attribute("data-organisation-id")
    chosen_name = chosen.locator(".candidate-main > a").inner_text()
    chosen.get_by_role("button", name=f"Add {chosen_name} to the draft").click()
    expect(gap).to_have_attribute("data-met", "true")
    expect(page.locator("#coverage-summary")).to_contain_text("meets every requirement")
    expect(members).to_have_count(proposed)
    expect(page.locator(f"#member-table tr[data-organisation-id='{chosen_id}']")).to_have_count(1)
    _shot(page, "07-draft-gap-closed")

    # Export the draft as CSV and as JSON.
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    assert csv_download.value.suggested_filename == "Tumour-host-consortium.csv"
    csv_path = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv_path)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert list(exported[0]) == [
        "organisation_id",
        "name",
        "stakeholder_type",
        "country",
        "role",
        "stakeholder_type_label",
        "country_name",
        "role_label",
    ]
    assert len(exported) == proposed
    assert chosen_id in {row["organisation_id"] for row in exported}
    assert {
        (row["role"], row["role_label"])
        for row in exported
        if row["name"] == "Oncomark Diagnostics"
    } == {("coordinator", "Coordinator")}
    with page.expect_download() as json_download:
        page.get_by_role("button", name="Download JSON").click()
    assert json_download.value.suggested_filename == "Tumour-host-consortium.json"
    json_path = tmp_path / json_download.value.suggested_filename
    json_download.value.save_as(json_path)
    draft = json.loads(json_path.read_text(encoding="utf-8"))
    assert draft["name"] == "Tumour-host consortium"
    assert [str(m["organisation"]["id"]) for m in draft["members"]] == [
        row["organisation_id"] for row in exported
    ]

    # The same pages on a phone-sized screen.
    draft_url = page.url
    page.set_viewport_size(PHONE)
    page.reload()
    expect(members).to_have_count(proposed)
    _shot(page, "08-phone-draft")
    page.goto(f"/ui/calls?q={CALL_SEARCH}")
    _shot(page, "09-phone-calls")
    page.set_viewport_size(DESKTOP)

    assert problems == []

    # Signing out forgets the key; signing in with it again brings the draft back.
    page.goto(draft_url)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#draft-panel")).to_be_hidden()
    # The keyboard goes on from "Sign in", where "Sign out" was, not from the top of the page.
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_focused()
    page.get_by_role("link", name="Sign in with your organisation key").click()
    page.get_by_label("Organisation key").fill("mm_wrong_key")
    page.get_by_role("button", name="Sign in", exact=True).click()
    # The refusal is the field's: marked, described by its message beside it, and focused;
    # typing again clears both.
    key_field = page.get_by_label("Organisation key")
    expect(key_field).to_be_focused()
    expect(key_field).to_have_attribute("aria-invalid", "true")
    expect(key_field).to_have_accessible_description(
        "This key is not valid: it is unknown, mistyped or revoked. Kept only in this browser "
        "tab (session storage) until you sign out or close the tab, and sent only to this site."
    )
    expect(page.locator("#sign-in-error")).to_be_hidden()
    key_field.fill(key)
    expect(key_field).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#key-error")).to_be_hidden()
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(draft_url)
    expect(members).to_have_count(proposed)

    context.close()
    # The wrong key's check is the only failed request the browser reports.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    foreign = {url for url in requested if not url.startswith((base, "blob:", "data:"))}
    assert foreign == set()
    assert all(key not in url for url in requested)
    assert {urlsplit(url).hostname for url in requested if url.startswith("http")} == {"127.0.0.1"}
