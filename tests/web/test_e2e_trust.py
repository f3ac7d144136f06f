"""Confirming a profile is current, end to end in Chromium against a real uvicorn.

A profile unconfirmed for 14 months reads "Last confirmed on" on its page; its owner, signed
in, follows "Confirm this profile is current" and confirms, and the mark is gone. Another
organisation's key cannot confirm it, and a claim with a malformed record is refused in the
page, with the reason beside the field.
"""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright import sync_api
from sqlalchemy import update
from sqlmodel import Session, col

from matchmaker import db
from matchmaker.settings import Settings
from models.common import utc_now
from models.organisation import Organisation
from tests.factories import organisation_payload
from tests.helpers import bearer
from tests.servers import ADMIN_TOKEN
from tests.web.browser import DESKTOP, TIMEOUT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# The conftest's `database` and `server`, on an empty database.
DEMO_DATA = False


def _created(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = client.post("/organisations", json=organisation_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_owner_confirms_a_stale_profile_and_the_mark_goes(
    server: httpx.Client, browser: Any, database: str
) -> None:
    """Stale, the profile says when it was last confirmed; its owner confirms it from the
    profile page and it reads current; another organisation's key is told it cannot."""
    expect = sync_api.expect
    owner = _created(server, name="Oncomark Diagnostics", contact_email="it@onco.example")
    other = _created(server, name="Karolinska Institutet", stakeholder_type="academia")
    then = utc_now() - timedelta(days=14 * 31)
    engine = db.create_db_engine(Settings(database_url=database))
    try:
        with Session(engine) as session:
            session.execute(
                update(Organisation)
                .where(col(Organisation.id) == owner["id"])
                .values(confirmed_at=then)
            )
            session.commit()
    finally:
        engine.dispose()

    problems: list[str] = []
    context = browser.new_context(viewport=DESKTOP, base_url=str(server.base_url).rstrip("/"))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    profile = f"/ui/organisations/{owner['id']}"
    try:
        page.goto(profile)
        stale = page.locator("#stale-notice")
        expect(stale).to_have_text(
            f"Last confirmed on {then.day} {then:%B %Y}: this profile may be out of date."
        )
        confirm_link = page.get_by_role("link", name="Confirm this profile is current")
        expect(confirm_link).to_be_hidden()

        # Another organisation's key: the page says so and its button does nothing.
        sign_in(page, other["api_key"], "Karolinska Institutet")
        page.goto(f"{profile}/confirm")
        expect(page.locator("#confirm-not-owner")).to_be_visible()
        expect(page.get_by_role("button", name="Confirm this profile is current")).to_be_disabled()

        sign_in(page, owner["api_key"], "Oncomark Diagnostics")
        page.goto(profile)
        confirm_link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm this profile is current")
        expect(page.locator("#confirm-not-owner")).to_be_hidden()
        page.get_by_role("button", name="Confirm this profile is current").click()
        done = page.locator("#confirm-done")
        expect(done).to_be_visible()
        expect(done).to_be_focused()
        page.get_by_role("link", name="Back to the profile").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Oncomark Diagnostics")
        expect(page.locator("#stale-notice")).to_have_count(0)
        assert server.get(f"/organisations/{owner['id']}").json()["stale"] is False

        # A claim of a malformed record is refused in the page, beside the field.
        page.get_by_role("link", name="Add your EU projects from CORDIS").click()
        page.get_by_label("CORDIS organisation id (PIC)").fill("not-a-pic")
        page.get_by_role("button", name="Make the claim").click()
        errors = page.locator("#claim-errors")
        expect(errors).to_be_visible()
        expect(errors).to_contain_text("Not done: 'not-a-pic' is not a CORDIS organisation id")
        expect(page.get_by_label("CORDIS organisation id (PIC)")).to_have_attribute(
            "aria-invalid", "true"
        )
        assert server.get(f"/organisations/{owner['id']}/claims").json()["total"] == 0
    finally:
        context.close()
    assert problems == []


def test_changing_a_verified_type_says_first_and_after_that_it_drops_the_verification(
    page: Any, server: httpx.Client
) -> None:
    """An administrator editing a verified regulator is told beside the type that a change
    drops the verification; saved as a public body, the page says the verification was
    dropped (not only "saved") and the warning goes. The pages say "this profile" to it."""
    expect = sync_api.expect
    regulator = _created(server, name="Agencia Reguladora", stakeholder_type="regulator")
    verified = server.post(
        f"/admin/organisations/{regulator['id']}/type-verification", headers=bearer(ADMIN_TOKEN)
    )
    assert verified.status_code == 200, verified.text

    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{regulator['id']}/claim")
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name(
        "Add its EU projects from CORDIS"
    )
    page.goto(f"/ui/organisations/{regulator['id']}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Edit this profile")
    hint = page.locator("#type-verified-hint")
    expect(hint).to_contain_text("changing it drops the verification")
    page.get_by_label("Stakeholder type").select_option("public_body")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text(
        "Saved this profile. Its type changed, so it is no longer verified: only an "
        "administrator can verify the new type."
    )
    expect(hint).to_have_count(0)
    expect(page.get_by_label("Stakeholder type")).to_have_attribute(
        "aria-describedby", "type-hint error-stakeholder_type"
    )
    stored = server.get(f"/organisations/{regulator['id']}").json()
    assert (stored["stakeholder_type"], stored["type_verified"]) == ("public_body", False)

    # Saved again, with nothing more dropped, it says only that it saved.
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved this profile.")
