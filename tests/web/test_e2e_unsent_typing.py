"""Typed, unsent text is not lost to a stray tap, in Chromium against a real uvicorn: leaving a
half-filled profile form asks first; once saved, leaving does not."""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_organisation
from tests.web.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_leaving_a_half_filled_form_asks_and_a_saved_one_does_not(
    page: Any, server: httpx.Client
) -> None:
    """A link tapped mid-registration raises the browser's "leave the page?" question; staying
    keeps what was typed. After the profile is saved, links leave at once."""
    expect = sync_api.expect
    asked: list[str] = []
    leave = False

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        if leave:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", answer)
    page.goto("/ui/organisations/new")
    page.get_by_label("Name").click()
    page.keyboard.type("Half-typed Patients")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calls").click()
    expect(page.get_by_label("Name")).to_have_value("Half-typed Patients")
    assert asked == ["beforeunload"]
    assert page.url.endswith("/ui/organisations/new")
    leave = True

    organisation = create_organisation(server, name="Saved Patients")
    sign_in(page, organisation["api_key"], "Saved Patients")
    page.goto(f"/ui/organisations/{organisation['id']}/edit")
    page.get_by_label("City").click()
    page.keyboard.type(" Centre")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calls").click()
    page.wait_for_url("**/ui/calls")
    # Asked once more only: when the half-filled registration was left to sign in.
    assert asked == ["beforeunload", "beforeunload"]
