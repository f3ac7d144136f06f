"""The web pages, rendered by the server: status, key content, headers, no external assets."""

import csv
import html
import io
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from jinja2.utils import LRUCache

from api.web import templating
from matchmaker import wording
from models.consortium import Role
from tests.factories import create_call, create_organisation
from tests.helpers import Page, bearer

CALL_TEXT = "Liquid biopsy for early cancer detection, with patients involved from the start."


def _corpus(client: TestClient) -> dict[str, Any]:
    """A call and organisations of every type it needs, plus one that fits nothing."""
    call = create_call(
        client,
        identifier="IHI-2024-LB-01",
        title="Liquid biopsy for early cancer detection",
        programme="IHI",
        # The page's own behaviour, without IHI's in-kind rule (tests/api/test_eligibility.py).
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={"academia": 1, "sme": 1, "patient_organisation": 1},
        min_countries=2,
        max_partners=4,
        opening_date="2024-01-10",
        deadline="2099-03-01",
    )
    rows = [
        ("Leiden Liquid Biopsy Lab", "academia", "NL", "Liquid biopsy and early cancer detection."),
        ("Oslo Cancer Institute", "academia", "NO", "Early cancer detection and biomarkers."),
        ("Biopsy Assays BV", "sme", "NL", "Liquid biopsy assays for cancer."),
        ("Detect GmbH", "sme", "DE", "Cancer detection diagnostics, liquid samples."),
        ("Patients Against Cancer", "patient_organisation", "BE", "Cancer patients involved."),
        ("Rare Patients Europe", "patient_organisation", "FR", "Patients with rare cancer."),
        ("Soil Works", "industry", "ES", "Soil, agriculture and compost."),
    ]
    organisations = {
        name: create_organisation(
            client,
            name=name,
            stakeholder_type=kind,
            country=country,
            description=text,
            keywords=[],
            activities=[],
            contact_email=f"contact@{name.split()[0].lower()}.example",
        )
        for name, kind, country, text in rows
    }
    return {"call": call, "organisations": organisations}


