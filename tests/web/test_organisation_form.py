"""The organisation form takes what `POST /organisations` takes: past projects, and what the
programme rules read of a profile (its group of affiliated entities, whether it contributes to
IHI in kind). In real Chromium against a real uvicorn serving the demo data."""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from matchmaker.messages import IDENTIFIER

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = sync_api.expect


def test_past_projects_are_registered_edited_and_checked_through_the_form(
    server: httpx.Client, page: Any
) -> None:
    """Register with two past projects (an empty row is no project), then edit: change one,
    remove one, add one, and a bad year is shown at its own field; the API stores exactly what
    the form showed, with no link anywhere."""

    page.goto("/ui/organisations/new")
    page.get_by_label("Name").fill("Gaitwear Sensors")
    page.get_by_label("Stakeholder type").select_option("sme")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Expertise").fill("Wearable gait sensors for Parkinsonian syndromes.")
    add = page.get_by_role("button", name="Add a past project")
    for _ in range(3):
        add.click()
    titles = page.get_by_label("Project title")
    expect(titles).to_have_count(3)
    expect(titles.nth(2)).to_be_focused()
    titles.nth(0).fill("GAITWEAR: freezing of gait at home")
    page.get_by_label("What it was about").nth(0).fill("Insole sensors detect freezing of gait.")
    page.get_by_label("Year").nth(0).fill("2022")
    page.get_by_label("Your part").nth(0).select_option("coordinator")
    titles.nth(1).fill("TREMOR-NET: tremor registry")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-panel")).to_be_visible()
    key = page.locator("#new-key").inner_text()
    link = page.locator("#new-profile-link").get_attribute("href") or ""
    organisation_id = int(link.rsplit("/", 1)[1])

    stored = server.get(f"/organisations/{organisation_id}").json()["activities"]
    assert stored == [
        {
            "title": "GAITWEAR: freezing of gait at home",
            "summary": "Insole sensors detect freezing of gait.",
            "year": 2022,
            "url": None,
            "role": "coordinator",
            "call": None,
            "verified": False,
        },
        {
            "title": "TREMOR-NET: tremor registry",
            "summary": "",
            "year": None,
            "url": None,
            "role": None,
            "call": None,
            "verified": False,
        },
    ]

    # The edit form shows them; change the first's year to an impossible one: the error is
    # shown at that field and nothing is saved.
    page.goto(f"/ui/organisations/{organisation_id}/edit")
    titles = page.get_by_label("Project title")
    expect(titles).to_have_count(2)
    expect(titles.nth(1)).to_have_value("TREMOR-NET: tremor registry")
    expect(page.get_by_label("Your part").nth(0)).to_have_value("coordinator")
    page.get_by_label("Year").nth(0).fill("1800")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_label("Year").nth(0)).to_have_attribute("aria-invalid", "true")
    assert server.get(f"/organisations/{organisation_id}").json()["activities"] == stored

    # Fix it, remove the second, add a third.
    page.get_by_label("Year").nth(0).fill("2021")
    page.get_by_role("button", name="Remove past project 2").click()
    expect(page.locator("#status")).to_have_text("Past project removed.")
    expect(page.get_by_role("button", name="Add a past project")).to_be_focused()
    page.get_by_role("button", name="Add a past project").click()
    # The new project takes the removed one's number.
    expect(page.get_by_role("group", name="Past project 2")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("^Remove past project"))).to_have_text(
        ["Remove past project 1", "Remove past project 2"]
    )
    page.get_by_role("group", name="Past project 2").get_by_label("Project title").fill(
        "PD-HOME: home monitoring study"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    after = server.get(f"/organisations/{organisation_id}").json()["activities"]
    assert [(a["title"], a["year"]) for a in after] == [
        ("GAITWEAR: freezing of gait at home", 2021),
        ("PD-HOME: home monitoring study", None),
    ]
    assert key.startswith("mm_")


CALL_HINT = (
    "The call it was funded under, as on the grant agreement, such as "
    "HORIZON-CL5-2022-D3-01-05. Optional."
)


def test_a_past_projects_call_is_registered_shown_and_checked_through_the_form(
    server: httpx.Client, page: Any
) -> None:
    """A past project's "Call identifier", described by its hint, is stored upper-case and
    shown on the profile page; in a project the edit form adds, a bad one is marked at its own
    field, described by its error beside the hint and named in the summary, and nothing is
    saved; once corrected it is saved and the field shows it as stored."""
    page.goto("/ui/organisations/new")
    page.get_by_label("Name").fill("Windfarm Grid Services")
    page.get_by_label("Stakeholder type").select_option("sme")
    page.get_by_label("Country").select_option("DK")
    page.get_by_role("button", name="Add a past project").click()
    call = page.get_by_label("Call identifier")
    expect(call).to_have_accessible_description(CALL_HINT)
    page.get_by_label("Project title").fill("GRIDWIND: offshore grid balancing")
    call.fill(" horizon-cl5-2022-d3-01-05 ")
    page.get_by_role("button", name="Register and get my key").click()
    expect(page.locator("#key-panel")).to_be_visible()
    link = page.locator("#new-profile-link").get_attribute("href") or ""
    organisation_id = int(link.rsplit("/", 1)[1])
    stored = server.get(f"/organisations/{organisation_id}").json()["activities"]
    assert [(a["title"], a["call"]) for a in stored] == [
        ("GRIDWIND: offshore grid balancing", "HORIZON-CL5-2022-D3-01-05")
    ]
    page.goto(link)
    expect(page.locator(".activity-call")).to_have_text("Funded under HORIZON-CL5-2022-D3-01-05")

    # The edit form shows it; a project added there with a bad call is refused at that field,
    # which its error then describes beside the hint, and nothing is saved.
    page.goto(f"/ui/organisations/{organisation_id}/edit")
    expect(page.get_by_label("Call identifier")).to_have_value("HORIZON-CL5-2022-D3-01-05")
    page.get_by_role("button", name="Add a past project").click()
    added = page.get_by_role("group", name="Past project 2")
    call = added.get_by_label("Call identifier")
    expect(call).to_have_accessible_description(CALL_HINT)
    added.get_by_label("Project title").fill("ERC-WIND: wake physics")
    call.fill("ERC 2022 POC1")
    page.get_by_role("button", name="Save changes").click()
    expect(call).to_have_attribute("aria-invalid", "true")
    error = IDENTIFIER
    expect(call).to_have_accessible_description(f"{CALL_HINT} {error}")
    expect(page.locator("#form-errors").get_by_role("link")).to_have_text(
        ["Past project 2, Call identifier"]
    )
    assert server.get(f"/organisations/{organisation_id}").json()["activities"] == stored

    # Corrected in lower case, it is saved, and the field then shows it as stored.
    call.fill("erc-2022-poc1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    expect(call).to_have_value("ERC-2022-POC1")
    after = server.get(f"/organisations/{organisation_id}").json()["activities"]
    assert [a["call"] for a in after] == ["HORIZON-CL5-2022-D3-01-05", "ERC-2022-POC1"]


def test_group_and_ihi_contribution_are_registered_shown_and_cleared_through_the_form(
    server: httpx.Client, page: Any
) -> None:
    """Register as part of a group and as no IHI contributor: the API stores both and the
    profile page names the group; clearing both in the edit form stores nulls again."""
    page.goto("/ui/organisations/new")
    page.get_by_label("Name").fill("Siemens Healthineers Diagnostics Lab")
    page.get_by_label("Stakeholder type").select_option("industry")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Expertise").fill("In vitro diagnostics and laboratory automation.")
    page.get_by_label("Group of affiliated entities").fill("  Siemens  ")
    page.get_by_label("IHI in-kind contributor").select_option("false")
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
    expect(page.get_by_label("IHI in-kind contributor")).to_have_value("false")
    page.get_by_label("Group of affiliated entities").fill("")
    page.get_by_label("IHI in-kind contributor").select_option("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    cleared = server.get(f"/organisations/{organisation_id}").json()
    assert (cleared["group"], cleared["ihi_contributor"]) == (None, None)


def test_a_fields_error_clears_as_soon_as_the_field_is_changed(page: Any) -> None:
    """Sent empty, the form marks Name, type and country "Is required."; changing one field
    clears its own mark and message at once, and leaves the others' until they are changed."""
    page.goto("/ui/organisations/new")
    page.get_by_role("button", name="Register and get my key").click()
    name, kind, country = (
        page.locator(f"#{field}") for field in ("name", "stakeholder_type", "country")
    )
    for field in (name, kind, country):
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-name")).to_have_text("Is required.")

    name.fill("Gaitwear Sensors")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-name")).to_be_hidden()
    expect(kind).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-stakeholder_type")).to_have_text("Is required.")

    kind.select_option("sme")
    country.select_option("DE")
    for field in ("stakeholder_type", "country"):
        expect(page.locator(f"#{field}")).not_to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#error-{field}")).to_be_hidden()


def test_the_error_summary_goes_once_every_field_it_named_is_changed(page: Any) -> None:
    """The box at the top names each field that was wrong; it stays, as it was, while one of
    them is unchanged, and goes once each has been changed, as their own errors did. A project
    it named goes with its row; sent wrong again, the box names only what is wrong now."""
    page.goto("/ui/organisations/new")
    page.get_by_label("Website").fill("not a web address")
    page.get_by_role("button", name="Add a past project").click()
    page.get_by_label("What it was about").fill("A study of gait in the elderly.")
    page.get_by_role("button", name="Register and get my key").click()
    summary = page.locator("#form-errors")
    named = ["Name", "Stakeholder type", "Country", "Website"]
    # A project without a title is refused in the page, before the API is asked.
    expect(summary.get_by_role("link")).to_have_text(["Past project 1, Project title"])
    page.get_by_role("button", name="Remove past project 1").click()
    expect(summary).to_be_hidden()
    expect(summary).to_be_empty()

    page.get_by_role("button", name="Register and get my key").click()
    expect(summary.get_by_role("link")).to_have_text(named)
    page.get_by_label("Name").fill("Settled Summary Ltd")
    page.get_by_label("Stakeholder type").select_option("sme")
    page.get_by_label("Country").select_option("DE")
    expect(page.locator("#name")).not_to_have_attribute("aria-invalid", "true")
    expect(summary).to_be_visible()
    expect(summary.locator("p")).to_have_text(
        "Not saved: correct these 4 fields, where they are marked."
    )
    expect(summary.get_by_role("link")).to_have_text(named)

    website = page.get_by_label("Website")
    website.fill("still not one")
    expect(summary).to_be_hidden()
    expect(summary).to_be_empty()
    page.get_by_role("button", name="Register and get my key").click()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Website"])
