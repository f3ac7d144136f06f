"""The organisation form takes what the programme rules read of a profile, as the API does:
its group of affiliated entities and whether it contributes to IHI in kind. In real Chromium
against a real uvicorn serving the demo data."""

import httpx
import pytest
from playwright import sync_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 15_000


def test_group_and_ihi_contribution_are_registered_shown_and_cleared_through_the_form(
    server: httpx.Client, browser: object
) -> None:
    """Register as part of a group and as no IHI contributor: the API stores both and the
    profile page names the group; clearing both in the edit form stores nulls again."""
    base = str(server.base_url).rstrip("/")
    context = browser.new_context(base_url=base)  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    expect = sync_api.expect

    page.goto("/ui/organisations/new")
    page.get_by_label("Name").fill("Siemens Healthineers Diagnostics Lab")
    page.get_by_label("Stakeholder type").select_option("industry")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Expertise").fill("In vitro diagnostics and laboratory automation.")
    page.get_by_label("Group of affiliated entities").fill("  Siemens  ")
    page.get_by_label("Industry contributor to IHI").select_option("false")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-panel")).to_be_visible()
    link = page.locator("#new-profile-link").get_attribute("href") or ""
    organisation_id = int(link.rsplit("/", 1)[1])

    stored = server.get(f"/organisations/{organisation_id}").json()
    assert (stored["group"], stored["ihi_contributor"]) == ("Siemens", False)
    page.goto(f"/ui/organisations/{organisation_id}")
    expect(page.locator(".page-header .meta")).to_contain_text("Group: Siemens")

    page.goto(f"/ui/organisations/{organisation_id}/edit")
    expect(page.get_by_label("Group of affiliated entities")).to_have_value("Siemens")
    expect(page.get_by_label("Industry contributor to IHI")).to_have_value("false")
    page.get_by_label("Group of affiliated entities").fill("")
    page.get_by_label("Industry contributor to IHI").select_option("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    cleared = server.get(f"/organisations/{organisation_id}").json()
    assert (cleared["group"], cleared["ihi_contributor"]) == (None, None)
    assert not problems
    context.close()
