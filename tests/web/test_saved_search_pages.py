"""The saved-searches page, rendered by the server: a public shell, and a private panel listing
the signed-in organisation's searches with Delete, and the form that saves another."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.partnering.fanout import run_events
from matchmaker.partnering.preferences import ensure_preference
from matchmaker.partnering.saved_searches import SearchIndex, current_index
from models.partnering import OutboxMessage
from models.saved_search import SearchTarget
from tests.factories import ONCOLOGY_SME, create_call, create_organisation
from tests.helpers import Page, bearer

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
SOIL = {
    "name": "Soil Institute",
    "stakeholder_type": "academia",
    "country": "FR",
    "description": "Soil microbiome and crop rotation field trials.",
    "keywords": ["soil", "agronomy"],
    "activities": [],
}


def save_search(anonymous: TestClient, owner: dict[str, Any], **body: Any) -> int:
    """Save a search for `owner` through the API; its id."""
    answer = anonymous.post(
        f"/organisations/{owner['id']}/saved-searches", headers=bearer(owner["api_key"]), json=body
    )
    assert answer.status_code == 201, answer.text
    search_id: int = answer.json()["id"]
    return search_id


def search_card(anonymous: TestClient, owner: dict[str, Any], search_id: int) -> str:
    """The panel's card of one saved search."""
    panel = anonymous.get("/ui/saved-searches/panel", headers=bearer(owner["api_key"]))
    assert panel.status_code == 200, panel.text
    card = panel.text.split(f'class="card saved-search" data-search-id="{search_id}"')[1]
    return card.split('data-action="delete-search"')[0]


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
def test_saved_search_form_says_what_the_type_means_for_each_kind_of_item(
    client: TestClient, anonymous: TestClient
) -> None:
    """A patient organisation wanting partner requests that look for one is told, beside the
    type, that it filters the types a request seeks (and a call requires); its saved search
    then reads "Seeking: Patient organisation", a call search "Requiring: ...", an
    organisation search "Types: ..."."""
    patients = create_organisation(
        client, name="Liver Patients", stakeholder_type="patient_organisation", country="BE"
    )
    bodies = {
        "partner_requests": "Seeking: Patient organisation.",
        "calls": "Requiring: Patient organisation.",
        "organisations": "Types: Patient organisation.",
    }
    searches = {
        target: save_search(
            anonymous,
            patients,
            target=target,
            text="liver disease",
            stakeholder_types=["patient_organisation"],
        )
        for target in bodies
    }
    panel = anonymous.get("/ui/saved-searches/panel", headers=bearer(patients["api_key"])).text
    assert 'name="stakeholder_type" aria-describedby="search-type-hint"' in panel
    hint = re.search(r'<p class="hint" id="search-type-hint">(.*?)</p>', panel)
    assert hint is not None
    assert hint.group(1) == (
        "Organisations of this type, calls that require it, partner requests that seek it: a "
        "patient organisation chooses “Patient organisation” to hear of the requests looking "
        "for one."
    )
    for target, words in bodies.items():
        assert words in search_card(anonymous, patients, searches[target])


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
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


def test_saved_search_panel_lists_the_profile_an_organisations_search_finds_as_mailed(
    client: TestClient, anonymous: TestClient, engine: Engine
) -> None:
    """An organisations search lists the profile its text fits, linked, with the relevance its
    e-mail gave; not a profile it does not fit, nor the searcher's own (which fits too)."""
    watcher = create_organisation(client, name="Biopsy Watchers")
    search_id = save_search(
        anonymous, watcher, target="organisations", text="liquid biopsy circulating tumour DNA"
    )
    fitting = create_organisation(client, **ONCOLOGY_SME)
    create_organisation(client, **SOIL)
    run_events(engine, base_url="https://matchmaker.example")
    with Session(engine) as session:
        mailed = session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.organisation_id) == watcher["id"])
        ).all()
    assert [message.subject for message in mailed] == [
        "An organisation for your search: Oncomark Diagnostics"
    ]
    relevance = re.search(r"\(relevance (\d+%);", mailed[0].body)
    assert relevance is not None

    card = search_card(anonymous, watcher, search_id)
    assert f'<p class="sentence" id="finds-{search_id}">Finds 1 organisation now:</p>' in card
    assert f'<ol class="finds" aria-labelledby="finds-{search_id}">' in card
    assert f'<a href="/ui/organisations/{fitting["id"]}">Oncomark Diagnostics</a>' in card
    assert f'<span class="score-value">{relevance.group(1)}</span>' in card
    assert "Soil Institute" not in card
    assert "Biopsy Watchers" not in card
    assert "Nothing reaches" not in card


