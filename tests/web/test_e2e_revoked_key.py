"""Replaced keys, in Chromium against a real uvicorn: a tab still holding one is told why it was
signed out and led back; an owner replaces its key from its profile and stays signed in."""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.factories import create_organisation
from tests.helpers import bearer, created
from tests.web.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_replaced_key_leads_back_to_signing_in(page: Any, server: httpx.Client) -> None:
    """A tab whose key was replaced is told why it was signed out (not only that the inbox
    needs a key); signing in with the new key returns to the inbox, which it then reads."""
    expect = sync_api.expect
    organisation = create_organisation(server, name="Rotating Keys Foundation", activities=[])
    sign_in(page, organisation["api_key"], "Rotating Keys Foundation")
    new_key = created(
        server.post(
            f"/organisations/{organisation['id']}/keys/rotate",
            headers=bearer(organisation["api_key"]),
        )
    )["token"]

    # The inbox, now hidden with the signed-in parts of the page, is replaced by why.
    page.goto("/ui/inbox")
    expect(page.locator("#status")).to_contain_text(
        "You were signed out: this tab's key is no longer valid"
    )
    page.get_by_role("link", name="Sign in with your organisation key").click()
    page.get_by_label("Organisation key").fill(new_key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/ui/inbox")
    expect(page.locator("#received-heading")).to_be_visible()

    # So does a draft's page, whose sign-in link comes back to the draft.
    call = server.get("/calls", params={"limit": 1}).json()["items"][0]
    draft = created(
        server.post(
            "/consortia",
            headers=bearer(new_key),
            json={"name": "Rotation draft", "call_id": call["id"], "members": []},
        )
    )
    server.post(f"/organisations/{organisation['id']}/keys/rotate", headers=bearer(new_key))
    page.goto(f"/ui/consortia/{draft['id']}")
    expect(page.locator("#status")).to_contain_text("this tab's key is no longer valid")
    expect(page.get_by_role("link", name="Sign in with your organisation key")).to_have_attribute(
        "href", f"/ui/sign-in?next=%2Fui%2Fconsortia%2F{draft['id']}"
    )


def test_owner_replaces_its_key_from_its_profile(page: Any, server: httpx.Client) -> None:
    """ "Replace your key" on the owner's profile shows the new key once, revokes the old one,
    and leaves the tab signed in with the new one."""
    expect = sync_api.expect
    organisation = create_organisation(server, name="Leaked Key Society", activities=[])
    old_key = organisation["api_key"]
    own = f"/organisations/{organisation['id']}"
    page.goto(f"/ui{own}")
    expect(page.get_by_role("button", name="Replace your key")).to_be_hidden()
    sign_in(page, old_key, "Leaked Key Society")
    page.goto(f"/ui{own}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Replace your key").click()
    panel = page.locator("#key-panel")
    expect(panel).to_be_focused()
    new_key = page.locator("#new-key").inner_text()
    assert new_key.startswith("mm_")
    assert new_key != old_key
    assert server.get(f"{own}/export", headers=bearer(old_key)).status_code == 401
    assert (
        server.get(own, headers=bearer(new_key)).json()["contact_email"]
        == (organisation["contact_email"])
    )

    page.goto("/ui/inbox")
    expect(page.locator("#received-heading")).to_be_visible()
    expect(page.locator("#status")).to_be_hidden()
