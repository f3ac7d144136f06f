"""An administrator gives a country a new status, end to end in Chromium against a real
uvicorn: the menu leads to the country statuses, the form shows the API's own problems beside
the fields they name, and once saved the page says what changed and the table shows it. The
page passes axe's WCAG A and AA rules with its table and its errors shown."""

from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright import sync_api

from tests.factories import create_organisation
from tests.servers import ADMIN_TOKEN
from tests.web.browser import PHONE, SETTLED, answer_next_dialog, sign_in
from tests.web.test_axe import EVERY_RULE, _lines

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The conftest's `database` and `server`, on an empty database (the table ships with the code).
DEMO_DATA = False

expect = sync_api.expect


def combobox(page: Any, name: str) -> Any:
    """A select of the page by its label."""
    return page.get_by_role("combobox", name=name, exact=True)


def test_an_administrator_gives_morocco_a_new_status_from_the_menu(
    page: Any, server: httpx.Client
) -> None:
    """An empty form is refused with the API's messages beside Country, New status, From and
    Source; an end before the start with the API's message beside Until; then Morocco is
    saved as associated from 1 Jan 2026, the status region says so in words, and the table
    lists the new row in force and the shipped one replaced."""
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Country statuses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Country statuses")
    table = page.locator("#country-statuses-panel tbody tr")
    shipped = len(server.get("/rules/countries").json())
    expect(table).to_have_count(shipped)

    # Nothing chosen: the API's own messages, each beside its field.
    page.get_by_role("button", name="Save the new status").click()
    errors = page.locator("#country-status-errors")
    expect(errors).to_be_focused()
    expect(errors.locator("p")).to_have_text(
        "Not saved: correct these 4 fields, where they are marked."
    )
    expect(errors.get_by_role("link")).to_have_text(["Country", "New status", "From", "Source"])
    answer = server.post(
        "/admin/country-statuses",
        json={"parts": ["all"], "except_parts": [], "source": "", "note": ""},
    )
    assert answer.status_code == 422
    said = {error["field"]: error["message"] for error in answer.json()["errors"]}
    assert sorted(said) == ["country", "source", "status", "valid_from"]
    for field in said:
        expect(page.locator(f"#error-{field}")).to_have_text(said[field])
    country, status_field = combobox(page, "Country"), combobox(page, "New status")
    for control in (country, status_field, page.get_by_label("From"), page.get_by_label("Source")):
        expect(control).to_have_attribute("aria-invalid", "true")
    found = _lines(page, "the form refused", Axe().run(page, options=EVERY_RULE).response)
    assert not found, "\n".join(found)

    country.select_option(label="Morocco")
    expect(country).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-country")).to_be_hidden()
    status_field.select_option(label="Associated Country")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("Until").fill("2025-12-31")
    page.get_by_label("Source").fill("Commission, List of participating countries, V3.1")
    page.get_by_role("button", name="Save the new status").click()
    expect(errors.locator("p")).to_have_text(
        "Not saved: correct the field below, where it is marked."
    )
    expect(page.locator("#error-valid_to")).to_have_text("A status cannot end before it starts.")
    expect(errors.get_by_role("link", name="Until")).to_have_attribute("href", "#status-valid-to")
    expect(page.get_by_label("Until")).to_have_attribute("aria-invalid", "true")
    assert len(server.get("/rules/countries").json()) == shipped

    page.get_by_label("Until").fill("")
    # A row is for good: the form asks first, and Cancel saves nothing.
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=False)
    page.get_by_role("button", name="Save the new status").click()
    question = (
        "Record that Morocco is an Associated Country for calls with a deadline from 1 Jan 2026 "
        "on (the whole programme)? Rows are never changed or deleted: a mistake is only undone "
        "by another row."
    )
    assert asked == [question]
    assert len(server.get("/rules/countries").json()) == shipped
    answer_next_dialog(page, asked, accept=True)
    page.get_by_role("button", name="Save the new status").click()
    assert asked == [question, question]
    status = page.locator("#status")
    expect(status).to_have_text(
        "Saved: Morocco is an Associated Country for calls with a deadline from 1 Jan 2026 on "
        "(the whole programme). Calls with an earlier deadline keep the status they had."
    )
    expect(status).to_have_attribute("role", "status")
    expect(status).to_be_focused()
    expect(errors).to_be_hidden()
    expect(table).to_have_count(shipped + 1)
    morocco = page.locator("#country-statuses-panel tbody tr[data-country='MA']")
    expect(morocco.locator("td[data-label='Status']")).to_contain_text(
        ["Not associated", "Associated Country"]
    )
    expect(morocco.locator("td[data-label='Today']")).to_have_text(
        ["Replaced by a later row", "In force"]
    )
    added = [row for row in server.get("/rules/countries").json() if not row["shipped"]]
    assert [
        (row["country"], row["status"], row["valid_from"], row["valid_to"]) for row in added
    ] == [("MA", "associated", "2026-01-01", None)]
    expect(country).to_have_value("")

    # Switzerland associated from 1 Jan 2025 repeats the row in force: refused, with the reason.
    country.select_option(label="Switzerland")
    status_field.select_option(label="Associated Country")
    page.get_by_label("From").fill("2025-01-01")
    page.get_by_label("Source").fill("Euresearch")
    answer_next_dialog(page, asked, accept=True)
    page.get_by_role("button", name="Save the new status").click()
    expect(errors.locator("p")).to_have_text(
        "Not saved: This row would change nothing: Switzerland is already an Associated "
        "Country for the parts it names on every day it covers. Rows are never changed or "
        "deleted, so one that changes nothing is not added."
    )
    assert len(server.get("/rules/countries").json()) == shipped + 1

    # "New status for Morocco" comes back to the form with Morocco chosen.
    morocco.get_by_role("link", name="New status for Morocco").click()
    expect(page).to_have_url("/ui/admin/country-statuses?country=MA#new-status-heading")
    expect(country).to_have_value("MA")


def test_the_page_fits_a_phone_and_passes_axe_there(page: Any, server: httpx.Client) -> None:
    """At a phone's width the table is one card per row, nothing scrolls sideways, and axe
    finds nothing at fault."""
    page.set_viewport_size(PHONE)
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto("/ui/admin/country-statuses")
    page.wait_for_function(SETTLED)
    expect(page.locator("#country-statuses-panel tbody tr").first).to_be_visible()
    assert (
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        <= 0
    )
    found = _lines(page, "/ui/admin/country-statuses", Axe().run(page, options=EVERY_RULE).response)
    assert not found, "\n".join(found)


def test_an_organisation_key_is_told_the_page_is_for_administrators(
    page: Any, server: httpx.Client
) -> None:
    """Signed in with an organisation's key, the page says only an administrator's key sees and
    sets the statuses, and shows neither the table nor the form; the menu has no such entry."""
    organisation = create_organisation(server, name="Atlas Biobank", country="MA")
    sign_in(page, organisation["api_key"], "Atlas Biobank")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Country statuses")
    ).to_be_hidden()
    page.goto("/ui/admin/country-statuses")
    expect(page.get_by_text("the key you signed in with is not one")).to_be_visible()
    expect(page.locator("#country-status-form")).to_be_hidden()
    expect(page.locator("#country-statuses-panel")).to_be_hidden()
