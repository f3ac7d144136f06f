"""The saved-searches page, rendered by the server: a public shell, and a private panel listing
the signed-in organisation's searches with Delete, and the form that saves another."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from matchmaker.partnering.preferences import ensure_preference
from tests.factories import create_organisation
from tests.helpers import Page, bearer

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def test_saved_searches_shell_is_public_and_loads_the_panel_with_the_key(
    anonymous: TestClient,
) -> None:
    """The page asks to sign in; its panel is fetched with the key, never without."""
    shell = anonymous.get("/ui/saved-searches")
    assert shell.status_code == 200
    assert 'data-fragment="/ui/saved-searches/panel"' in shell.text
    assert 'href="/ui/saved-searches" aria-current="page">Saved searches</a>' in shell.text
    assert "Sign in with your organisation key" in shell.text
    assert anonymous.get("/ui/saved-searches/panel").status_code == 401
    refused = anonymous.post("/ui/saved-searches", data={"text": "x"})
    assert refused.status_code == 400
    assert "This form needs JavaScript" in refused.text


def test_saved_searches_panel_lists_the_organisations_own_searches_escaped(
    client: TestClient, anonymous: TestClient
) -> None:
    """Each search with its filters and a Delete button; another organisation's are not shown;
    an admin key (no organisation) is refused; the form's controls are labelled."""
    owner = create_organisation(client, name="Biopsy Watchers")
    other = create_organisation(client, name="Soil Institute")
    saved = [
        anonymous.post(
            f"/organisations/{owner['id']}/saved-searches",
            headers=bearer(owner["api_key"]),
            json=body,
        )
        for body in (
            {"target": "calls", "fits_profile": True},
            {
                "target": "organisations",
                "text": HOSTILE,
                "stakeholder_types": ["patient_organisation"],
                "countries": ["BE"],
                "threshold": 0.25,
            },
        )
    ]
    assert [response.status_code for response in saved] == [201, 201], saved[1].text
    anonymous.post(
        f"/organisations/{other['id']}/saved-searches",
        headers=bearer(other["api_key"]),
        json={"target": "calls", "text": "soil microbiome"},
    )

    response = anonymous.get("/ui/saved-searches/panel", headers=bearer(owner["api_key"]))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert f'data-organisation-id="{owner["id"]}"' in page
    assert 'Your saved searches <span class="count">(2 of at most 20)</span>' in page
    assert "New calls: calls that fit your profile</h3>" in page
    assert "soil microbiome" not in page
    card = page.split(f'data-search-id="{saved[1].json()["id"]}"')[1].split("</li>")[0]
    assert "New or updated organisations: “&lt;script&gt;alert(&#34;x&#34;)" in card
    assert "Types: Patient organisation." in card
    assert "Countries: Belgium." in card
    assert "Relevance at least 25%." in card
    assert "<script>alert" not in page
    assert page.count('data-action="delete-search"') == 2
    assert 'data-action="save-search" method="post" action="/ui/saved-searches"' in page
    parsed = Page(page)
    assert {control["id"] for control in parsed.controls} <= parsed.labels
    assert client.get("/ui/saved-searches/panel").status_code == 403


def test_saved_searches_panel_offers_no_form_at_the_limit(
    client: TestClient, anonymous: TestClient
) -> None:
    """At MATCHMAKER_MAX_SAVED_SEARCHES the form gives way to a note; an empty list says so."""
    owner = create_organisation(client, name="Biopsy Watchers")
    empty = anonymous.get("/ui/saved-searches/panel", headers=bearer(owner["api_key"])).text
    assert "No saved search yet" in empty
    for number in range(20):
        answer = anonymous.post(
            f"/organisations/{owner['id']}/saved-searches",
            headers=bearer(owner["api_key"]),
            json={"target": "calls", "text": f"topic {number}"},
        )
        assert answer.status_code == 201, answer.text
    full = anonymous.get("/ui/saved-searches/panel", headers=bearer(owner["api_key"])).text
    assert "(20 of at most 20)" in full
    assert 'id="saved-search-form"' not in full
    assert "keeps the most saved searches allowed (20)" in full


def test_unsubscribed_page_leads_to_the_email_choice_not_the_api(
    anonymous: TestClient, client: TestClient, engine: Engine
) -> None:
    """After unsubscribing, the page says where to choose e-mail again: the saved-searches
    page's E-mail section, whose panel shows the current choice (no API call to make)."""
    organisation = create_organisation(client, name="Quiet Patients", contact_email="q@p.example")
    with Session(engine) as session:
        token = ensure_preference(session, organisation_id=organisation["id"]).unsubscribe_token
        session.commit()
    done = anonymous.post(f"/unsubscribe/{token}")
    assert done.status_code == 200, done.text
    assert '<a href="/ui/saved-searches#email-preference">' in done.text
    assert "notification-preferences" not in done.text

    panel = anonymous.get("/ui/saved-searches/panel", headers=bearer(organisation["api_key"]))
    assert panel.status_code == 200
    assert 'id="email-preference"' in panel.text
    assert 'id="email-off" name="email" value="off" checked>' in panel.text
    assert "<strong>q@p.example</strong>" in panel.text
    silent = create_organisation(client, name="Addressless Patients", contact_email=None)
    without = anonymous.get("/ui/saved-searches/panel", headers=bearer(silent["api_key"])).text
    assert "Your profile gives none, so nothing is e-mailed" in without
    assert f'<a href="/ui/organisations/{silent["id"]}/edit">add one to your profile</a>' in without
    assert 'id="email-immediately" name="email" value="immediately" checked>' in without