def _draft(
    client: TestClient, corpus: dict[str, Any], owner: str, members: list[str]
) -> dict[str, Any]:
    organisations = corpus["organisations"]
    response = client.post(
        "/consortia",
        headers=bearer(organisations[owner]["api_key"]),
        json={
            "name": "LB draft",
            "call_id": corpus["call"]["id"],
            "members": [{"organisation_id": organisations[name]["id"]} for name in members],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.sqlite_only
def test_root_and_web_root_redirect_to_the_call_list(anonymous: TestClient) -> None:
    """The bare address and /ui send the visitor to the list of calls."""
    for path in ("/", "/ui", "/ui/"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/calls"


def test_call_list_searches_words_and_filters_programme_status_and_deadline(
    client: TestClient, anonymous: TestClient
) -> None:
    """Search words, programme, status and deadline range each narrow the list of calls."""
    create_call(
        client,
        identifier="IHI-OPEN",
        title="Liquid biopsy",
        programme="IHI",
        opening_date="2024-01-01",
        deadline="2099-01-01",
    )
    create_call(
        client,
        identifier="IMI-CLOSED",
        title="Antimicrobial resistance",
        programme="IMI2",
        opening_date="2019-01-01",
        deadline="2020-01-01",
    )
    create_call(
        client,
        identifier="IHI-SOON",
        title="Digital twins of the heart",
        programme="IHI",
        opening_date="2098-01-01",
        deadline="2098-06-01",
    )

    def listed(query: str) -> list[str]:
        response = anonymous.get(f"/ui/calls{query}")
        assert response.status_code == 200
        return re.findall(r'<span class="identifier">([^<]+)</span>', response.text)

    assert listed("") == ["IHI-OPEN", "IHI-SOON", "IMI-CLOSED"]
    assert listed("?q=biopsy+liquid") == ["IHI-OPEN"]
    assert listed("?q=imi-closed") == ["IMI-CLOSED"]
    assert listed("?programme=IHI") == ["IHI-OPEN", "IHI-SOON"]
    assert listed("?status=forthcoming") == ["IHI-SOON"]
    assert listed("?deadline_from=2021-01-01&deadline_to=2098-12-31") == ["IHI-SOON"]
    assert listed("?programme=IHI&status=closed") == []
    page = anonymous.get("/ui/calls").text
    assert '<option value="IMI2">IMI2</option>' in page
    assert "Showing 1\N{EN DASH}3 of 3 calls" in page


@pytest.mark.sqlite_only
def test_call_list_ignores_filter_values_it_does_not_know(
    client: TestClient, anonymous: TestClient
) -> None:
    """A made-up status or an unreadable date shows every call instead of an error."""
    create_call(client)
    response = anonymous.get("/ui/calls?status=bogus&deadline_from=tomorrow&page=9")
    assert response.status_code == 200
    assert "IHI-2023-05-02" in response.text
    assert "Showing 1\N{EN DASH}1 of 1 call" in response.text


@pytest.mark.sqlite_only
def test_call_list_carries_what_marks_the_calls_new_since_the_last_visit(
    client: TestClient, anonymous: TestClient
) -> None:
    """Each card carries when its call was stored, and the page when it was made, as text of
    one width that sorts in time order; the page names the API list of the same calls, which
    counts those stored after a moment (what the script marks and counts as new)."""
    older = create_call(client, identifier="IHI-OLD", programme="IHI", deadline="2099-01-01")
    newer = create_call(client, identifier="CL5-NEW", programme="CL5", deadline="2099-02-01")
    stored = [
        datetime.fromisoformat(call["created_at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for call in (older, newer)
    ]
    page = anonymous.get("/ui/calls").text
    assert re.findall(r'data-created-at="([^"]+)"', page) == stored
    (shown_at,) = re.findall(r'data-shown-at="([^"]+)"', page)
    assert len(shown_at) == len(stored[1])
    assert shown_at > stored[1]
    assert re.findall(r'<p class="result-count" id="new-calls" [^>]*>', page) == [
        f'<p class="result-count" id="new-calls" data-shown-at="{shown_at}" '
        'data-same-calls="/calls?limit=1" hidden>'
    ]
    after_older = "&created_after=" + quote(stored[0])
    assert anonymous.get("/calls?limit=1" + after_older).json()["total"] == 1
    filtered = anonymous.get("/ui/calls?programme=IHI&status=bogus").text
    same = html.unescape(re.findall(r'data-same-calls="([^"]+)" data-filtered hidden', filtered)[0])
    assert same == "/calls?programme=IHI&limit=1"
    assert anonymous.get(same + after_older).json()["total"] == 0


def test_call_list_pages_through_many_calls(client: TestClient, anonymous: TestClient) -> None:
    """Past 25 calls the list has a next page that keeps the filters."""
    for number in range(27):
        create_call(client, identifier=f"IHI-{number:02d}", deadline=f"2099-01-{number + 1:02d}")
    first = anonymous.get("/ui/calls?programme=IHI").text
    assert "Showing 1\N{EN DASH}25 of 27 calls" in first
    assert 'href="/ui/calls?programme=IHI&amp;page=2" rel="next"' in first
    second = anonymous.get("/ui/calls?programme=IHI&page=2").text
    assert "Showing 26\N{EN DASH}27 of 27 calls" in second
    assert re.findall(r'<span class="identifier">([^<]+)</span>', second) == ["IHI-25", "IHI-26"]


@pytest.mark.sqlite_only
def test_call_page_shows_requirements_and_ranked_suggestions_with_shared_terms(
    client: TestClient, anonymous: TestClient
) -> None:
    """The call page lists what the call requires and who fits, best first, with why."""
    corpus = _corpus(client)
    response = anonymous.get(f"/ui/calls/{corpus['call']['id']}")
    assert response.status_code == 200
    page = response.text
    assert "Liquid biopsy for early cancer detection" in page
    assert "<dt>Patient organisation</dt><dd>at least 1</dd>" in page
    assert "<dt>Countries</dt><dd>at least 2</dd>" in page
    assert "<dt>Partners</dt><dd>at most 4</dd>" in page
    # Dates as a sentence writes them (`wording.say_date`), with no leading zero.
    assert 'Opens <time datetime="2024-01-10">10 Jan 2024</time>' in page
    assert 'Deadline <time datetime="2099-03-01">1 Mar 2099</time>' in page
    rows = Page(page).rows
    names = {org["id"]: name for name, org in corpus["organisations"].items()}
    ranked = [names[int(row["data-organisation-id"])] for row in rows]
    assert ranked[0] == "Leiden Liquid Biopsy Lab"
    assert "Soil Works" not in ranked
    assert "<li>liquid biopsy</li>" in page
    assert f'href="/ui/calls/{corpus["call"]["id"]}/consortium"' in page


def test_call_page_filters_suggestions_by_stakeholder_type_and_country(
    client: TestClient, anonymous: TestClient
) -> None:
    """Suggestions narrow to one stakeholder type and one country, and say so in the form."""
    corpus = _corpus(client)
    call_id = corpus["call"]["id"]
    page = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=sme&country=de").text
    ids = [int(row["data-organisation-id"]) for row in Page(page).rows]
    assert ids == [corpus["organisations"]["Detect GmbH"]["id"]]
    assert '<option value="sme" selected>SME</option>' in page
    assert '<option value="DE" selected>Germany</option>' in page
    unknown = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=wizard&country=XX")
    assert unknown.status_code == 200
    assert len(Page(unknown.text).rows) == 6


@pytest.mark.sqlite_only
def test_call_page_shows_more_suggestions_on_demand(
    client: TestClient, anonymous: TestClient
) -> None:
    """Twenty suggestions first, then "Show more" adds the next ones, filters kept, until the
    ranking ends (no "Show more" then, even when the last page is exactly full); it leads to
    the first new row."""
    for number in range(25):
        create_organisation(
            client,
            name=f"Biopsy Lab {number}",
            stakeholder_type="sme",
            country="DE",
            description=f"Liquid biopsy assays, series {number}.",
        )
    call_id = create_call(client, identifier="MORE-1", title="Liquid biopsy assays")["id"]
    first = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=sme").text
    assert len(Page(first).rows) == 20
    link = re.search(r'href="([^"]+)" data-show-more>Show more<', first)
    assert link is not None
    assert "stakeholder_type=sme" in link.group(1)
    assert "shown=40" in link.group(1)
    # It leads to the first new row, which can take the focus without joining the Tab order.
    assert link.group(1).endswith("#suggestion-21")
    second = anonymous.get(link.group(1).replace("&amp;", "&")).text
    assert re.search(r'<tr [^>]*id="suggestion-21" tabindex="-1">', second)
    rows = [int(row["data-organisation-id"]) for row in Page(second).rows]
    assert len(rows) == len(set(rows)) == 25
    assert "data-show-more" not in second
    exactly = anonymous.get(f"/ui/calls/{call_id}?stakeholder_type=sme&shown=25").text
    assert len(Page(exactly).rows) == 25
    assert "data-show-more" not in exactly
    too_many = anonymous.get(f"/ui/calls/{call_id}?shown=500", headers={"Accept": "text/html"})
    assert too_many.status_code == 400
    assert too_many.headers["content-type"].startswith("text/html")


@pytest.mark.sqlite_only
def test_unknown_call_and_organisation_pages_are_html_404s(anonymous: TestClient) -> None:
    """A page for something that does not exist says so in HTML, with status 404."""
    for path in ("/ui/calls/999", "/ui/organisations/999", "/ui/organisations/999/edit"):
        response = anonymous.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "with id 999" in response.text


@pytest.mark.sqlite_only
def test_calls_page_with_deadlines_the_wrong_way_round_says_so_and_offers_them_swapped(
    client: TestClient, anonymous: TestClient
) -> None:
    """A "Deadline until" before the "Deadline from" finds nothing: the page says why, not "No
    call matches these filters", and links the same search with the dates swapped."""
    create_call(client, identifier="SPRING-2099", title="Spring screening", deadline="2099-04-15")
    page = anonymous.get(
        "/ui/calls?q=screening&deadline_from=2099-06-01&deadline_to=2099-03-01"
    ).text
    assert (
        "No call can match: “Deadline until” (1 Mar 2099) is before “Deadline from”"
        " (1 Jun 2099)." in page
    )
    assert "No call matches these filters" not in page
    assert "No call has the word" not in page
    swapped = re.search(r'<a href="([^"]+)">Show the calls with deadlines from 1 Mar 2099', page)
    assert swapped is not None
    assert swapped.group(1) == (
        "/ui/calls?q=screening&amp;deadline_from=2099-03-01&amp;deadline_to=2099-06-01"
    )
    found = anonymous.get(swapped.group(1).replace("&amp;", "&")).text
    assert "Spring screening" in found
    assert "dates-backwards" not in found


@pytest.mark.sqlite_only
def test_a_malformed_repeated_query_value_is_named_without_its_place_in_the_list(
    client: TestClient, anonymous: TestClient
) -> None:
    """The builder's address with `include=abc&include=x` says once, in words, that `include`
    must be a whole number: no `include.0`, no sentence twice."""
    call_id = create_call(client)["id"]
    response = anonymous.get(
        f"/ui/calls/{call_id}/consortium?include=abc&include=x", headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    assert "This address is not valid: include must be a whole number." in response.text
    assert "include.0" not in response.text
    assert response.text.count("must be a whole number") == 1


@pytest.mark.sqlite_only
def test_builder_page_shows_the_proposal_with_what_each_member_fills(
    client: TestClient, anonymous: TestClient
) -> None:
    """The builder proposes a consortium meeting the call, each member with its requirement."""
    corpus = _corpus(client)
    call_id = corpus["call"]["id"]
    response = anonymous.get(f"/ui/calls/{call_id}/consortium")
    assert response.status_code == 200
    page = response.text
    assert "Meets every requirement of the call with 4 partners." in page
    assert re.search(r'data-label="Fills">Patient organisation</td>', page)
    assert "Alternative 1" in page
    members = re.search(r'id="proposal-0" value="0" checked data-members="([\d,]+)"', page)
    assert members is not None
    assert len(members.group(1).split(",")) == 4
    assert 'id="draft-form"' in page


@pytest.mark.sqlite_only
def test_builder_page_says_which_required_places_it_fills_with_no_close_fit(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call needs an industry partner and the only one shares nothing with it: the proposal
    still fills the place, and says that the industry partner it proposes fits under 1%; a
    proposal whose members all fit closely says nothing of it. Both say what a score means."""
    corpus = _corpus(client)
    call = create_call(
        client,
        identifier="IND-1",
        title="Liquid biopsy assays with an industry partner",
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={"sme": 1, "industry": 1},
        deadline="2099-03-01",
    )
    page = anonymous.get(f"/ui/calls/{call['id']}/consortium").text
    assert "Soil Works</a>" in page
    assert (
        '<p class="notice notice-warn" id="weak-places">No close fit among the industry '
        "partners proposed: each scores under 1%, where a few percent is usual. In a draft, a "
        "partner request can look for closer ones.</p>"
    ) in page
    assert '<p class="hint" id="builder-score-hint">The score is the one the call' in page
    fitting = anonymous.get(f"/ui/calls/{corpus['call']['id']}/consortium").text
    assert "Meets every requirement" in fitting
    assert 'id="weak-places"' not in fitting
    assert 'id="builder-score-hint"' in fitting


@pytest.mark.sqlite_only
def test_builder_page_keeps_and_leaves_out_the_organisations_asked(
    client: TestClient, anonymous: TestClient
) -> None:
    """`include` pins an organisation into the proposal and `exclude` keeps one out of it."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    kept, dropped = organisations["Rare Patients Europe"], organisations["Leiden Liquid Biopsy Lab"]
    page = anonymous.get(
        f"/ui/calls/{corpus['call']['id']}/consortium",
        params={"include": kept["id"], "exclude": dropped["id"]},
    ).text
    ids = {int(row["data-organisation-id"]) for row in Page(page).rows}
    assert kept["id"] in ids
    assert dropped["id"] not in ids
    assert 'Rare Patients Europe</a> <span class="badge badge-pinned">Kept</span>' in page
    assert "Left out:" in page


@pytest.mark.sqlite_only
def test_builder_address_that_keeps_and_leaves_out_one_organisation_says_neither_holds(
    client: TestClient, anonymous: TestClient
) -> None:
    """An address edited to both keep and leave out one organisation applies neither to it and
    says so in words, where the API's "cannot be both included and excluded" stood and every
    other organisation kept or left out was dropped too."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    kept, both = organisations["Rare Patients Europe"], organisations["Leiden Liquid Biopsy Lab"]
    page = anonymous.get(
        f"/ui/calls/{corpus['call']['id']}/consortium",
        params={"include": [kept["id"], both["id"]], "exclude": both["id"]},
    ).text
    assert "cannot be both" not in page
    assert (
        '<div class="notice" role="status" id="kept-and-left-out"><p>Leiden Liquid Biopsy Lab '
        "was both kept and left out in this page&#39;s address, so neither holds: keep it or "
        "leave it out again below.</p></div>"
    ) in page
    assert 'Rare Patients Europe</a> <span class="badge badge-pinned">Kept</span>' in page
    assert "Left out:" not in page


@pytest.mark.sqlite_only
def test_builder_words_keeping_and_leaving_out_alike_and_separates_an_alternatives_names(
    client: TestClient, anonymous: TestClient
) -> None:
    """The hint, the buttons and their labels use one pair of words each, "Keep" / "Stop
    keeping" and "Leave out" / "Put back" (a kept member's button said "Unpin"), each label
    starting with its button's words; an alternative's changes are separated in the text
    itself, "Without A; with B", where a stylesheet's dot stood between "A" and "with"."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    kept, dropped = organisations["Rare Patients Europe"], organisations["Leiden Liquid Biopsy Lab"]
    page = anonymous.get(
        f"/ui/calls/{corpus['call']['id']}/consortium",
        params={"include": kept["id"], "exclude": dropped["id"]},
    ).text
    assert (
        "“Keep” puts an organisation in every proposal until you choose “Stop keeping”; "
        "“Leave out” proposes without it until you choose “Put back”."
    ) in page
    assert "Unpin" not in page
    assert "pins" not in page
    actions = re.findall(r'<a [^>]*aria-label="([^"]+)"[^>]*>([^<]+)</a>', page)
    words = {text for _, text in actions if text in {"Keep", "Stop keeping", "Leave out"}}
    assert words == {"Keep", "Stop keeping", "Leave out"}
    assert ("Stop keeping Rare Patients Europe in every proposal", "Stop keeping") in actions
    assert ("Put back Leiden Liquid Biopsy Lab", "Put back") in actions
    for label, text in actions:
        if text in {"Keep", "Stop keeping", "Leave out", "Put back"}:
            assert label.startswith(f"{text} "), (label, text)

    diffs = re.findall(r'<p class="diff">(.*?)</p>', page, re.S)
    assert diffs
    for diff in diffs:
        names = re.findall(r"<strong>(.*?)</strong>", diff)
        text = re.sub(r"<[^>]+>", "", diff)
        assert text in {
            f"Without {names[0]}; with {names[-1]}",
            f"Without {names[0]}",
            f"With {names[0]}",
        }, text


@pytest.mark.sqlite_only
def test_builder_page_explains_an_unknown_organisation_and_proposes_without_it(
    client: TestClient, anonymous: TestClient
) -> None:
    """An `include` naming no organisation is reported and the plain proposal is shown."""
    corpus = _corpus(client)
    response = anonymous.get(f"/ui/calls/{corpus['call']['id']}/consortium?include=9999")
    assert response.status_code == 200
    assert "Unknown organisation 9999." in response.text
    assert "Meets every requirement" in response.text


@pytest.mark.sqlite_only
def test_organisation_page_shows_the_profile_but_never_the_contact_email(
    client: TestClient, anonymous: TestClient
) -> None:
    """A public profile page has the expertise, fitting calls and look-alikes, no personal data."""
    corpus = _corpus(client)
    organisation = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    assert "<h1>Biopsy Assays BV</h1>" in page
    assert "Liquid biopsy assays for cancer." in page
    assert "Liquid biopsy for early cancer detection</a>" in page
    assert "Similar organisations" in page
    assert "contact@biopsy.example" not in page
    assert "@" not in re.sub(r"<footer.*</footer>", "", page, flags=re.S)


@pytest.mark.sqlite_only
def test_organisation_page_says_what_the_percentage_of_a_fitting_call_means(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "Calls that fit" explains its percentages as the call page does (the same score, a
    chance, a few percent usual), so a profile at 13% does not read as a poor fit."""
    corpus = _corpus(client)
    organisation = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    fitting = page.split('id="calls-heading"')[1].split("</section>")[0]
    assert (
        '<p class="hint" id="calls-fit-hint">Open and forthcoming calls, best fit first; the '
        "words are what this profile shares with each. The percentage is the score the call's "
        "suggested partners show: the chance that an organisation scored so took part in a "
        "funded consortium for such a call, as measured on past EU calls. A few percent is "
        "usual; even a call's best rarely score above 25%.</p>"
    ) in fitting
    assert '<ol class="compact-list" aria-describedby="calls-fit-hint">' in fitting


@pytest.mark.sqlite_only
def test_organisation_page_says_what_the_similarity_of_similar_organisations_means(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "Similar organisations" says its percentages are text similarity, not the score of
    suggested partners, so a 60% beside a call's 3% is not read on one scale."""
    corpus = _corpus(client)
    organisation = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    similar = page.split('id="similar-heading"')[1].split("</section>")[0]
    assert "Leiden Liquid Biopsy Lab</a>" in similar
    assert (
        '<p class="hint" id="similar-hint">Profiles whose wording is closest to this one\'s. '
        "The similarity is how much of their wording two profiles share (their text "
        "similarity, from 0 to 100%), not the score of a call's suggested partners: the two "
        "read on different scales.</p>"
    ) in similar
    assert '<table class="table responsive-table" aria-describedby="similar-hint">' in similar


@pytest.mark.sqlite_only
def test_a_profile_with_no_expertise_says_it_is_matched_on_its_name_alone(
    client: TestClient, anonymous: TestClient
) -> None:
    """A profile registered with a name only has "Calls that fit" on its name's words: the page
    says so, and offers its owner (the paragraph the script shows to it alone) to describe its
    expertise; a described profile says neither."""
    create_call(
        client,
        identifier="COH-1",
        title="Population cohorts for cancer research",
        description="Cohorts.",
        deadline="2099-03-01",
    )
    bare = create_organisation(
        client,
        name="Nordic Cohort Services",
        stakeholder_type="sme",
        description="",
        keywords=[],
        activities=[],
    )
    page = anonymous.get(f"/ui/organisations/{bare['id']}").text
    fitting = page.split('id="calls-heading"')[1].split("</section>")[0]
    assert "Population cohorts for cancer research</a>" in fitting
    assert (
        '<p class="notice notice-warn" id="name-only">This profile describes no expertise yet, '
        "so these calls share words with its name alone.</p>"
    ) in fitting
    assert (
        f'<p id="describe-prompt" data-owner-only="{bare["id"]}" data-not-admin hidden>'
        f'<a href="/ui/organisations/{bare["id"]}/edit">Describe your expertise</a>: calls, '
        "suggested partners and searches match your profile on this text, its keywords and "
        "past projects; until then, on its name alone.</p>"
    ) in page
    described = create_organisation(
        client,
        name="Helsinki Cohorts Oy",
        stakeholder_type="sme",
        description="Population cohorts and biobanks.",
        keywords=[],
        activities=[],
    )
    page = anonymous.get(f"/ui/organisations/{described['id']}").text
    assert "Population cohorts for cancer research</a>" in page
    assert 'id="name-only"' not in page
    assert 'id="describe-prompt"' not in page


@pytest.mark.sqlite_only
def test_organisation_page_names_only_telling_terms_of_a_fitting_call(
    client: TestClient, anonymous: TestClient
) -> None:
    """The terms a profile shares with a fitting call leave out filler and generic words
    ("SMEs", "companies", "solutions"), as the API's and the call page's do."""
    organisation = create_organisation(
        client,
        name="Soil Lab SL",
        stakeholder_type="sme",
        description="SMEs and companies: solutions for soil health monitoring.",
        keywords=[],
        activities=[],
    )
    create_call(
        client,
        identifier="SOIL-1",
        title="Soil health monitoring",
        description="SMEs and companies bring solutions for soil health monitoring.",
        deadline="2099-03-01",
    )
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    fitting = page.split('id="calls-heading"')[1].split("</section>")[0]
    shown = re.findall(r"<li>([^<]+)</li>", fitting.split('<ul class="terms"')[1])
    api = client.get(f"/organisations/{organisation['id']}/calls").json()["items"][0]
    assert shown == [term["term"] for term in api["matched_terms"]][: len(shown)]
    assert "soil health" in shown
    assert not {"smes", "companies", "solutions", "companies smes"} & set(shown)
    # A call sharing only such words with the profile does not say it shares nothing.
    create_call(
        client,
        identifier="GRID-1",
        title="Power grids",
        description="SMEs and companies bring solutions for power grids.",
        deadline="2099-03-01",
    )
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    grid = page.split('id="calls-heading"')[1].split("GRID-1")[1].split("</li>")[0]
    assert '<span class="muted">No specific terms in common</span>' in grid
    assert "No shared terms" not in page


@pytest.mark.sqlite_only
def test_calls_that_share_a_few_words_only_wait_behind_the_close_fits(
    client: TestClient, anonymous: TestClient
) -> None:
    """On a profile, the calls scoring under 1% (no close fit) wait behind their count below
    those that fit closely; with no close fit at all, a sentence says so above them."""
    organisation = create_organisation(
        client,
        name="Soil Lab SL",
        stakeholder_type="sme",
        description=(
            "Soil health monitoring in vineyards and orchards: compost, erosion, earthworms, "
            "nitrogen, irrigation, cover crops, pruning, grapes, terroir, with sensors."
        ),
        keywords=[],
        activities=[],
    )
    create_call(
        client,
        identifier="SOIL-1",
        title="Soil health monitoring in vineyards",
        description="Sensors for soil health monitoring in vineyards.",
        deadline="2099-03-01",
    )
    create_call(
        client,
        identifier="HEART-1",
        title="Heart failure registries",
        description=(
            "Heart failure registries: echocardiography, natriuretic peptides, drug titration, "
            "hospital readmission, implantable devices, registry linkage, cardiology nurses, "
            "rehabilitation programmes, quality of life and, among other tools, sensors."
        ),
        deadline="2099-03-01",
    )
    for number in range(8):
        create_organisation(
            client,
            name=f"Cardio Centre {number}",
            stakeholder_type="healthcare_provider",
            description="Heart failure registries and cardiology, with sensors.",
            keywords=[],
            activities=[],
        )
    scores = {
        item["call"]["identifier"]: item["score"]
        for item in client.get(f"/organisations/{organisation['id']}/calls").json()["items"]
    }
    assert scores["SOIL-1"] >= 0.005 > scores["HEART-1"]
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    fitting = page.split('id="calls-heading"')[1].split("</section>")[0]
    in_view, _, behind = fitting.partition('<details class="weak-fits" id="weak-fits">')
    assert "SOIL-1" in in_view
    assert "HEART-1" not in in_view
    assert "<summary>1 more call, each under 1%: a few words in common</summary>" in behind
    assert "HEART-1" in behind
    assert 'id="no-close-call"' not in page

    weak_only = create_organisation(
        client,
        name="Rolling Mill Diagnostics",
        stakeholder_type="industry",
        description=(
            "Predictive maintenance of rolling mills and turbines: vibration analysis, bearing "
            "wear, lubrication, gearboxes, hydraulics, with sensors."
        ),
        keywords=[],
        activities=[],
    )
    weak_scores = client.get(f"/organisations/{weak_only['id']}/calls").json()["items"]
    assert len(weak_scores) == 2
    assert all(item["score"] < 0.005 for item in weak_scores)
    page = anonymous.get(f"/ui/organisations/{weak_only['id']}").text
    fitting = page.split('id="calls-heading"')[1].split("</section>")[0]
    sentence = (
        '<p class="notice" id="no-close-call">No call fits closely: each scores under 1%, '
        "where a few percent is usual.</p>"
    )
    assert sentence in fitting
    assert fitting.index(sentence) < fitting.index("HEART-1")
    assert "weak-fits" not in fitting


def test_lost_key_page_finds_the_organisation_by_the_beginnings_of_words_of_its_name(
    client: TestClient, anonymous: TestClient
) -> None:
    """Remembering its name only in part ("rare kidney assoc"), a user who lost the key still
    finds the organisation to ask for a new one."""
    organisation = create_organisation(
        client, name="European Association for Rare Kidney Disease Patients", country="BE"
    )
    create_organisation(client, name="Kidney Research Institute", country="NL")
    page = anonymous.get("/ui/key-recovery", params={"q": "rare kidney assoc"}).text
    choices = page.split('id="key-recovery-choices"')[1].split("</ul>")[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', choices) == [
        (
            f"/ui/key-recovery?organisation={organisation['id']}",
            "European Association for Rare Kidney Disease Patients",
        )
    ]


@pytest.mark.sqlite_only
def test_organisation_page_says_the_part_played_in_each_past_project(
    client: TestClient, anonymous: TestClient
) -> None:
    """The part the form asks for ("Your part") is on the profile page, in the form's words,
    and a project given without one says nothing of it."""
    organisation = create_organisation(
        client,
        name="Vall Nova Hospital",
        stakeholder_type="healthcare_provider",
        country="ES",
        activities=[
            {"title": "PedCanRWD", "year": 2021, "role": "coordinator"},
            {"title": "KidsTrials", "role": "associated_partner"},
            {"title": "HARMONY-Kids"},
        ],
    )
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    projects = page.split('id="activities-heading"')[1].split("</section>")[0]
    assert re.findall(r"<li>\s*<h3[^>]*>([^<]+)", projects) == [
        "PedCanRWD ",
        "KidsTrials",
        "HARMONY-Kids",
    ]
    assert re.findall(r'<p class="meta">([^<]+)</p>', projects) == [
        "Coordinator in this project",
        "Associated partner in this project",
    ]


@pytest.mark.sqlite_only
def test_organisation_page_says_the_call_each_past_project_was_funded_under(
    client: TestClient, anonymous: TestClient
) -> None:
    """A past project given its call reads "Funded under" that identifier, as stored
    (upper-case), beside its part; one given none says nothing of a call."""
    organisation = create_organisation(
        client,
        name="Vall Nova Hospital",
        stakeholder_type="healthcare_provider",
        country="ES",
        activities=[
            {"title": "PedCanRWD", "role": "coordinator", "call": "horizon-miss-2021-cancer-02-01"},
            {"title": "HARMONY-Kids"},
        ],
    )
    page = anonymous.get(f"/ui/organisations/{organisation['id']}").text
    projects = page.split('id="activities-heading"')[1].split("</section>")[0]
    items = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        for item in projects.split("<li>")[1:]
    ]
    assert items == [
        "PedCanRWD Coordinator in this project Funded under HORIZON-MISS-2021-CANCER-02-01",
        "HARMONY-Kids",
    ]


@pytest.mark.sqlite_only
def test_edit_form_gives_each_past_project_its_call_with_a_label_and_a_hint(
    client: TestClient, anonymous: TestClient
) -> None:
    """Each past project of the edit form, and the template a new one copies, has a "Call
    identifier" field labelled and described by its hint and its error slot, holding the
    stored call; the registration form has the template only."""
    organisation = create_organisation(
        client,
        activities=[{"title": "PedCanRWD", "call": "HORIZON-CL5-2022-D3-01-05"}, {"title": "X"}],
    )
    hint = (
        "The call it was funded under, as on the grant agreement, such as "
        "HORIZON-CL5-2022-D3-01-05. Optional."
    )
    for path, rows in (
        (f"/ui/organisations/{organisation['id']}/edit", ["0", "1", "NEW"]),
        ("/ui/organisations/new", ["NEW"]),
    ):
        page = anonymous.get(path).text
        parsed = Page(page)
        calls = [c for c in parsed.controls if c.get("data-part") == "call"]
        assert [c["id"] for c in calls] == [f"activity-call-{row}" for row in rows], path
        for control, row in zip(calls, rows, strict=True):
            assert control["id"] in parsed.labels
            assert control["aria-describedby"].split() == [
                f"activity-call-hint-{row}",
                f"error-activity-call-{row}",
            ]
            assert f'<label for="activity-call-{row}">Call identifier</label>' in page
            assert f'<p class="hint" id="activity-call-hint-{row}">{hint}</p>' in page
            assert f'id="error-activity-call-{row}" hidden' in page
        values = [c.get("value") for c in calls]
        assert values == (["HORIZON-CL5-2022-D3-01-05", "", ""] if len(rows) == 3 else [""])


def test_organisation_list_filters_by_name_type_and_country(
    client: TestClient, anonymous: TestClient
) -> None:
    """The organisation list narrows by a name fragment, a stakeholder type and a country."""
    _corpus(client)

    def listed(query: str) -> list[str]:
        page = anonymous.get(f"/ui/organisations{query}").text
        return re.findall(r'<th scope="row" data-label="Name"><a [^>]+>([^<]+)</a>', page)

    assert len(listed("")) == 7
    assert listed("?q=patients") == ["Patients Against Cancer", "Rare Patients Europe"]
    assert listed("?stakeholder_type=sme&country=NL") == ["Biopsy Assays BV"]


@pytest.mark.sqlite_only
def test_every_form_control_has_a_label(client: TestClient, anonymous: TestClient) -> None:
    """Each input, select and textarea on every page is named by a label; no id is repeated."""
    corpus = _corpus(client)
    organisation_id = corpus["organisations"]["Detect GmbH"]["id"]
    paths = [
        "/ui/calls",
        f"/ui/calls/{corpus['call']['id']}",
        f"/ui/calls/{corpus['call']['id']}/consortium",
        "/ui/organisations",
        "/ui/organisations/new",
        f"/ui/organisations/{organisation_id}/edit",
        "/ui/sign-in",
        "/ui/expertise?q=liquid+biopsy",
    ]
    for path in paths:
        page = Page(anonymous.get(path).text)
        assert page.controls, path
        unlabelled = [c for c in page.controls if c.get("id") not in page.labels]
        assert unlabelled == [], path
        assert sorted(page.ids) == sorted(set(page.ids)), path


@pytest.mark.sqlite_only
def test_registration_form_says_which_type_a_university_hospital_is(
    client: TestClient, anonymous: TestClient
) -> None:
    """The stakeholder type's hint, read with the field, settles a university hospital's choice
    between "Academia" and "Healthcare provider" as the CORDIS import decides it."""
    organisation = create_organisation(client, name="Hospital Universitario Sant Amaro")
    for path in ("/ui/organisations/new", f"/ui/organisations/{organisation['id']}/edit"):
        page = anonymous.get(path).text
        field = next(c for c in Page(page).controls if c.get("id") == "stakeholder_type")
        assert field["aria-describedby"].split() == ["type-hint", "error-stakeholder_type"]
        hint = re.search(r'<p class="hint" id="type-hint">([^<]+)</p>', page)
        assert hint is not None, path
        assert hint.group(1) == (
            "A hospital, even a university hospital or medical centre, is a “Healthcare"
            " provider”; a university or research institute is “Academia”."
        )


@pytest.mark.sqlite_only
def test_edit_form_says_beside_a_verified_type_that_changing_it_drops_the_verification(
    client: TestClient, anonymous: TestClient
) -> None:
    """A profile whose type an administrator verified: its edit form says, beside the type and
    read with it, that a change of type drops the verification; an unverified profile's form
    says nothing of it. The heading reads "your" for the owner, "this" for an administrator."""
    regulator = create_organisation(
        client, name="Agencia Reguladora", stakeholder_type="regulator", country="ES"
    )
    unverified = create_organisation(
        client, name="Autorita Regolatoria", stakeholder_type="regulator", country="IT"
    )
    verified = client.post(f"/admin/organisations/{regulator['id']}/type-verification")
    assert verified.status_code == 200, verified.text

    page = anonymous.get(f"/ui/organisations/{regulator['id']}/edit").text
    field = next(c for c in Page(page).controls if c.get("id") == "stakeholder_type")
    assert field["aria-describedby"].split() == [
        "type-hint",
        "type-verified-hint",
        "error-stakeholder_type",
    ]
    hint = re.search(r'<p class="hint" id="type-verified-hint">(.*?)</p>', page)
    assert hint is not None
    assert re.sub(r"<[^>]+>", "", hint.group(1)) == (
        "This profile's type, regulator, was verified by an administrator: changing it drops "
        "the verification, and only an administrator can verify the new type. What "
        "verification means."
    )
    assert (
        "<h1><span data-not-admin>Edit your profile</span>"
        "<span data-admin-only hidden>Edit this profile</span></h1>"
    ) in page

    page = anonymous.get(f"/ui/organisations/{unverified['id']}/edit").text
    assert 'id="type-verified-hint"' not in page
    assert "verification" not in page


# A field of the registration form, the id of its hint and the hint's words, said before
# registering, not after.
FIELD_HINTS = {
    # Whether to give the optional contact e-mail: it stays private, messages are announced
    # there and a lost key is replaced only through it (as the key panel says, too late).
    "contact_email": (
        "contact-hint",
        "Private: only your organisation and administrators see it. Messages from other "
        "organisations are announced there, and a lost key can be replaced only by a link sent "
        "there.",
    ),
    # What COCIR, EFPIA, EuropaBio and MedTech Europe are (the industry associations whose
    # members fund IHI), before their names, not "constituent or affiliated entity".
    "ihi_contributor": (
        "ihi-hint",
        "Not stated counts as yes for industry and as no for every other type. Yes if your "
        "organisation is a member of one of the industry associations whose members fund IHI "
        "(COCIR, EFPIA, EuropaBio or MedTech Europe) or in the same company group as a member, "
        "or is an IHI contributing partner (a foundation or charity, say): it takes part in IHI "
        "projects with in-kind contributions and gets no IHI funding.",
    ),
}


@pytest.mark.sqlite_only
def test_forms_with_required_fields_say_so_in_words_that_read_well_seen_and_heard(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "Fields marked * are required" is seen; a screen reader, which hears no asterisk but
    "required" at each such field, hears a sentence of its own, never "Fields marked required
    are required"."""
    organisation = create_organisation(client, name="Kidney Patients Flanders")
    for path in (
        "/ui/organisations/new",
        f"/ui/organisations/{organisation['id']}/edit",
        "/ui/admin/country-statuses",
    ):
        page = anonymous.get(path).text
        note = re.search(r"<p class=\"hint\" data-required-note>(.*?)</p>", page)
        assert note is not None, path
        seen = re.sub(r'<span class="visually-hidden">.*?</span>', "", note[1])
        heard = re.sub(r'<span aria-hidden="true">.*?</span>', "", note[1])
        assert re.sub(r"<[^>]+>", "", seen) == "Fields marked * are required.", path
        assert re.sub(r"<[^>]+>", "", heard) == "Fields announced as required must be filled in."
        assert "marked required" not in page


@pytest.mark.sqlite_only
@pytest.mark.parametrize("field_id", list(FIELD_HINTS))
def test_registration_form_says_in_plain_words_what_a_field_means_for_the_volunteer(
    client: TestClient, anonymous: TestClient, field_id: str
) -> None:
    """A patient organisation's volunteer reads, with the field on the new and the edit form,
    what giving it means, in plain words."""
    hint_id, words = FIELD_HINTS[field_id]
    organisation = create_organisation(client, name="Kidney Patients Flanders")
    for path in ("/ui/organisations/new", f"/ui/organisations/{organisation['id']}/edit"):
        page = anonymous.get(path).text
        field = next(c for c in Page(page).controls if c.get("id") == field_id)
        assert field["aria-describedby"].split() == [hint_id, f"error-{field_id}"]
        hint = re.search(rf'<p class="hint" id="{hint_id}">([^<]+)</p>', page)
        assert hint is not None, path
        assert hint.group(1) == words


@pytest.mark.sqlite_only
def test_country_pickers_list_member_states_then_associated_countries_then_the_rest(
    client: TestClient, anonymous: TestClient
) -> None:
    """EU Member States come first, then Horizon Europe's Associated Countries, then the rest."""
    corpus = _corpus(client)
    for path in (
        "/ui/organisations",
        "/ui/organisations/new",
        f"/ui/calls/{corpus['call']['id']}",
    ):
        options = [item for item in Page(anonymous.get(path).text).options if item[0]]
        countries = [item for item in options if len(item[1]) == 2 and item[1].isupper()]
        groups = list(dict.fromkeys(group for group, _ in countries))
        assert groups == [
            "EU Member States",
            "Associated Countries (Horizon Europe)",
            "Other countries and territories",
        ], path
        by_group = {g: [code for group, code in countries if group == g] for g in groups}
        assert len(by_group["EU Member States"]) == 27
        assert by_group["EU Member States"][:3] == ["AT", "BE", "BG"]
        assert {"NO", "CH", "GB", "IL", "XK", "UA"} <= set(by_group[groups[1]])
        assert {"AQ", "BV", "US"} <= set(by_group[groups[2]])
        assert countries.index((groups[1], "NO")) < countries.index((groups[2], "AQ"))


@pytest.mark.sqlite_only
def test_edit_form_is_filled_with_the_public_profile_only(
    client: TestClient, anonymous: TestClient
) -> None:
    """The edit form starts from the public profile; the e-mail is fetched later with the key."""
    corpus = _corpus(client)
    organisation = corpus["organisations"]["Detect GmbH"]
    page = anonymous.get(f"/ui/organisations/{organisation['id']}/edit").text
    assert 'value="Detect GmbH"' in page
    assert '<option value="sme" selected>SME</option>' in page
    assert '<option value="DE" selected>Germany</option>' in page
    assert "contact@detect.example" not in page
    assert f'data-organisation-id="{organisation["id"]}"' in page


@pytest.mark.sqlite_only
def test_edit_form_numbers_each_past_project_in_its_legend_and_remove_button(
    client: TestClient, anonymous: TestClient
) -> None:
    """Two projects' fields do not read the same: each sits in a group whose legend gives its
    number, and its Remove button names it; the template the script copies is left unnumbered."""
    organisation = create_organisation(
        client,
        name="Two Projects Lab",
        activities=[{"title": "GAITWEAR"}, {"title": "TREMOR-NET"}],
    )
    page = anonymous.get(f"/ui/organisations/{organisation['id']}/edit").text
    number = r"<span data-activity-number>(\d*)</span>"
    assert re.findall(rf"<legend>Past project {number}</legend>", page) == ["1", "2", ""]
    assert re.findall(rf'"remove-activity">Remove past project {number}</button>', page) == [
        "1",
        "2",
        "",
    ]
    assert "Remove this project" not in page


@pytest.mark.sqlite_only
def test_session_says_whom_a_key_stands_for(client: TestClient, anonymous: TestClient) -> None:
    """The sign-in check names the key's organisation, and refuses a key that is not valid."""
    organisation = create_organisation(client, name="Oncomark Diagnostics")
    response = anonymous.get("/ui/session", headers=bearer(organisation["api_key"]))
    assert response.status_code == 200
    assert response.json() == {
        "role": "organisation",
        "organisation_id": organisation["id"],
        "organisation_name": "Oncomark Diagnostics",
    }
    assert response.headers["cache-control"] == "no-store"
    assert anonymous.get("/ui/session").status_code == 401
    invalid = anonymous.get("/ui/session", headers={"Authorization": "Bearer mm_nope_nope"})
    assert invalid.status_code == 401


@pytest.mark.sqlite_only
def test_draft_panel_is_shown_only_to_the_owner_key_or_an_admin(
    client: TestClient, anonymous: TestClient
) -> None:
    """Without a key the draft panel is 401, with another organisation's key 404."""
    corpus = _corpus(client)
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    path = f"/ui/consortia/{draft['id']}/panel"
    assert anonymous.get(path).status_code == 401
    other = corpus["organisations"]["Detect GmbH"]
    assert anonymous.get(path, headers=bearer(other["api_key"])).status_code == 404
    owner = corpus["organisations"]["Biopsy Assays BV"]
    assert anonymous.get(path, headers=bearer(owner["api_key"])).status_code == 200
    assert client.get(path).status_code == 200
    shell = anonymous.get(f"/ui/consortia/{draft['id']}")
    assert shell.status_code == 200
    assert "Biopsy Assays BV" not in shell.text


@pytest.mark.sqlite_only
def test_draft_panel_marks_each_requirement_and_offers_candidates_for_gaps(
    client: TestClient, anonymous: TestClient
) -> None:
    """Met requirements say so; a missing type lists the organisations that would close it."""
    corpus = _corpus(client)
    names = ["Oslo Cancer Institute", "Biopsy Assays BV"]
    draft = _draft(client, corpus, "Biopsy Assays BV", names)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    response = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"]))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert f'data-version="{draft["version"]}"' in page
    met = dict(re.findall(r'data-requirement="(\w+)" data-met="(true|false)"', page))
    assert met == {
        "academia": "true",
        "sme": "true",
        "patient_organisation": "false",
        "countries": "true",
        "size": "true",
    }
    sections = page.split('<li class="requirement ')[1:]
    gap = next(part for part in sections if 'data-requirement="patient_organisation"' in part)
    candidate_ids = re.findall(r'data-action="add-member" data-organisation-id="(\d+)"', gap)
    patient_ids = {
        str(corpus["organisations"][name]["id"])
        for name in ("Patients Against Cancer", "Rare Patients Europe")
    }
    assert set(candidate_ids[:2]) == patient_ids
    assert "1 requirement of the call not met yet." in page
    assert "Needs 1 more patient organisation." in page
    assert 'aria-label="Remove Oslo Cancer Institute"' in page


@pytest.mark.sqlite_only
def test_draft_panel_offers_no_remove_for_the_coordinator_but_says_what_to_do(
    client: TestClient, anonymous: TestClient
) -> None:
    """The API never removes a draft's coordinator, so its row has no Remove button (which
    always failed) but a note on what to do first; every other member keeps its Remove."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    owner = organisations["Biopsy Assays BV"]

    def panel(members: list[tuple[str, str]]) -> str:
        response = client.post(
            "/consortia",
            headers=bearer(owner["api_key"]),
            json={
                "name": "LB draft",
                "call_id": corpus["call"]["id"],
                "members": [
                    {"organisation_id": organisations[name]["id"], "role": role}
                    for name, role in members
                ],
            },
        )
        assert response.status_code == 201, response.text
        draft_id = response.json()["id"]
        return anonymous.get(
            f"/ui/consortia/{draft_id}/panel", headers=bearer(owner["api_key"])
        ).text

    page = panel([("Biopsy Assays BV", "coordinator"), ("Oslo Cancer Institute", "partner")])
    assert re.findall(r'aria-label="(Remove [^"]+)"', page) == ["Remove Oslo Cancer Institute"]
    rows = dict(re.findall(r'<tr data-organisation-id="(\d+)"(.*?)</tr>', page, re.S))
    coordinator_row = rows[str(owner["id"])]
    assert (
        "data-coordinator-note>To remove the coordinator, make another member the "
        "coordinator first.</p>" in coordinator_row
    )
    assert "data-coordinator-note" not in rows[str(organisations["Oslo Cancer Institute"]["id"])]

    alone = panel([("Biopsy Assays BV", "coordinator")])
    assert 'data-action="remove-member"' not in alone
    assert (
        "data-coordinator-note>To remove the coordinator, add another member and make it the "
        "coordinator, or delete the draft.</p>"
    ) in alone


@pytest.mark.sqlite_only
def test_draft_panel_says_which_members_left_by_deleting_their_profiles(
    client: TestClient, anonymous: TestClient
) -> None:
    """Each member that deleted its profile is a sentence under the members, the most recent
    first: its name and type then, its role if it led the draft, the day it left, and, for
    the type the coverage now shows missing, what the draft lacks with a pointer there; a
    draft no member left shows no such list."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    names = ["Biopsy Assays BV", "Oslo Cancer Institute", "Patients Against Cancer", "Detect GmbH"]
    draft = _draft(client, corpus, "Biopsy Assays BV", names)
    owner = bearer(organisations["Biopsy Assays BV"]["api_key"])
    panel = f"/ui/consortia/{draft['id']}/panel"
    assert "Members that left" not in anonymous.get(panel, headers=owner).text
    patients, detect = organisations["Patients Against Cancer"], organisations["Detect GmbH"]
    led = client.put(
        f"/consortia/{draft['id']}/members/{patients['id']}", json={"role": "coordinator"}
    )
    assert led.status_code == 200, led.text
    for gone in (patients, detect):
        assert client.delete(f"/organisations/{gone['id']}").status_code == 204

    page = anonymous.get(panel, headers=owner).text
    days = [
        wording.say_date(datetime.fromisoformat(d["left_at"]), full_month=True)
        for d in client.get(f"/consortia/{draft['id']}").json()["departures"]
    ]
    section = page.split('aria-labelledby="departures-heading">', 1)[1].split("</section>", 1)[0]
    assert '<h3 id="departures-heading">Members that left</h3>' in section
    sentences = [
        html.unescape(re.sub(r"<[^>]+>", "", item))
        for item in re.findall(r"<li data-departure>(.*?)</li>", section, re.S)
    ]
    assert sentences == [
        f"Detect GmbH (SME) left on {days[0]}: it deleted its profile.",
        f"Patients Against Cancer (Patient organisation), the draft's coordinator, left on "
        f"{days[1]}: it deleted its profile. The draft now lacks a patient organisation: see "
        "Coverage.",
    ]
    assert section.count('<a href="#coverage-heading">Coverage</a>') == 1
    # The coverage itself says what is missing; the list only points to it.
    assert "Needs 1 more patient organisation." in page
    assert 'id="no-coordinator"' in page


@pytest.mark.sqlite_only
def test_draft_panel_says_no_members_now_once_the_last_one_left(
    client: TestClient, anonymous: TestClient
) -> None:
    """A draft whose only member deleted its profile has no members *now*, not "yet"."""
    corpus = _corpus(client)
    organisations = corpus["organisations"]
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Detect GmbH"])
    owner = bearer(organisations["Biopsy Assays BV"]["api_key"])
    panel = f"/ui/consortia/{draft['id']}/panel"
    before = anonymous.get(panel, headers=owner).text
    assert "The draft has no members" not in before
    gone = organisations["Detect GmbH"]["id"]
    assert client.delete(f"/organisations/{gone}").status_code == 204
    page = anonymous.get(panel, headers=owner).text
    assert "The draft has no members now: add the candidates" in page
    assert "no members yet" not in page


@pytest.mark.sqlite_only
def test_draft_panel_names_the_new_country_a_candidate_brings(
    client: TestClient, anonymous: TestClient
) -> None:
    """A draft short of countries gives each candidate from a country it lacks the reason
    "Brings a new country" with that country's name, never its code alone; a candidate from
    the draft's own country has no such reason."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])

    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text

    candidates = [item.split("</li>")[0] for item in page.split('<li class="candidate"')[1:]]
    reasons = dict(
        re.findall(r'">([^<]+)</a>.*<span class="reasons">([^<]*)</span>', item, re.S)[0]
        for item in candidates
    )
    assert reasons["Oslo Cancer Institute"].startswith("Fits the call (")
    assert "; Brings a new country (Norway): +" in reasons["Oslo Cancer Institute"]
    assert "; Brings a new country (Belgium): +" in reasons["Patients Against Cancer"]
    assert "new country" not in reasons["Leiden Liquid Biopsy Lab"]
    assert not re.search(r"new country \([A-Z]{2}\)", page)
    # A screen reader hears what the percentage is and what the reasons are: "Score: 13%,
    # made of: Fits the call (4%); ..." (the words are visually hidden; the meter is not read).
    for item in candidates:
        assert '<span class="score"><span class="visually-hidden">Score: </span><meter ' in item
        assert '<span class="visually-hidden">, made of: </span><span class="reasons">' in item


@pytest.mark.sqlite_only
def test_draft_panel_shows_two_candidates_a_gap_and_the_others_on_demand(
    client: TestClient, anonymous: TestClient
) -> None:
    """A gap lists its two best candidates; the others wait behind "N more candidates", so a
    new draft's coverage stays short, and every candidate keeps its Add button."""
    corpus = _corpus(client)
    for number in range(3):
        create_organisation(
            client,
            name=f"Cancer Patients Forum {number}",
            stakeholder_type="patient_organisation",
            country="IT",
            description="Cancer patients and their families.",
            keywords=[],
            activities=[],
        )
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text
    gap = page.split('data-requirement="patient_organisation"')[1]
    gap = gap.split('<li class="requirement')[0]
    assert "Best candidates of 5 patient organisations</p>" in gap
    in_view, _, behind = gap.partition('<details class="more-candidates">')
    added = r'data-action="add-member" data-organisation-id="(\d+)"'
    assert len(re.findall(added, in_view)) == 2
    assert "<summary>3 more candidates</summary>" in behind
    assert len(re.findall(added, behind)) == 3
    assert len(set(re.findall(added, gap))) == 5


@pytest.mark.sqlite_only
def test_draft_panel_says_when_no_organisation_of_a_missing_type_has_a_profile(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call needs a regulator and none has a profile: the gap says so and points to the
    partner request, instead of an empty list of candidates."""
    corpus = _corpus(client)
    call = create_call(
        client,
        identifier="REG-1",
        title="Regulatory science for liquid biopsy",
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={"sme": 1, "regulator": 1},
        deadline="2099-03-01",
    )
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", ["Biopsy Assays BV"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text
    gap = page.split('data-requirement="regulator"')[1].split('<li class="requirement')[0]
    assert "Best candidates" not in gap
    assert (
        "No regulator outside the draft has a profile here yet: "
        '<a href="#publish-heading">ask for one with a partner request</a>.'
    ) in gap
    assert 'id="publish-heading"' in page


@pytest.mark.sqlite_only
def test_draft_panel_says_when_no_candidate_of_a_gap_fits_closely(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call needs an industry partner and the only one shares nothing with it: its gap says
    that no candidate fits closely (each scores under 1%) and points to the partner request,
    above the candidate it still lists; a gap with candidates that fit says nothing of it."""
    corpus = _corpus(client)
    call = create_call(
        client,
        identifier="IND-1",
        title="Liquid biopsy assays with an industry partner",
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={"sme": 1, "industry": 1, "patient_organisation": 1},
        deadline="2099-03-01",
    )
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", ["Biopsy Assays BV"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text

    def gap(kind: str) -> str:
        return page.split(f'data-requirement="{kind}"')[1].split('<li class="requirement')[0]

    industry = gap("industry")
    sentence = (
        "No close fit: each candidate scores under 1%, where a few percent is usual. The best "
        'are listed; <a href="#publish-heading">a partner request</a> may find a closer one.'
    )
    assert sentence in industry
    assert industry.index(sentence) < industry.index("Soil Works")
    assert '<span class="score-value"><1%</span>' in industry.replace("&lt;", "<")
    patients = gap("patient_organisation")
    assert "Patients Against Cancer" in patients
    assert "data-no-close-fit" not in patients
    assert page.count("data-no-close-fit") == 1

    # Once the draft's partner request is open, the sentence points to that one.
    published = client.post(
        f"/calls/{call['id']}/partner-requests",
        headers=bearer(owner["api_key"]),
        json={"stakeholder_types": ["industry"], "consortium_id": draft["id"]},
    )
    assert published.status_code == 201, published.text
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text
    assert (
        'The best are listed; <a href="#publish-heading">your open partner request</a> may find '
        "a closer one."
    ) in gap("industry")
    assert 'id="publish-open"' in page


def _horizon_call(client: TestClient, identifier: str) -> dict[str, Any]:
    """A call under Horizon Europe's consortium rules that requires one academic partner."""
    return create_call(
        client,
        identifier=identifier,
        title="Liquid biopsy for early cancer detection, a Horizon Europe call",
        programme="Horizon Europe",
        rule_set="horizon-europe",
        description=CALL_TEXT,
        required_stakeholders={"academia": 1},
        max_partners=6,
        opening_date="2024-01-10",
        deadline="2099-03-01",
    )


@pytest.mark.sqlite_only
def test_draft_panel_says_first_which_programme_rule_fails_and_links_to_it(
    client: TestClient, anonymous: TestClient
) -> None:
    """Under Horizon Europe's rules two entities are not enough: the coverage says so, and what
    would fix it, before the stakeholder requirements, and links to the rules' candidates. A
    call without programme rules says nothing of them."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    members = ["Biopsy Assays BV", "Oslo Cancer Institute"]
    unruled = _draft(client, corpus, "Biopsy Assays BV", members)
    page = anonymous.get(f"/ui/consortia/{unruled['id']}/panel", headers=bearer(owner["api_key"]))
    assert "rules-summary" not in page.text
    call = _horizon_call(client, "HORIZON-HLTH-2099-LB-02")
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", members)

    page = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"]))

    summary = re.search(r'<p class="rules-summary" data-unmet-rules="1">(.*?)</p>', page.text, re.S)
    assert summary is not None, page.text
    text = " ".join(re.sub(r"<[^>]+>", " ", summary.group(1)).split())
    assert text.startswith("Not eligible yet under the programme's rules: Needs 1 more independent")
    assert "other than Netherlands and Norway" in text
    assert '<a href="#rules-heading">' in summary.group(1)
    assert page.text.index("rules-summary") < page.text.index('<li class="requirement ')
    assert 'id="rules-heading"' in page.text


@pytest.mark.sqlite_only
def test_draft_panel_counts_the_calls_requirements_apart_from_the_programme_rules(
    client: TestClient, anonymous: TestClient
) -> None:
    """The coverage lists the call's requirements and the programme's rules apart, and its
    summary counts them apart as well: never one sum of both called "requirements"."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    call = _horizon_call(client, "HORIZON-HLTH-2099-LB-04")
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", ["Biopsy Assays BV"])

    page = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"]))

    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    met = dict(re.findall(r'data-requirement="(\w+)" data-met="(true|false)"', page.text))
    assert met == {"academia": "false", "countries": "false", "size": "true"}
    rules = dict(re.findall(r'data-rule="([\w-]+)" data-met="(true|false)"', page.text))
    assert list(rules.values()).count("false") == 1, rules
    assert "2 requirements of the call and 1 programme rule not met yet." in text
    assert "Coverage: 2 requirements of the call and 1 programme rule not met" in text
    assert "3 requirements" not in text


@pytest.mark.sqlite_only
def test_draft_panel_says_what_its_countries_count_beside_an_unmet_entities_rule(
    client: TestClient, anonymous: TestClient
) -> None:
    """Members in the Netherlands, Norway and the United States meet the call's three countries
    but only two count for Horizon Europe's rule: beside "Met" the countries row says what each
    counts and why the rule is not met; a draft that meets both says nothing of it."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    american = create_organisation(
        client, name="Boston Biopsy Labs", stakeholder_type="academia", country="US"
    )
    call = _horizon_call(client, "HORIZON-HLTH-2099-LB-05")
    assert call["min_countries"] == 3
    scene = {
        "call": call,
        "organisations": {**corpus["organisations"], "Boston Biopsy Labs": american},
    }
    members = ["Biopsy Assays BV", "Oslo Cancer Institute"]
    draft = _draft(client, scene, "Biopsy Assays BV", [*members, "Boston Biopsy Labs"])

    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text

    row = page.split('data-requirement="countries"')[1].split('<li class="requirement')[0]
    assert 'data-met="true"' in row
    assert '<span class="requirement-count">3 (at least 3)</span>' in row
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert (
        "Every member's country counts here, whatever its status. The programme's rule counts "
        "only independent entities in Member States and Associated Countries, and is not met "
        "yet. Has 2 independent entities in distinct eligible countries (Netherlands and "
        "Norway). See the programme's rules ."
    ) in text
    assert '<a href="#rules-heading">' in row
    rules = dict(re.findall(r'data-rule="([\w-]+)" data-met="(true|false)"', page))
    assert rules["independent-entities"] == "false"

    both = _draft(client, scene, "Biopsy Assays BV", [*members, "Detect GmbH"])
    page = anonymous.get(f"/ui/consortia/{both['id']}/panel", headers=bearer(owner["api_key"]))
    assert "data-countries-apart" not in page.text


def _rules_listed(page: str) -> tuple[str, list[tuple[str, str]]]:
    """A page's programme rules: the heading's text, and each rule's name and title."""
    heading = re.search(r'<h3 id="rules-heading">(.*?)</h3>', page, re.S)
    assert heading is not None, page
    titles = re.findall(
        r'data-rule="([\w-]+)"[^>]*>\s*<div class="requirement-head">\s*'
        r'<span class="requirement-name">([^<]+)</span>',
        page,
    )
    return " ".join(re.sub(r"<[^>]+>", " ", heading.group(1)).split()), titles


@pytest.mark.sqlite_only
def test_builder_page_states_the_programme_rules_in_the_words_of_a_draft(
    client: TestClient, anonymous: TestClient
) -> None:
    """Beside the call's requirements the builder states the programme's rules before any draft
    exists, under the heading and in the words a draft's coverage checks them in; a call
    without programme rules states none."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    call = _horizon_call(client, "HORIZON-HLTH-2099-LB-06")

    builder = anonymous.get(f"/ui/calls/{call['id']}/consortium").text

    heading, rules = _rules_listed(builder)
    assert heading == "Programme rules (Horizon Europe, on 1 Mar 2099 )"
    assert rules == [
        (
            "independent-entities",
            "At least three independent legal entities, each in a different Member State or "
            "Associated Country",
        ),
        ("member-state", "At least one of them established in an EU Member State"),
        (
            "no-excluded-entities",
            "No legal entity established in a country excluded from the programme, in any capacity",
        ),
    ]
    side = builder.split('id="req-heading"')[1].split("</section>")[0]
    assert side.index("<dt>Countries</dt>") < side.index('id="rules-heading"')
    assert "data-met" not in side
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", ["Biopsy Assays BV"])
    panel = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"]))
    assert _rules_listed(panel.text) == (heading, rules)

    unruled = anonymous.get(f"/ui/calls/{corpus['call']['id']}/consortium").text
    assert "rules-heading" not in unruled
    assert "<dt>Countries</dt>" in unruled


@pytest.mark.sqlite_only
def test_draft_panel_flags_members_that_look_affiliated(
    client: TestClient, anonymous: TestClient
) -> None:
    """Two members on one website host are named as possibly one group, with what to do about
    it; they still count as two entities until they declare the group."""
    corpus = _corpus(client)
    call = _horizon_call(client, "HORIZON-HLTH-2099-LB-03")
    twins = [
        create_organisation(
            client, name=name, country=country, website="https://biopsy-group.example/" + path
        )
        for name, country, path in (
            ("Biopsy Group Research", "NL", "research"),
            ("Biopsy Group Clinics", "BE", "clinics"),
        )
    ]
    owner = twins[0]
    response = client.post(
        "/consortia",
        headers=bearer(owner["api_key"]),
        json={
            "name": "Twins",
            "call_id": call["id"],
            "members": [{"organisation_id": twin["id"]} for twin in twins]
            + [{"organisation_id": corpus["organisations"]["Oslo Cancer Institute"]["id"]}],
        },
    )
    assert response.status_code == 201, response.text

    page = anonymous.get(
        f"/ui/consortia/{response.json()['id']}/panel", headers=bearer(owner["api_key"])
    ).text

    flags = re.findall(r'<p class="meta" data-likely-affiliates="([\d ]+)">([^<]+)</p>', page)
    assert flags == [
        (
            f"{twins[0]['id']} {twins[1]['id']}",
            "Biopsy Group Research and Biopsy Group Clinics may be affiliated: Same website host"
            " (biopsy-group.example). If they are, each should declare the group in its profile,"
            " and the rules will count them as one entity.",
        )
    ]


@pytest.mark.sqlite_only
def test_draft_panel_counts_read_as_people_write_them(
    client: TestClient, anonymous: TestClient
) -> None:
    """Counts take the right plural, types are named in words; every count reads "what the
    draft has (at least / at most what the call asks)", met or not: more than asked is not
    "2 of 1", and a type met exactly no longer reads "1 of 1" beside another's "2 (at least 1)"."""
    corpus = _corpus(client)
    names = ["Leiden Liquid Biopsy Lab", "Oslo Cancer Institute"]
    draft = _draft(client, corpus, "Leiden Liquid Biopsy Lab", names)
    owner = corpus["organisations"]["Leiden Liquid Biopsy Lab"]
    page = anonymous.get(
        f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"])
    ).text
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())

    counts = dict(
        re.findall(
            r'<span class="requirement-name">([^<]+)</span>\s*'
            r'<span class="requirement-count">([^<]+)</span>',
            page,
        )
    )
    assert counts == {
        "Academia": "2 (at least 1)",
        "SME": "0 (at least 1)",
        "Patient organisation": "0 (at least 1)",
        "Countries": "2 (at least 2)",
        "Partners": "2 (at most 4)",
    }
    assert "2 requirements of the call not met yet." in text
    assert "Needs 1 more SME." in text
    assert "Needs 1 more patient organisation." in text
    assert not re.search(r"\w\((?:s|es|ies)\)|_", text)


@pytest.mark.sqlite_only
def test_drafts_panel_lists_only_the_callers_drafts(
    client: TestClient, anonymous: TestClient
) -> None:
    """An organisation's list of drafts has its own and not another organisation's."""
    corpus = _corpus(client)
    mine = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    theirs = _draft(client, corpus, "Detect GmbH", ["Detect GmbH"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    page = anonymous.get("/ui/drafts/panel", headers=bearer(owner["api_key"])).text
    assert f'href="/ui/consortia/{mine["id"]}"' in page
    assert f'href="/ui/consortia/{theirs["id"]}"' not in page
    for_call = anonymous.get(
        f"/ui/drafts/panel?call_id={corpus['call']['id']}", headers=bearer(owner["api_key"])
    )
    assert f'href="/ui/consortia/{mine["id"]}"' in for_call.text
    assert anonymous.get("/ui/drafts/panel").status_code == 401


@pytest.mark.sqlite_only
def test_drafts_panel_names_each_drafts_organisation_for_an_administrator(
    client: TestClient, anonymous: TestClient
) -> None:
    """An administrator's key lists every organisation's drafts, so the list says so and names
    the organisation each belongs to, instead of calling them "your drafts"; an
    organisation's own list has no such column."""
    corpus = _corpus(client)
    mine = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    theirs = _draft(client, corpus, "Detect GmbH", ["Detect GmbH"])
    organisations = corpus["organisations"]

    page = client.get("/ui/drafts/panel").text
    sidebar = client.get(f"/ui/drafts/panel?call_id={corpus['call']['id']}").text
    own = anonymous.get(
        "/ui/drafts/panel", headers=bearer(organisations["Biopsy Assays BV"]["api_key"])
    ).text

    assert "As an administrator you see every organisation's drafts, not only one" in page
    assert (
        '<caption class="visually-hidden">Every organisation\'s drafts</caption>'
        in html.unescape(page)
    )
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    for draft, name in ((mine, "Biopsy Assays BV"), (theirs, "Detect GmbH")):
        [row] = [row for row in rows if f"/ui/consortia/{draft['id']}" in row]
        cell = re.search(r'<td data-label="Organisation"><a href="([^"]+)">([^<]+)</a>', row)
        assert cell is not None, row
        assert cell.groups() == (f"/ui/organisations/{organisations[name]['id']}", name)
        assert f"Organisation: {name}</span>" in sidebar
    assert "every organisation's drafts for this call" in sidebar
    assert "Organisation" not in own
    assert "As an administrator" not in own


def test_drafts_list_says_how_many_there_are_and_pages_through_them(
    client: TestClient, anonymous: TestClient
) -> None:
    """Past 25 drafts, "My drafts" says which of how many it shows and links to the next
    page, as the lists of calls and organisations do: an administrator reaches all 27 of
    everyone's, an organisation all 26 of its own; a page past the end shows the last."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    made = [_draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"]) for _ in range(26)]
    made.append(_draft(client, corpus, "Detect GmbH", ["Detect GmbH"]))

    def listed(page: str) -> list[int]:
        return [
            int(found)
            for found in re.findall(
                r'<th scope="row" data-label="Draft"><a href="/ui/consortia/(\d+)"', page
            )
        ]

    first = client.get("/ui/drafts/panel").text
    assert '<p class="result-count">Showing 1\N{EN DASH}25 of 27 drafts</p>' in first
    assert listed(first) == [draft["id"] for draft in made[:25]]
    assert '<a class="button button-quiet" href="/ui/drafts?page=2" rel="next">' in first
    assert "Page 1 of 2" in first
    second = client.get("/ui/drafts/panel", params={"page": 2}).text
    assert '<p class="result-count">Showing 26\N{EN DASH}27 of 27 drafts</p>' in second
    assert listed(second) == [draft["id"] for draft in made[25:]]
    assert '<a class="button button-quiet" href="/ui/drafts" rel="prev">' in second
    assert 'rel="next"' not in second
    assert listed(client.get("/ui/drafts/panel", params={"page": 9}).text) == listed(second)

    own = anonymous.get("/ui/drafts/panel", params={"page": 2}, headers=bearer(owner["api_key"]))
    assert '<p class="result-count">Showing 26\N{EN DASH}26 of 26 drafts</p>' in own.text
    assert listed(own.text) == [made[25]["id"]]
    # The page's address names the page its script loads; the builder's sidebar lists them all.
    assert 'data-fragment="/ui/drafts/panel?page=2"' in anonymous.get("/ui/drafts?page=2").text
    assert 'data-fragment="/ui/drafts/panel"' in anonymous.get("/ui/drafts").text
    sidebar = client.get("/ui/drafts/panel", params={"call_id": corpus["call"]["id"]}).text
    assert sidebar.count('<a href="/ui/consortia/') == 27
    assert "result-count" not in sidebar


def _exported_with_partner(
    client: TestClient, anonymous: TestClient, corpus: dict[str, Any], partner: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A draft Biopsy Assays BV coordinates with `partner` as a partner: the draft, its owner
    and the owner's CSV export of it."""
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    client.put(
        f"/consortia/{draft['id']}/members/{owner['id']}", json={"role": "coordinator"}
    ).raise_for_status()
    client.put(f"/consortia/{draft['id']}/members/{partner['id']}").raise_for_status()
    exported = anonymous.get(
        f"/ui/consortia/{draft['id']}/export.csv", headers=bearer(owner["api_key"])
    )
    return draft, owner, exported


@pytest.mark.sqlite_only
def test_draft_exports_as_csv_with_one_row_per_member(
    client: TestClient, anonymous: TestClient
) -> None:
    """The CSV keeps its documented columns of codes, then names the type and the country as
    the pages do, one row per member, under the draft's name; a name cannot run as a formula."""
    corpus = _corpus(client)
    tricky = create_organisation(
        client, name="=HYPERLINK(1)", stakeholder_type="healthcare_provider", country="DE"
    )
    draft, owner, response = _exported_with_partner(client, anonymous, corpus, tricky)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="LB-draft.csv"'
    assert list(csv.reader(io.StringIO(response.text))) == [
        [
            "organisation_id",
            "name",
            "stakeholder_type",
            "country",
            "role",
            "stakeholder_type_label",
            "country_name",
            "role_label",
        ],
        [
            str(owner["id"]),
            "Biopsy Assays BV",
            "sme",
            "NL",
            "coordinator",
            "SME",
            "Netherlands",
            "Coordinator",
        ],
        [
            str(tricky["id"]),
            "'=HYPERLINK(1)",
            "healthcare_provider",
            "DE",
            "partner",
            "Healthcare provider",
            "Germany",
            "Partner",
        ],
    ]
    assert anonymous.get(f"/ui/consortia/{draft['id']}/export.csv").status_code == 401


@pytest.mark.sqlite_only
def test_a_drafts_download_opened_in_a_browser_answers_a_page_that_says_where_to_download_it(
    client: TestClient, anonymous: TestClient
) -> None:
    """A draft's CSV or JSON address opened in the browser itself carries no key (the tab
    keeps it for its scripts): it answers the site's page in words, 401, with the way to the
    draft's page, whose buttons download it; a fetch asking for the file, as those buttons
    do, or a client asking for no HTML keeps problem details."""
    corpus = _corpus(client)
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for suffix, button in (("csv", "Download CSV"), ("json", "Download JSON")):
        address = f"/ui/consortia/{draft['id']}/export.{suffix}"
        page = anonymous.get(address, headers=browser)
        assert page.status_code == 401
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["www-authenticate"] == "Bearer"
        assert "<h1>Download the draft from its page</h1>" in page.text
        assert (
            "A draft is private: its file downloads from the draft's own page, with the key "
            f"you signed in with there. Open the draft and press “{button}”."
        ) in html.unescape(page.text)
        assert f'<a href="/ui/consortia/{draft["id"]}">Open the draft</a>' in page.text
        for accept in ("text/csv" if suffix == "csv" else "application/json", "*/*"):
            fetched = anonymous.get(address, headers={"Accept": accept})
            assert fetched.status_code == 401
            assert fetched.headers["content-type"] == "application/problem+json"
        downloaded = anonymous.get(
            address, headers={"Accept": "text/csv", **bearer(owner["api_key"])}
        )
        assert downloaded.status_code == 200
        assert "attachment" in downloaded.headers["content-disposition"]


@pytest.mark.sqlite_only
def test_draft_pages_word_members_roles_as_the_csv_export_does(
    client: TestClient, anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft's members, the drafts list and the CSV export take a role's words from one
    place (`wording.member_role_label`): reworded there, every one of them follows."""
    # Jinja works out a filter of constant words ("coordinator" | member_role) as it compiles a
    # template: the pages compiled after the rewording are fresh ones.
    monkeypatch.setattr(templating.templates.env, "cache", LRUCache(400))
    monkeypatch.setitem(wording.MEMBER_ROLE_LABELS, Role.coordinator, "Lead partner")
    monkeypatch.setitem(wording.MEMBER_ROLE_LABELS, Role.partner, "Member")
    corpus = _corpus(client)
    other = corpus["organisations"]["Patients Against Cancer"]
    draft, owner, exported = _exported_with_partner(client, anonymous, corpus, other)
    assert [row[-1] for row in csv.reader(io.StringIO(exported.text))][1:] == [
        "Lead partner",
        "Member",
    ]
    panel = client.get(f"/ui/consortia/{draft['id']}/panel").text
    roles = dict(
        re.findall(
            r'<tr data-organisation-id="(\d+)"[^>]*>.*?<td data-label="Role">(.*?)</td>',
            panel,
            re.S,
        )
    )
    assert roles == {
        str(owner["id"]): '<span class="badge badge-coordinator">Lead partner</span>',
        str(other["id"]): "Member",
    }
    assert "Coordinator<" not in panel
    listed = client.get("/ui/drafts/panel").text
    assert '<th scope="col">Lead partner</th>' in listed
    assert '<td data-label="Lead partner">Biopsy Assays BV</td>' in listed
    sidebar = client.get("/ui/drafts/panel", params={"call_id": corpus["call"]["id"]}).text
    assert "<span>Lead partner: Biopsy Assays BV</span>" in sidebar


@pytest.mark.sqlite_only
def test_pages_say_which_types_a_call_counts_only_when_an_administrator_verified_them(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call that counts only verified patient organisations says so beside the requirement on
    its page and the builder's, in plain words, and not beside a type no one verifies; a draft's
    coverage says the same where it counts them, and why an unverified member does not count.
    A call without the setting says nothing of it."""
    verified_only = ", verified by an administrator"
    call = create_call(
        client,
        identifier="LB-VERIFIED-01",
        description=CALL_TEXT,
        rule_set="none",
        required_stakeholders={"academia": 1, "patient_organisation": 1},
        min_countries=1,
        opening_date=None,
        deadline="2099-03-01",
        verified_types_required=True,
    )
    university = create_organisation(
        client, name="Leiden Liquid Biopsy Lab", stakeholder_type="academia", country="NL"
    )
    patients = create_organisation(
        client,
        name="Patients Against Cancer",
        stakeholder_type="patient_organisation",
        country="BE",
        description="Cancer patients involved.",
    )
    assert patients["type_verified"] is False
    for path in (f"/ui/calls/{call['id']}", f"/ui/calls/{call['id']}/consortium"):
        page = anonymous.get(path).text
        listed = page.split('<dl class="requirements">')[1].split("</dl>")[0]
        assert (
            "<div><dt>Patient organisation</dt><dd>at least 1"
            f"<span data-verified-only>{verified_only}</span></dd></div>"
        ) in listed, path
        assert "<div><dt>Academia</dt><dd>at least 1</dd></div>" in listed, path

    response = client.post(
        "/consortia",
        headers=bearer(university["api_key"]),
        json={
            "name": "Verified draft",
            "call_id": call["id"],
            "members": [{"organisation_id": university["id"]}, {"organisation_id": patients["id"]}],
        },
    )
    assert response.status_code == 201, response.text
    panel = client.get(f"/ui/consortia/{response.json()['id']}/panel").text
    gap = panel.split('data-requirement="patient_organisation"')[1].split("</li>\n")[0]
    assert (
        '<span class="requirement-count">0 (at least 1'
        f"<span data-verified-only>{verified_only}</span>)</span>"
    ) in gap
    assert (
        '<p class="requirement-message" data-unverified>Patients Against Cancer does not count: '
        "the call counts only patient organisations verified by an administrator.</p>"
    ) in gap
    academia = panel.split('data-requirement="academia"')[1].split("</li>\n")[0]
    assert '<span class="requirement-count">1 (at least 1)</span>' in academia

    client.patch(f"/calls/{call['id']}", json={"verified_types_required": False}).raise_for_status()
    for path in (f"/ui/calls/{call['id']}", f"/ui/calls/{call['id']}/consortium"):
        assert "verified by an administrator" not in anonymous.get(path).text, path
    panel = client.get(f"/ui/consortia/{response.json()['id']}/panel").text
    assert "verified by an administrator" not in panel


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ("IHI-2024-LB-01 consortium", 'attachment; filename="IHI-2024-LB-01-consortium{}"'),
        ('../Liquid "biopsy"; v2', 'attachment; filename="Liquid-biopsy-v2{}"'),
        (
            "Konsortium Größe",
            'attachment; filename="Konsortium-Grosse{}"; '
            "filename*=UTF-8''Konsortium-Gr%C3%B6%C3%9Fe{}",
        ),
        (
            "Консорциум 1",
            'attachment; filename="consortium-{id}{}"; '
            "filename*=UTF-8''%D0%9A%D0%BE%D0%BD%D1%81%D0%BE%D1%80%D1%86%D0%B8%D1%83%D0%BC-1{}",
        ),
        ("***", 'attachment; filename="consortium-{id}{}"'),
    ],
)
def test_draft_downloads_are_named_after_the_draft_in_safe_characters(
    client: TestClient, anonymous: TestClient, name: str, disposition: str
) -> None:
    """Both downloads take the draft's name, in letters, digits, ".", "_" and "-" (no path, no
    quote), with the name's own letters in RFC 6266's `filename*`, or the draft's id."""
    corpus = _corpus(client)
    owner = corpus["organisations"]["Biopsy Assays BV"]
    response = client.post(
        "/consortia",
        headers=bearer(owner["api_key"]),
        json={"name": name, "call_id": corpus["call"]["id"], "members": []},
    )
    assert response.status_code == 201, response.text
    draft_id = response.json()["id"]
    for suffix in (".csv", ".json"):
        download = anonymous.get(
            f"/ui/consortia/{draft_id}/export{suffix}", headers=bearer(owner["api_key"])
        )
        assert download.status_code == 200
        expected = disposition.replace("{id}", str(draft_id)).replace("{}", suffix)
        assert download.headers["content-disposition"] == expected


@pytest.mark.sqlite_only
def test_draft_exports_as_json_equal_to_the_api_answer(
    client: TestClient, anonymous: TestClient
) -> None:
    """The JSON download is the draft exactly as `GET /consortia/{id}` answers it."""
    corpus = _corpus(client)
    draft = _draft(client, corpus, "Biopsy Assays BV", ["Biopsy Assays BV", "Detect GmbH"])
    owner = corpus["organisations"]["Biopsy Assays BV"]
    response = anonymous.get(
        f"/ui/consortia/{draft['id']}/export.json", headers=bearer(owner["api_key"])
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "attachment" in response.headers["content-disposition"]
    assert response.json() == client.get(f"/consortia/{draft['id']}").json()
    other = corpus["organisations"]["Detect GmbH"]
    export = anonymous.get(
        f"/ui/consortia/{draft['id']}/export.json", headers=bearer(other["api_key"])
    )
    assert export.status_code == 404


@pytest.mark.sqlite_only
def test_pages_load_only_assets_of_this_site_and_send_a_strict_policy(
    client: TestClient, anonymous: TestClient
) -> None:
    """Every page loads its script, style and icon from this site, none inline, under a CSP."""
    corpus = _corpus(client)
    organisation_id = corpus["organisations"]["Detect GmbH"]["id"]
    call_id = corpus["call"]["id"]
    paths = [
        "/ui/calls",
        f"/ui/calls/{call_id}",
        f"/ui/calls/{call_id}/consortium",
        "/ui/organisations",
        f"/ui/organisations/{organisation_id}",
        "/ui/organisations/new",
        f"/ui/organisations/{organisation_id}/edit",
        "/ui/sign-in",
        "/ui/drafts",
        "/ui/consortia/1",
        "/ui/expertise?q=liquid+biopsy",
    ]
    assets: set[str] = set()
    for path in paths:
        response = anonymous.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "default-src 'self'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        page = Page(response.text)
        assert page.inline_scripts == 0, path
        assert page.inline_styles == 0, path
        assets.update(page.assets)
    assert assets == {"/ui/static/app.css", "/ui/static/app.js", "/ui/static/favicon.svg"}
    for asset in assets:
        response = anonymous.get(asset)
        assert response.status_code == 200, asset
        body = response.text
        assert re.findall(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", body) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "path", ["/ui/sign-in", "/ui/organisations/new", "/ui/drafts", "/ui/organisations/1/edit"]
)
def test_a_form_posted_without_script_is_refused_and_stores_nothing(
    anonymous: TestClient, client: TestClient, path: str
) -> None:
    """Without JavaScript a form lands on an explanation page; nothing is created."""
    response = anonymous.post(path, data={"name": "Sneaky", "key": "mm_x_y"})
    assert response.status_code == 400
    assert "This form needs JavaScript" in response.text
    assert client.get("/organisations").json()["total"] == 0


@pytest.mark.sqlite_only
def test_web_pages_stay_out_of_the_openapi_schema(anonymous: TestClient) -> None:
    """The OpenAPI document describes the JSON API only, not the pages."""
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert [path for path in paths if path == "/" or path.startswith("/ui")] == []


def _requirements_listed(page: str) -> list[tuple[str, str]]:
    """A page's list of the call's requirements: each row's term and its text."""
    listed = re.findall(r'<dl class="requirements">(.*?)</dl>', page, re.S)
    assert len(listed) == 1, page
    rows = re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", listed[0], re.S)
    return [(term, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for term, text in rows]


@pytest.mark.sqlite_only
def test_call_page_and_builder_list_a_calls_requirements_in_the_same_words(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call's page and its builder list its requirements alike: each required type, the
    countries and the partner limit, each count with its "at least" or "at most" (a type's
    bare "2" stood beside "Countries, at least"); a call that requires no type and sets no
    limit says so on both, where the builder listed no type at all."""
    corpus = _corpus(client)
    open_call = create_call(
        client,
        identifier="IHI-2024-LB-10",
        title="Liquid biopsy, any partners",
        programme="IHI",
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={},
        min_countries=3,
        max_partners=None,
        opening_date="2024-01-10",
        deadline="2099-03-01",
    )

    listed = {
        (call["identifier"], where): _requirements_listed(anonymous.get(path + where).text)
        for call in (corpus["call"], open_call)
        for path in [f"/ui/calls/{call['id']}"]
        for where in ("", "/consortium")
    }

    assert listed[("IHI-2024-LB-01", "")] == [
        ("Academia", "at least 1"),
        ("SME", "at least 1"),
        ("Patient organisation", "at least 1"),
        ("Countries", "at least 2"),
        ("Partners", "at most 4"),
    ]
    assert listed[("IHI-2024-LB-01", "/consortium")] == listed[("IHI-2024-LB-01", "")]
    assert listed[("IHI-2024-LB-10", "")] == [
        ("Stakeholder types", "none required"),
        ("Countries", "at least 3"),
        ("Partners", "no limit set (proposals use 5)"),
    ]
    assert listed[("IHI-2024-LB-10", "/consortium")] == listed[("IHI-2024-LB-10", "")]


@pytest.mark.sqlite_only
def test_draft_for_a_call_without_a_partner_limit_is_never_over_one(
    client: TestClient, anonymous: TestClient
) -> None:
    """A call that sets no `max_partners` has no size requirement: the builder says "no limit
    set" beside the size its proposals use, and a draft larger than that size meets the call
    instead of being "over the limit" of a number the call never set."""
    corpus = _corpus(client)
    call = create_call(
        client,
        identifier="IHI-2024-LB-09",
        title="Liquid biopsy without a partner limit",
        programme="IHI",
        rule_set="none",
        description=CALL_TEXT,
        required_stakeholders={"academia": 1, "sme": 1, "patient_organisation": 1},
        min_countries=2,
        max_partners=None,
        opening_date="2024-01-10",
        deadline="2099-03-01",
    )
    builder = anonymous.get(f"/ui/calls/{call['id']}/consortium").text
    limit = re.search(r"<dt>Partners</dt><dd>(.*?)</dd>", builder, re.S)
    assert limit is not None
    assert " ".join(re.sub(r"<[^>]+>", " ", limit.group(1)).split()) == (
        "no limit set (proposals use 5)"
    )
    members = [name for name in corpus["organisations"] if name != "Soil Works"]
    draft = _draft(client, {**corpus, "call": call}, "Biopsy Assays BV", members)
    owner = corpus["organisations"]["Biopsy Assays BV"]

    gaps = anonymous.get(f"/consortia/{draft['id']}/gaps", headers=bearer(owner["api_key"]))
    page = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(owner["api_key"]))

    assert gaps.json()["satisfied"] is True
    assert [gap["requirement"] for gap in gaps.json()["requirements"]] == [
        "stakeholder_type",
        "stakeholder_type",
        "stakeholder_type",
        "countries",
    ]
    met = dict(re.findall(r'data-requirement="(\w+)" data-met="(true|false)"', page.text))
    assert met == {
        "academia": "true",
        "sme": "true",
        "patient_organisation": "true",
        "countries": "true",
    }
    assert "over the limit" not in page.text
