"""An imported profile's owner sees, on its own profile page, which fields CORDIS imports
leave as written here, and hands one back to them, end to end in Chromium against a real
uvicorn serving the demo data (every demo profile is a CORDIS record)."""

from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.helpers import bearer
from tests.web.browser import DESKTOP, answer_next_dialog, page_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_owner_hands_its_description_back_to_cordis_from_its_page(
    server: httpx.Client, page: Any
) -> None:
    """Kept: the description and city it wrote, each with its button; the type, verified,
    without one; not its keywords, which no CORDIS import gives. Handing the description back
    asks first, says what happened, and leaves the city kept. Others see no such panel."""
    expect = sync_api.expect
    record = server.get("/organisations", params={"stakeholder_type": "public_body"}).json()
    organisation = record["items"][0]
    url = f"/organisations/{organisation['id']}"
    assert organisation["external_id"].startswith("cordis:")
    key = server.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": organisation["id"]}
    ).json()["token"]
    edited = server.patch(
        url,
        json={"description": "Our own words.", "city": "Elsewhere", "keywords": ["ctDNA"]},
        headers=bearer(key),
    )
    assert edited.status_code == 200, edited.text
    verified = server.post(f"/admin{url}/type-verification")
    kept = ["city", "description", "keywords", "stakeholder_type"]
    assert verified.json()["kept_on_import"] == kept
    profile = f"/ui/organisations/{organisation['id']}"
    page.goto(profile)
    expect(page.locator("#kept-on-import")).to_be_hidden()

    sign_in(page, key, organisation["name"])
    page.goto(profile)
    panel = page.locator("#kept-on-import")
    expect(panel).to_be_visible()
    expect(panel.locator("li:visible")).to_have_text(
        [
            "the stakeholder type, while an administrator's verification of it stands",
            "the city Let CORDIS update the city",
            "the description Let CORDIS update the description",
        ],
        use_inner_text=True,
    )
    asked: list[str] = []
    answer_next_dialog(page, asked, accept=True)
    page.get_by_role("button", name="Let CORDIS update the description").click()

    expect(page.locator("#status")).to_have_text(
        "CORDIS imports update the description again, from the next one on."
    )
    assert asked == [
        "Let CORDIS imports update the description again? It stays as written here until the "
        "next import, which brings CORDIS's."
    ]
    expect(panel.locator("li:visible")).to_have_count(2)
    expect(page.get_by_role("button", name="Let CORDIS update the description")).to_be_hidden()
    after = server.get(url).json()
    assert (after["kept_on_import"], after["description"]) == (
        ["city", "keywords", "stakeholder_type"],
        "Our own words.",
    )
    assert page_problems(page, profile, [DESKTOP]) == []
