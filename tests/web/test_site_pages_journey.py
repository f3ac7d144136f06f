"""What a new user meets around the profiles: addresses that name nothing answered by the site's
own page (the JSON API keeps problem details), what "Unverified" means reachable without
hovering, the owner's own contact address, keywords shown as stored, cards without empty
labels, and a blank expertise search told what to write. In real Chromium against a real
uvicorn serving the demo data."""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.helpers import bearer
from tests.servers import ADMIN_TOKEN
from tests.web.browser import DESKTOP, PHONE, TIMEOUT_MS, page_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = sync_api.expect
PROBLEM = "application/problem+json"


def _tab(browser: Any, server: httpx.Client, viewport: sync_api.ViewportSize) -> Any:
    context = browser.new_context(base_url=str(server.base_url).rstrip("/"), viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def phone(server: httpx.Client, browser: Any) -> Iterator[Any]:
    """A phone-sized tab of its own."""
    tab = _tab(browser, server, PHONE)
    yield tab
    tab.context.close()


@pytest.mark.parametrize(
    ("path", "status", "heading", "sentence"),
    [
        ("/ui/nope", 404, "Not found", "There is no page at this address."),
        ("/ui/calls/abc", 404, "Not found", "There is no page at this address."),
        ("/ui/calls/99999999999", 404, "Not found", "There is no page at this address."),
        ("/ui/organisations/abc/edit", 404, "Not found", "There is no page at this address."),
        (
            "/ui/calls?page=-1",
            400,
            "This address is not valid",
            "This address is not valid: page must be 1 or more.",
        ),
    ],
)
def test_an_address_under_ui_that_names_nothing_is_the_sites_own_page(
    page: Any, path: str, status: int, heading: str, sentence: str
) -> None:
    """Unknown and malformed addresses under /ui answer an HTML page in the site's layout,
    with its status, a plain sentence and the way back; never raw JSON."""
    response = page.goto(path)
    assert response.status == status
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(sentence)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(6)
    page.locator("main").get_by_role("link", name="Calls for proposals").click()
    expect(page).to_have_url(re.compile(r"/ui/calls$"))


def test_a_drafts_download_opened_in_the_browser_says_where_to_download_it(
    page: Any, server: httpx.Client
) -> None:
    """A draft's CSV address opened in the browser (which sends no key: the tab keeps it for
    the page's scripts) answers the site's page in words, 401, leading to the draft's page,
    not problem details; the page passes the checks every page passes."""
    owner = server.post(
        "/organisations",
        json={"name": "Opened Download BV", "stakeholder_type": "sme", "country": "NL"},
    ).json()
    call = server.get("/calls", params={"limit": 1}).json()["items"][0]
    draft = server.post(
        "/consortia",
        headers=bearer(owner["api_key"]),
        json={"name": "Opened draft", "call_id": call["id"]},
    ).json()
    path = f"/ui/consortia/{draft['id']}/export.csv"
    response = page.goto(path)
    assert response.status == 401
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Download the draft from its page")
    expect(page.locator("main")).to_contain_text("Open the draft and press “Download CSV”.")
    assert page_problems(page, path) == []
    page.get_by_role("link", name="Open the draft").click()
    expect(page).to_have_url(re.compile(rf"/ui/consortia/{draft['id']}$"))


def test_the_json_api_and_the_pages_scripts_keep_problem_details(server: httpx.Client) -> None:
    """Outside /ui, for what the pages' scripts fetch under /ui (though they ask for HTML),
    and for a client that does not ask for HTML, errors stay problem+json."""
    html = {"Accept": "text/html"}
    for path, status, headers in [
        ("/calls/abc", 422, html),
        ("/nope", 404, html),
        ("/calls?limit=-1", 422, html),
        ("/ui/drafts/panel?call_id=abc", 422, html),
        ("/ui/organisation-picker?q=" + "x" * 300, 422, html),
        ("/ui/nope", 404, {"Accept": "application/json"}),
        ("/ui/calls/abc", 422, {}),
    ]:
        response = server.get(path, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM)
    assert server.get("/calls/abc").json()["detail"] == "path.call_id: Must be a whole number."


def test_unverified_is_explained_without_hovering_and_its_owner_told_how_to_get_verified(
    server: httpx.Client, browser: Any, phone: Any
) -> None:
    """On a phone the "Unverified" badge is a link to what it means; the organisation's own
    profile page says, to it alone, that its type is unverified and how to get verified."""
    created = server.post(
        "/organisations",
        json={"name": "Agence Sanitaire Exemple", "stakeholder_type": "regulator", "country": "FR"},
    ).json()
    phone.goto(f"/ui/organisations/{created['id']}")
    expect(phone.locator("#unverified-notice")).to_be_hidden()
    phone.locator(".page-header").get_by_role("link", name="Unverified").click()
    expect(phone).to_have_url(re.compile(r"/ui/verification$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Verified and unverified types")
    main = phone.locator("main")
    expect(main).to_contain_text(
        "but patient organisations, regulators and public bodies carry weight by who they are"
    )
    expect(main).to_contain_text("The type is self-declared: nobody has checked it yet.")
    expect(phone.get_by_role("heading", name="How an organisation gets verified")).to_be_visible()

    sign_in(phone, created["api_key"], "Agence Sanitaire Exemple")
    phone.goto(f"/ui/organisations/{created['id']}")
    notice = phone.locator("#unverified-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Your type, regulator, is self-declared")
    notice.get_by_role("link", name="How to get verified").click()
    expect(phone).to_have_url(re.compile(r"/ui/verification$"))


def test_an_administrator_verifies_a_type_on_the_profile_and_withdraws_it(
    server: httpx.Client, page: Any
) -> None:
    """Signed in with an admin's key, an unverified regulator's profile offers "Verify its
    type" (asked first); once verified, the page loads again, its badge says so and its status
    region what changed, and "Withdraw the verification" undoes it, said so too. A page older
    than the profile is refused with a way forward."""
    created = server.post(
        "/organisations",
        json={
            "name": "Agencia Reguladora Ejemplo",
            "stakeholder_type": "regulator",
            "country": "ES",
        },
    ).json()
    badge = page.locator(".page-header .badge", has_text="erified")
    sign_in(page, ADMIN_TOKEN, "an administrator")
    page.goto(f"/ui/organisations/{created['id']}")
    expect(badge).to_have_text("Unverified")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Verify its type").click()
    expect(badge).to_have_text("Verified")
    status = page.get_by_role("status")
    expect(status).to_have_text(
        "Agencia Reguladora Ejemplo's type, regulator, is now verified: calls that require a "
        "verified regulator count it."
    )
    expect(status).to_be_focused()
    assert server.get(f"/organisations/{created['id']}").json()["type_verified"] is True

    # A profile changed after the page was loaded: the page's version is refused.
    server.patch(
        f"/organisations/{created['id']}",
        json={"description": "Medicines agency."},
        headers=bearer(created["api_key"]),
    ).raise_for_status()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw the verification").click()
    expect(page.locator("#status")).to_contain_text("reload the page")
    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw the verification").click()
    expect(badge).to_have_text("Unverified")
    expect(status).to_have_text(
        "Agencia Reguladora Ejemplo's type, regulator, is no longer verified: calls that "
        "require a verified regulator stop counting it."
    )
    expect(status).to_be_focused()


def test_the_owner_alone_sees_its_contact_email_and_keywords_show_as_stored_after_saving(
    server: httpx.Client, page: Any, browser: Any
) -> None:
    """Signed in, the owner's profile page shows its contact address (nobody else's page has
    it); after saving the edit form the keywords field shows what was stored."""
    created = server.post(
        "/organisations",
        json={
            "name": "Biopsia Liquida SL",
            "stakeholder_type": "sme",
            "country": "ES",
            "contact_email": "hola@biopsia.example",
        },
    ).json()
    stranger = _tab(browser, server, DESKTOP)
    try:
        stranger.goto(f"/ui/organisations/{created['id']}")
        expect(stranger.locator("#owner-contact")).to_be_hidden()
        assert "hola@biopsia.example" not in stranger.content()
    finally:
        stranger.context.close()

    sign_in(page, created["api_key"], "Biopsia Liquida SL")
    page.goto(f"/ui/organisations/{created['id']}")
    expect(page.locator("#owner-contact")).to_have_text(
        "Contact e-mail (only this organisation and administrators see it): hola@biopsia.example"
    )

    page.goto(f"/ui/organisations/{created['id']}/edit")
    expect(page.get_by_label("Contact e-mail")).to_have_value("hola@biopsia.example")
    page.get_by_label("Keywords").fill("liquid biopsy, , ,🧬,  ctDNA ")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#status")).to_have_text("Saved your profile.")
    stored = server.get(f"/organisations/{created['id']}").json()["keywords"]
    expect(page.get_by_label("Keywords")).to_have_value(", ".join(stored))
    assert ", ," not in ", ".join(stored)


def test_an_organisation_card_on_a_phone_has_no_empty_city_label(
    server: httpx.Client, phone: Any
) -> None:
    """On a phone each organisation is a card: without a city there is no "City" label over
    nothing; with one, the label is there."""
    for name, city in [("Cityless Omics", None), ("Citied Omics", "Lyon")]:
        server.post(
            "/organisations",
            json={"name": name, "stakeholder_type": "sme", "country": "FR", "city": city},
        )
    phone.goto("/ui/organisations?q=Omics")
    cityless = phone.get_by_role("row").filter(has_text="Cityless Omics")
    expect(cityless.locator("td")).to_have_count(3)
    expect(cityless.locator("td").nth(2)).to_be_hidden()
    citied = phone.get_by_role("row").filter(has_text="Citied Omics").locator("td").nth(2)
    expect(citied).to_be_visible()
    label = citied.evaluate("(cell) => getComputedStyle(cell, '::before').content")
    assert label == '"City"'


def test_finding_expertise_with_only_spaces_says_what_to_write(page: Any) -> None:
    """Expertise searched with nothing but spaces is not an empty page: the field is marked and
    says what to write."""
    page.goto("/ui/expertise")
    page.get_by_label("Expertise needed").fill("    ")
    page.get_by_role("button", name="Find organisations").click()
    field = page.get_by_label("Expertise needed")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#q-error")).to_have_text(
        "Write the expertise you need in words first, for example the topic of a call or the "
        "skills a partner should bring; or choose a stakeholder type alone, to list every "
        "organisation of it."
    )
    expect(page.get_by_role("heading", name="Organisations that fit")).to_have_count(0)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_new_pages_name_their_controls_have_unique_ids_and_fit_the_screen(
    server: httpx.Client, browser: Any, viewport: sync_api.ViewportSize
) -> None:
    """The pages added for these journeys pass the checks every page passes (see
    test_accessibility): the explanation of verified types, "Lost your key?" at each step, the
    404 and 400 pages, and a registration done."""
    created = server.post(
        "/organisations",
        json={"name": "Accessible Keys BV", "stakeholder_type": "sme", "country": "NL"},
    ).json()
    tab = _tab(browser, server, viewport)
    try:
        paths = [
            "/ui/verification",
            "/ui/key-recovery",
            "/ui/key-recovery?q=Accessible",
            f"/ui/key-recovery?organisation={created['id']}",
            "/ui/nope",
            "/ui/calls?page=-1",
            f"/ui/organisations/new?registered={created['id']}",
            "/ui/expertise?q=+++",
        ]
        assert [problem for path in paths for problem in page_problems(tab, path)] == []
    finally:
        tab.context.close()