def test_saved_search_panel_says_when_nothing_reaches_the_threshold(
    client: TestClient, anonymous: TestClient
) -> None:
    """A search whose threshold no item reaches says so in a sentence, and lists nothing: the
    profile shares two of its five words (34%), under the 90% asked for; at the default the same
    text finds it."""
    watcher = create_organisation(client, name="Biopsy Watchers")
    create_organisation(client, **ONCOLOGY_SME)
    text = "liquid biopsy wastewater surveillance sensors"
    strict = save_search(anonymous, watcher, target="organisations", text=text, threshold=0.9)
    lenient = save_search(anonymous, watcher, target="organisations", text=text)
    card = search_card(anonymous, watcher, strict)
    assert "Nothing reaches 90% relevance now.</p>" in card
    assert "Oncomark Diagnostics" not in card
    assert 'class="finds"' not in card
    found = search_card(anonymous, watcher, lenient)
    assert "Oncomark Diagnostics</a>" in found
    assert '<span class="score-value">34%</span>' in found


def test_saved_search_panel_lists_the_open_call_a_calls_search_finds(
    client: TestClient, anonymous: TestClient
) -> None:
    """A calls search, by text or by the profile, lists the open call that fits it, linked;
    a closed call that fits as well is not listed (its e-mail would never be sent)."""
    watcher = create_organisation(client, name="Biopsy Watchers")
    open_call = create_call(
        client, identifier="IHI-2026-01-01", opening_date="2026-01-01", deadline="2099-06-30"
    )
    create_call(client, identifier="IHI-2023-05-02")  # the same text, closed in 2024
    create_call(
        client,
        identifier="CL6-2026-02",
        title="Soil health and crop rotation",
        description="Field trials of soil microbiome management.",
        opening_date="2026-01-01",
        deadline="2099-06-30",
    )
    by_text = save_search(anonymous, watcher, target="calls", text="liquid biopsy early cancer")
    by_profile = save_search(anonymous, watcher, target="calls", fits_profile=True)
    link = f'<a href="/ui/calls/{open_call["id"]}">IHI-2026-01-01 Early detection of cancer'
    for search_id in (by_text, by_profile):
        card = search_card(anonymous, watcher, search_id)
        assert f'id="finds-{search_id}">Finds 1 call now:</p>' in card
        assert link in card
        assert "IHI-2023-05-02" not in card
        assert "CL6-2026-02" not in card


def test_saved_search_panel_lists_the_partner_request_a_search_finds_not_its_own(
    client: TestClient, anonymous: TestClient
) -> None:
    """A partner-requests search lists the open request that fits, linked to its call's
    partner requests; the publisher's own search of the same text does not find its own."""
    publisher = create_organisation(client, name="Leiden University")
    patients = create_organisation(
        client, name="Liver Patients", country="BE", stakeholder_type="patient_organisation"
    )
    call = create_call(
        client, identifier="IHI-2026-01-01", opening_date="2026-01-01", deadline="2099-06-30"
    )
    published = client.post(
        f"/calls/{call['id']}/partner-requests",
        headers=bearer(publisher["api_key"]),
        json={
            "stakeholder_types": ["patient_organisation"],
            "expertise": "Patient panels for liver disease screening.",
        },
    )
    assert published.status_code == 201, published.text
    text = "patient panels liver disease"
    theirs = save_search(anonymous, patients, target="partner_requests", text=text)
    own = save_search(anonymous, publisher, target="partner_requests", text=text)

    card = search_card(anonymous, patients, theirs)
    assert f'id="finds-{theirs}">Finds 1 partner request now:</p>' in card
    assert (
        f'<a href="/ui/calls/{call["id"]}#partner-requests">Leiden University, looking for '
        "partners for IHI-2026-01-01</a>"
    ) in card
    assert "Nothing reaches 3% relevance now." in search_card(anonymous, publisher, own)


