"""Saved searches in Chromium against a real uvicorn: an organisation saves a search from the
page's form, sees why a wrong one is refused, and deletes one."""

import re
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import organisation_payload
from tests.helpers import bearer, created
from tests.web.browser import DESKTOP, PHONE, TIMEOUT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_organisation_saves_and_deletes_searches_on_its_page(
    server: httpx.Client, browser: Any
) -> None:
    """Saved from the form, listed with its filters, refused in the form's words when wrong,
    deleted with its button; the JSON API agrees at each step."""
    expect = sync_api.expect
    organisation = created(
        server.post(
            "/organisations",
            json=organisation_payload(name="Search Watchers Lab", activities=[]),
        )
    )
    key = organisation["api_key"]
    problems: list[str] = []
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    page.goto("/ui/saved-searches")
    expect(page.get_by_role("link", name="Sign in with your organisation key")).to_be_visible()
    sign_in(page, key, "Search Watchers Lab")
    page.goto("/ui/saved-searches")
    expect(page.locator("#saved-searches-panel")).to_contain_text("No saved search yet")

    page.get_by_label("Tell me about").select_option("calls")
    page.get_by_label("What you look for").fill("liquid biopsy <b>early</b> detection")
    page.get_by_label("Programme").select_option("IHI")
    page.get_by_label("Relevance needed (%)").fill("20")
    page.get_by_role("button", name="Save search").click()
    expect(page.locator("#status")).to_contain_text("Saved.")
    listed = page.locator("#saved-search-list li.saved-search")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("New calls: “liquid biopsy <b>early</b> detection”")
    expect(listed.first).to_contain_text("Programme: IHI. Relevance at least 20%.")

    # A country for calls is refused, in the form's words, and nothing is saved.
    page.get_by_label("Tell me about").select_option("calls")
    page.get_by_label("What you look for").fill("soil")
    page.get_by_label("Country").select_option("BE")
    page.get_by_role("button", name="Save search").click()
    expect(page.locator("#saved-search-errors")).to_contain_text("Calls have no country")
    expect(page.get_by_label("Country")).to_have_attribute("aria-invalid", "true")
    expect(listed).to_have_count(1)

    # A refusal across fields marks each it concerns, described by it before its hint; a
    # change to one of them takes the refusal and the marks away.
    page.get_by_label("Country").select_option("")
    expect(page.get_by_label("Country")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Calls that fit our profile").check()
    page.get_by_role("button", name="Save search").click()
    refusal = (
        "Not saved: With “Calls that fit our profile” ticked, your profile is the search: "
        "leave “What you look for” empty."
    )
    for label, hint in (
        ("Calls that fit our profile", "Calls only:"),
        ("What you look for", "Plain text,"),
    ):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(
            re.compile("^" + re.escape(f"{refusal} {hint}"))
        )
    page.get_by_label("What you look for").fill("")
    expect(page.locator("#saved-search-errors")).to_be_hidden()
    expect(page.locator("#saved-search-form [aria-invalid]")).to_have_count(0)
    expect(page.get_by_label("What you look for")).to_have_accessible_description(
        re.compile("^Plain text,")
    )

    page.get_by_label("Tell me about").select_option("organisations")
    page.get_by_label("What you look for").fill("")
    page.get_by_label("Calls that fit our profile").check()
    page.get_by_role("button", name="Save search").click()
    expect(page.locator("#saved-search-errors")).to_contain_text(
        "“Calls that fit our profile” is for new calls only"
    )

    page.get_by_label("Tell me about").select_option("calls")
    page.get_by_label("Country").select_option("")
    page.get_by_role("button", name="Save search").click()
    expect(listed).to_have_count(2)
    expect(listed.nth(1)).to_contain_text("New calls: calls that fit your profile")

    stored = server.get(
        f"/organisations/{organisation['id']}/saved-searches",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert [(item["text"], item["programme"], item["threshold"]) for item in stored["items"]] == [
        ("liquid biopsy <b>early</b> detection", "IHI", 0.2),
        ("", None, 0.03),
    ]

    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    listed.first.get_by_role("button", name="Delete").click()
    expect(page.locator("#status")).to_contain_text("Deleted the saved search.")
    assert asked == [
        "Delete the saved search for new calls: “liquid biopsy <b>early</b> detection”? You "
        "will no longer be told of new matches."
    ]
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("calls that fit your profile")
    remaining = server.get(
        f"/organisations/{organisation['id']}/saved-searches",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    assert [item["fits_profile"] for item in remaining["items"]] == [True]
    context.close()
    assert problems == []


def test_organisation_chooses_how_often_it_is_emailed(server: httpx.Client, browser: Any) -> None:
    """The unsubscribe page's way back leads, through signing in, to the e-mail choice on the
    saved-searches page; the choice made there is what the JSON API then answers, and is said
    saved beside the form, on a phone's screen."""
    expect = sync_api.expect
    organisation = created(
        server.post(
            "/organisations",
            json=organisation_payload(
                name="Digest Readers Association",
                contact_email="digest@readers.example",
                activities=[],
            ),
        )
    )
    key = organisation["api_key"]
    url = f"/organisations/{organisation['id']}/notification-preferences"
    problems: list[str] = []
    context = browser.new_context(viewport=PHONE, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    # Signed out, the link leads to signing in, then back to the e-mail choice.
    page.goto("/ui/saved-searches#email-preference")
    page.get_by_role("link", name="Sign in with your organisation key").click()
    page.get_by_label("Organisation key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/ui/saved-searches#email-preference")
    section = page.locator("#email-preference")
    expect(section).to_contain_text("digest@readers.example")
    expect(section).to_be_in_viewport()
    expect(page.get_by_label("One e-mail for each new message, answer or match")).to_be_checked()

    # Saved is said beside the button on the phone's screen, not at the page's top a screen
    # away, and said once: the page's own status region stays empty.
    page.get_by_label("One e-mail a day listing them").check()
    page.get_by_role("button", name="Save e-mail choice").click()
    saved = page.locator("#email-saved")
    expect(saved).to_have_text("Saved: one e-mail a day listing them.")
    expect(saved).to_be_in_viewport()
    expect(saved).to_be_focused()
    expect(page.locator("#status")).to_be_hidden()
    expect(page.get_by_label("One e-mail a day listing them")).to_be_checked()
    assert server.get(url, headers=bearer(key)).json() == {"email": "daily"}

    page.get_by_label("No e-mail: messages and answers still wait in your inbox").check()
    page.get_by_role("button", name="Save e-mail choice").click()
    expect(saved).to_have_text(
        "Saved: no more e-mail. Messages and answers still wait in your inbox."
    )
    expect(saved).to_be_in_viewport()
    assert server.get(url, headers=bearer(key)).json() == {"email": "off"}
    context.close()
    assert problems == []