def test_saved_search_panel_leaves_out_a_partner_request_the_organisation_does_not_fit(
    client: TestClient, anonymous: TestClient
) -> None:
    """A request seeking patient organisations from Germany is no find of a Belgian patient
    organisation's search, as its e-mails would not tell of it; a German one's search finds
    it. The search's countries still name the publishers' countries (the Netherlands here)."""
    publisher = create_organisation(client, name="Leiden University")
    belgian = create_organisation(
        client, name="Liver Patients", country="BE", stakeholder_type="patient_organisation"
    )
    german = create_organisation(
        client, name="Leberhilfe", country="DE", stakeholder_type="patient_organisation"
    )
    call = create_call(
        client, identifier="IHI-2026-01-01", opening_date="2026-01-01", deadline="2099-06-30"
    )
    published = client.post(
        f"/calls/{call['id']}/partner-requests",
        headers=bearer(publisher["api_key"]),
        json={
            "stakeholder_types": ["patient_organisation"],
            "countries": ["DE"],
            "expertise": "Patient panels for liver disease screening.",
        },
    )
    assert published.status_code == 201, published.text
    text = "patient panels liver disease"
    belgians = save_search(anonymous, belgian, target="partner_requests", text=text)
    germans = save_search(anonymous, german, target="partner_requests", text=text, countries=["NL"])
    sought_country = save_search(
        anonymous, german, target="partner_requests", text=text, countries=["DE"]
    )

    assert "Nothing reaches 3% relevance now." in search_card(anonymous, belgian, belgians)
    assert f'id="finds-{germans}">Finds 1 partner request now:</p>' in search_card(
        anonymous, german, germans
    )
    assert "Nothing reaches 3% relevance now." in search_card(anonymous, german, sought_country)
    panel = anonymous.get("/ui/saved-searches/panel", headers=bearer(belgian["api_key"])).text
    assert (
        "Organisations, and the publishers of partner requests; calls have no country. Partner "
        "requests that seek partners from other countries than yours, or other types, are never "
        "sent to you."
    ) in panel


def test_the_searches_index_is_kept_until_a_search_or_a_profile_changes(
    client: TestClient, engine: Engine
) -> None:
    """The page reads the saved searches' index once, not per request: the same index while
    nothing changes; a new index once a search is saved or deleted, or a profile (which a
    "calls that fit our profile" search reads) changes."""
    owner = create_organisation(client, **SOIL)
    save_search(client, owner, target="calls", text="soil microbiome")

    def index() -> SearchIndex:
        with Session(engine) as session:
            return current_index(session, target=SearchTarget.calls)

    first = index()
    assert index() is first
    second_search = save_search(client, owner, target="calls", fits_profile=True)
    with_two = index()
    assert with_two is not first
    assert len(with_two) == 2
    assert index() is with_two
    edited = client.patch(
        f"/organisations/{owner['id']}",
        headers=bearer(owner["api_key"]),
        json={"description": "Crop rotation field trials."},
    )
    assert edited.status_code == 200, edited.text
    after_edit = index()
    assert after_edit is not with_two
    deleted = client.delete(
        f"/organisations/{owner['id']}/saved-searches/{second_search}",
        headers=bearer(owner["api_key"]),
    )
    assert deleted.status_code == 204, deleted.text
    assert len(index()) == 1
