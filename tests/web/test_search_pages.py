"""The pages that search: the calls and organisations search boxes, and Find expertise."""

import re

import pytest
from fastapi.testclient import TestClient

from api.web import pages
from tests.factories import create_call, create_organisation


def _snippets(page: str) -> list[str]:
    return re.findall(r'<p class="snippet">(.*?)</p>', page)


def test_calls_page_finds_a_call_by_its_scope_with_a_marked_snippet(
    client: TestClient, anonymous: TestClient
) -> None:
    """Searching "Parkinson" lists the call whose scope names it, the word marked in a snippet."""
    create_call(
        client,
        identifier="IHI-2025-PD",
        title="Digital endpoints for neurodegeneration",
        description="Wearables to follow <script>alert(1)</script> Parkinson's disease at home.",
    )
    create_call(client, identifier="IHI-2025-HF", title="Heart failure", description="Cardiology.")
    page = anonymous.get("/ui/calls", params={"q": "parkinson"}).text
    assert re.findall(r'<span class="identifier">([^<]+)</span>', page) == ["IHI-2025-PD"]
    (snippet,) = _snippets(page)
    assert "<mark>Parkinson</mark>" in snippet
    # SQLite's snippet keeps the tag as text (escaped here); PostgreSQL's headline drops it.
    assert "alert(1)" in snippet
    assert "<script" not in snippet


def test_calls_page_lists_search_results_best_first(
    client: TestClient, anonymous: TestClient
) -> None:
    """With words, the calls page orders by the engine's rank, not by deadline."""
    create_call(
        client,
        identifier="SOON-1",
        title="Registries",
        description="A biobank is mentioned once.",
        opening_date="2024-01-01",
        deadline="2099-01-01",
    )
    create_call(
        client,
        identifier="LATER-2",
        title="Biobank networks",
        description="Biobank sharing.",
        opening_date="2024-01-01",
        deadline="2099-12-01",
    )
    page = anonymous.get("/ui/calls", params={"q": "biobank"}).text
    assert re.findall(r'<span class="identifier">([^<]+)</span>', page) == ["LATER-2", "SOON-1"]
    unsearched = anonymous.get("/ui/calls").text
    assert re.findall(r'<span class="identifier">([^<]+)</span>', unsearched) == [
        "SOON-1",
        "LATER-2",
    ]


def _fewer_words(page: str) -> list[tuple[str, str]]:
    """The words offered alone after a search found nothing: (address, link text and count)."""
    box = re.search(r'<div class="empty" id="fewer-words">(.*?)</div>', page, re.S)
    assert box, page
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a> \(([^)]+)\)</li>', box.group(1))


def test_a_search_of_several_words_that_finds_nothing_offers_each_word_alone(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "rare kidney disease" finds no call (every word must appear, and none has all three):
    the page says why, and links each word that finds calls alone, with the other filters
    kept and how many calls it finds; a word that finds nothing is not offered."""
    create_call(
        client,
        identifier="IHI-2026-CKD",
        title="Care pathways for chronic kidney disease",
        description="People living with kidney disease.",
    )
    create_call(
        client,
        identifier="IHI-2026-RC",
        title="Rare cancers in children",
        description="Paediatric oncology trials.",
    )
    page = anonymous.get("/ui/calls", params={"q": "rare kidney disease", "programme": "IHI"}).text
    assert re.findall(r'<span class="identifier">([^<]+)</span>', page) == []
    assert (
        "No call has all the words “rare kidney disease”: a call is found only when every "
        "word you type is in it, so fewer words find more."
    ) in page
    assert _fewer_words(page) == [
        ("/ui/calls?q=rare&amp;programme=IHI", "rare", "1 call"),
        ("/ui/calls?q=kidney&amp;programme=IHI", "kidney", "1 call"),
        ("/ui/calls?q=disease&amp;programme=IHI", "disease", "1 call"),
    ]
    nothing = anonymous.get("/ui/calls", params={"q": "kidny"}).text
    assert 'id="fewer-words"' not in nothing
    assert "No call has the word “kidny”. Check the spelling, or try another word." in nothing


def test_organisations_page_searches_description_keywords_and_projects(
    client: TestClient, anonymous: TestClient
) -> None:
    """The organisations search box reads more than names, and shows why a profile matched."""
    create_organisation(
        client,
        name="Helix BV",
        description="",
        keywords=[],
        activities=[{"title": "ZEBRA", "summary": "Zebrafish models of epilepsy."}],
    )
    create_organisation(client, name="Other BV", description="Soil.", keywords=[], activities=[])
    page = anonymous.get("/ui/organisations", params={"q": "zebrafish"}).text
    names = re.findall(r'<th scope="row" data-label="Name"><a [^>]+>([^<]+)</a>', page)
    assert names == ["Helix BV"]
    assert ["<mark>Zebrafish</mark>" in snippet for snippet in _snippets(page)] == [True]


def test_expertise_page_ranks_organisations_for_free_text_with_filters(
    client: TestClient, anonymous: TestClient
) -> None:
    """Find expertise runs the matching engine on the text, filtered by type and country."""
    create_organisation(
        client,
        name="Biopsy Assays BV",
        stakeholder_type="sme",
        country="NL",
        description="Liquid biopsy assays for early cancer detection.",
        keywords=[],
        activities=[],
    )
    create_organisation(
        client,
        name="Leiden Biopsy Lab",
        stakeholder_type="academia",
        country="NL",
        description="Liquid biopsy research.",
        keywords=[],
        activities=[],
    )
    create_organisation(
        client,
        name="Soil Works",
        stakeholder_type="industry",
        country="ES",
        description="Compost.",
        keywords=[],
        activities=[],
    )

    def ranked(**params: str) -> list[str]:
        page = anonymous.get("/ui/expertise", params=params)
        assert page.status_code == 200
        return re.findall(
            r'<th scope="row" data-label="Organisation"><a [^>]+>([^<]+)</a>', page.text
        )

    assert sorted(ranked(q="liquid biopsy cancer detection")) == [
        "Biopsy Assays BV",
        "Leiden Biopsy Lab",
    ]
    assert ranked(q="liquid biopsy cancer detection")[0] == "Biopsy Assays BV"
    found = anonymous.get("/ui/expertise", params={"q": "liquid biopsy"}).text
    assert (
        "<p>The shared terms and similar past projects say why each fits. The score is the one "
        "a call's suggested partners show: the chance that an organisation scored so took part "
        "in a funded consortium for such a call, as measured on past EU calls. A few percent "
        "is usual; even a call's best rarely score above 25%.</p>"
    ) in found
    assert ranked(q="liquid biopsy", stakeholder_type="academia") == ["Leiden Biopsy Lab"]
    assert ranked(q="liquid biopsy", country="ES") == []
    assert ranked() == []
    empty = anonymous.get("/ui/expertise").text
    assert 'id="suggestion-table"' not in empty
    assert "The score is" not in empty
    assert 'aria-current="page">Find expertise</a>' in empty


def test_a_type_whose_organisations_share_no_term_says_none_of_them_fits(
    client: TestClient, anonymous: TestClient
) -> None:
    """Filtered by a type none of whose organisations shares a word with the text or the call,
    Find expertise and the call's suggested partners still list them (every organisation of
    the type), and say first that none fits; when one shares a term, they do not."""
    create_organisation(
        client,
        name="Soil Works",
        stakeholder_type="industry",
        country="ES",
        description="Compost and soil improvers.",
        keywords=[],
        activities=[],
    )
    call = create_call(
        client,
        identifier="IHI-2025-LB",
        title="Liquid biopsy",
        description="Liquid biopsy assays for early cancer detection.",
    )
    notice = (
        '<p class="notice notice-warn" id="no-shared-terms">No industry partner shares a term '
        "with your text, so none of these fits it: they are listed for their type, by their "
        "track record. Try other words, or another type.</p>"
    )
    unrelated = anonymous.get(
        "/ui/expertise", params={"q": "liquid biopsy", "stakeholder_type": "industry"}
    ).text
    assert notice in unrelated
    assert unrelated.index(notice) < unrelated.index(">Soil Works</a>")
    # The heading does not call them organisations that fit, nor the text say why each fits.
    assert '<h2 id="results-heading">Industry partners, listed by track record</h2>' in unrelated
    assert "Organisations that fit" not in unrelated
    assert "say why each fits" not in unrelated
    related = anonymous.get(
        "/ui/expertise", params={"q": "soil compost", "stakeholder_type": "industry"}
    ).text
    assert ">Soil Works</a>" in related
    assert 'id="no-shared-terms"' not in related
    assert '<h2 id="results-heading">Organisations that fit</h2>' in related
    assert "say why each fits" in related
    in_spain = anonymous.get(
        f"/ui/calls/{call['id']}", params={"stakeholder_type": "industry", "country": "ES"}
    ).text
    assert (
        "No industry partner from Spain shares a term with the call, so none of these fits it"
    ) in in_spain
    assert ">Soil Works</a>" in in_spain
    assert 'id="no-shared-terms"' not in anonymous.get(f"/ui/calls/{call['id']}").text


def test_captions_and_empty_lists_say_what_is_shown(
    client: TestClient, anonymous: TestClient
) -> None:
    """Listed for their type because none shares a term, the table's caption says so, as the
    notice above it does, never "best first"; an empty list names only the filters chosen: a
    country alone, "No organisation from Germany shares terms ...", and a type, that none of
    it is registered (every organisation of a type chosen is listed)."""
    create_organisation(
        client,
        name="Soil Works",
        stakeholder_type="industry",
        country="ES",
        description="Compost and soil improvers.",
        keywords=[],
        activities=[],
    )
    create_organisation(
        client,
        name="Biopsia SL",
        stakeholder_type="sme",
        country="ES",
        description="Liquid biopsy assays.",
        keywords=[],
        activities=[],
    )
    call = create_call(
        client,
        identifier="IHI-2025-LB",
        title="Liquid biopsy",
        description="Liquid biopsy assays for early cancer detection.",
    )
    call_page = f"/ui/calls/{call['id']}"

    def caption(page: str) -> str:
        found = re.search(r'<caption class="visually-hidden">([^<]+)</caption>', page)
        assert found, page
        return found[1]

    def empty(page: str) -> str:
        found = re.search(r'<p class="empty">([^<]+)</p>', page)
        assert found, page
        return found[1]

    unrelated = anonymous.get(
        "/ui/expertise", params={"q": "liquid biopsy", "stakeholder_type": "industry"}
    ).text
    assert caption(unrelated) == (
        "Industry partners, listed by track record: none shares a term with your text"
    )
    in_spain = anonymous.get(call_page, params={"stakeholder_type": "industry", "country": "ES"})
    assert caption(in_spain.text) == (
        "Industry partners from Spain, listed by track record: none shares a term with the call"
    )
    assert '<h2 id="results-heading">Industry partners from Spain, listed by track record</h2>' in (
        anonymous.get(
            "/ui/expertise",
            params={"q": "liquid biopsy", "stakeholder_type": "industry", "country": "ES"},
        ).text
    )
    related = anonymous.get(
        "/ui/expertise", params={"q": "soil compost", "stakeholder_type": "industry"}
    ).text
    assert caption(related) == "Organisations whose expertise fits the text, best first"
    assert caption(anonymous.get(call_page, params={"country": "ES"}).text) == (
        "Suggested partners, best first"
    )

    in_germany = anonymous.get("/ui/expertise", params={"q": "soil", "country": "DE"}).text
    assert empty(in_germany) == "No organisation from Germany shares terms with this text."
    assert empty(anonymous.get(call_page, params={"country": "DE"}).text) == (
        "No organisation from Germany shares terms with this call."
    )
    assert empty(anonymous.get("/ui/expertise", params={"q": "kidney"}).text) == (
        "No organisation shares terms with this text."
    )
    regulators = anonymous.get(call_page, params={"stakeholder_type": "regulator"}).text
    assert empty(regulators) == "No regulator has registered yet."
    german_industry = anonymous.get(
        "/ui/expertise", params={"q": "soil", "stakeholder_type": "industry", "country": "DE"}
    ).text
    assert empty(german_industry) == "No industry partner from Germany has registered yet."
    for page in (in_germany, regulators, german_industry):
        assert "of this type and country" not in page


def test_expertise_page_shows_more_organisations_on_demand(
    client: TestClient, anonymous: TestClient
) -> None:
    """Find expertise lists 25 organisations first; "Show more" keeps the text and filters and
    adds the next ones until the ranking ends, leading to the first new one."""
    for number in range(30):
        create_organisation(
            client,
            name=f"Organoid Lab {number}",
            stakeholder_type="academia" if number < 28 else "sme",
            country="DE",
            description=f"Intestinal organoid models, series {number}.",
            keywords=[],
            activities=[],
        )

    def rows(page: str) -> list[str]:
        return re.findall(r'<th scope="row" data-label="Organisation"><a [^>]+>([^<]+)</a>', page)

    first = anonymous.get("/ui/expertise", params={"q": "organoid", "stakeholder_type": "academia"})
    assert len(rows(first.text)) == 25
    link = re.search(r'href="([^"]+)" data-show-more>Show more<', first.text)
    assert link is not None
    assert "shown=50" in link.group(1)
    assert "q=organoid" in link.group(1)
    assert "stakeholder_type=academia" in link.group(1)
    assert link.group(1).endswith("#suggestion-26")
    second = anonymous.get(link.group(1).replace("&amp;", "&")).text
    assert 'id="suggestion-26" tabindex="-1"' in second
    names = rows(second)
    assert len(names) == len(set(names)) == 28
    assert all(int(name.rsplit(" ", 1)[1]) < 28 for name in names)
    assert "data-show-more" not in second
    everyone = anonymous.get("/ui/expertise", params={"q": "organoid", "shown": "30"}).text
    assert len(rows(everyone)) == 30
    assert "data-show-more" not in everyone
    too_many = anonymous.get("/ui/expertise?q=organoid&shown=500", headers={"Accept": "text/html"})
    assert too_many.status_code == 400


def test_find_expertise_without_text_lists_a_types_organisations_or_asks_for_words(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "Find organisations" with the text box empty lists every organisation of the type
    chosen (of the country too, when one is), oldest first, as the draft's "Add an
    organisation" finder does; with no type chosen, alone or with a country, the field is
    marked and says what to write, as for a text of spaces. A first visit says nothing."""
    for name, kind, country in [
        ("Charite Labs", "academia", "DE"),
        ("Soil GmbH", "industry", "DE"),
        ("Leiden Lab", "academia", "NL"),
        ("Munich Institute", "academia", "DE"),
    ]:
        create_organisation(
            client, name=name, stakeholder_type=kind, country=country, keywords=[], activities=[]
        )

    def listed(page: str) -> list[str]:
        return re.findall(r'<th scope="row" data-label="Name"><a [^>]+>([^<]+)</a>', page)

    academics = anonymous.get(
        "/ui/expertise", params={"q": "", "stakeholder_type": "academia", "country": ""}
    ).text
    assert listed(academics) == ["Charite Labs", "Leiden Lab", "Munich Institute"]
    assert '<h2 id="results-heading">Academic partners</h2>' in academics
    assert (
        "3 academic partners, oldest profile first. To rank them by how well they fit the "
        "expertise you need, describe it above."
    ) in academics
    assert 'id="q-error"' not in academics
    assert '<caption class="visually-hidden">Academic partners, oldest profile first</caption>' in (
        academics
    )
    in_germany = anonymous.get(
        "/ui/expertise", params={"q": "  ", "stakeholder_type": "academia", "country": "DE"}
    ).text
    assert listed(in_germany) == ["Charite Labs", "Munich Institute"]
    assert '<h2 id="results-heading">Academic partners from Germany</h2>' in in_germany
    nobody = anonymous.get(
        "/ui/expertise", params={"q": "", "stakeholder_type": "regulator", "country": "DE"}
    ).text
    assert '<p class="empty">No regulator from Germany has registered yet.</p>' in nobody
    error = (
        '<p class="field-error" id="q-error">Write the expertise you need in words first, for '
        "example the topic of a call or the skills a partner should bring; or choose a "
        "stakeholder type alone, to list every organisation of it.</p>"
    )
    for params in ({"q": "", "stakeholder_type": "", "country": ""}, {"q": "", "country": "DE"}):
        page = anonymous.get("/ui/expertise", params=params).text
        assert error in page, params
        assert 'aria-invalid="true"' in page
        assert listed(page) == []
    first_visit = anonymous.get("/ui/expertise").text
    assert 'id="q-error"' not in first_visit
    assert 'id="results-heading"' not in first_visit


def test_find_expertise_without_text_shows_more_of_a_type_on_demand(
    client: TestClient, anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A type listed without text shows 25 organisations first; "Show more" keeps the filters
    and leads to the first new one; past the most it reaches, a link leads to them all."""
    for number in range(27):
        create_organisation(
            client,
            name=f"Registry {number}",
            stakeholder_type="patient_organisation",
            country="NL",
            keywords=[],
            activities=[],
        )
    first = anonymous.get(
        "/ui/expertise", params={"q": "", "stakeholder_type": "patient_organisation"}
    ).text
    assert len(re.findall(r'data-label="Name"', first)) == 25
    assert "27 patient organisations, the first 25 shown, oldest profile first." in first
    link = re.search(r'href="([^"]+)" data-show-more>Show more<', first)
    assert link is not None
    assert link.group(1) == (
        "/ui/expertise?stakeholder_type=patient_organisation&amp;shown=50#listed-26"
    )
    second = anonymous.get(link.group(1).replace("&amp;", "&")).text
    assert 'id="listed-26" tabindex="-1"' in second
    assert len(re.findall(r'data-label="Name"', second)) == 27
    assert "data-show-more" not in second
    # Past the most "Show more" reaches, the Organisations page lists them all.
    monkeypatch.setattr(pages, "MOST_SUGGESTIONS", 25)
    capped = anonymous.get(
        "/ui/expertise", params={"stakeholder_type": "patient_organisation", "country": "NL"}
    ).text
    assert "data-show-more" not in capped
    assert (
        '<a href="/ui/organisations?stakeholder_type=patient_organisation&amp;country=NL">All 27 '
        "patient organisations on the Organisations page</a>"
    ) in capped


def test_a_weaker_text_fit_ranked_first_says_the_track_record_put_it_there(
    client: TestClient, anonymous: TestClient
) -> None:
    """An organisation with 40 past projects ranked above a newcomer whose text fits clearly
    better says so beside its shared terms ("for its track record: 40 past projects"); the
    newcomer, ranked by its text, says nothing of the kind."""
    create_organisation(
        client,
        name="Newcomer Biopsy SME",
        stakeholder_type="sme",
        description="Liquid biopsy assays for early detection of colorectal cancer.",
        keywords=[],
        activities=[],
    )
    create_organisation(
        client,
        name="Veteran Oncology Institute",
        description="Oncology institute: liquid biopsy assays among many other research lines.",
        keywords=[],
        activities=[
            {"title": f"Colorectal cancer cohort {number}", "summary": "Biopsy.", "year": 2021}
            for number in range(40)
        ],
    )
    text = "liquid biopsy assays for early detection of colorectal cancer"
    found = client.post("/search", json={"text": text}).json()["items"]
    names = [item["organisation"]["name"] for item in found]
    assert names == ["Veteran Oncology Institute", "Newcomer Biopsy SME"]
    cosines = [
        next(r["value"] for r in item["reasons"] if r["signal"] == "text_similarity")
        for item in found
    ]
    assert cosines[1] >= 1.5 * cosines[0]
    page = anonymous.get("/ui/expertise", params={"q": text}).text
    rows = page.split('<tr data-organisation-id="')[1:]
    assert "Veteran Oncology Institute" in rows[0]
    assert (
        '<p class="evidence">Ranked above closer matches in wording for its track record: '
        "40 past projects or activities</p>"
    ) in rows[0]
    assert "Ranked above" not in rows[1]


def test_a_suggestion_lists_its_similar_past_projects_behind_their_count(
    client: TestClient, anonymous: TestClient
) -> None:
    """A row names the past projects the suggestion shares its topic with, linked where the
    profile gives a link ("Took part in 2 similar past projects"), whatever they weighed; a
    profile with none close says nothing of them."""
    create_organisation(
        client,
        name="Gait Lab",
        description="Movement science.",
        keywords=[],
        activities=[
            {
                "title": "Wearable sensors for freezing of gait",
                "summary": "Wearable gait sensors for Parkinsonian tremor.",
                "url": "https://cordis.example/project/1",
            },
            {"title": "Tremor monitoring at home", "summary": "Wearable tremor sensors."},
            {"title": "Soil microbiome atlas", "summary": "Soil bacteria in farmland."},
        ],
    )
    create_organisation(
        client,
        name="Sensor Start-up",
        stakeholder_type="sme",
        description="Wearable gait sensors for Parkinsonian tremor.",
        keywords=[],
        activities=[],
    )
    page = anonymous.get(
        "/ui/expertise", params={"q": "wearable gait sensors for parkinsonian tremor"}
    ).text
    rows = {
        name: row
        for row in page.split('<tr data-organisation-id="')[1:]
        for name in ("Gait Lab", "Sensor Start-up")
        if f">{name}</a>" in row
    }
    listed = rows["Gait Lab"].split('<details class="similar-projects">')[1].split("</details>")[0]
    assert "<summary>Took part in 2 similar past projects</summary>" in listed
    assert re.findall(r"<li>(.*?)</li>", listed) == [
        '<a href="https://cordis.example/project/1" rel="noopener noreferrer">'
        "Wearable sensors for freezing of gait</a>",
        "Tremor monitoring at home",
    ]
    assert "similar-projects" not in rows["Sensor Start-up"]


def test_organisation_picker_matches_names_as_they_are_typed(
    client: TestClient, anonymous: TestClient
) -> None:
    """The draft's organisation picker finds "Oncomark" from "onco" (words are beginnings)."""
    create_organisation(client, name="Oncomark Diagnostics", keywords=[], activities=[])
    create_organisation(client, name="Cardio Lab", description="", keywords=[], activities=[])
    fragment = anonymous.get("/ui/organisation-picker", params={"q": "onco"}).text
    assert "Oncomark Diagnostics" in fragment
    assert "Cardio Lab" not in fragment


def test_a_search_of_no_words_lists_as_without_a_search_and_says_so(
    client: TestClient, anonymous: TestClient
) -> None:
    """ "*" or "^" holds no word to look for: the calls and organisations pages say so and list
    what they list without a search (the other filters kept), never "No call matches these
    filters"."""
    create_call(client, identifier="IHI-2026-CKD", title="Kidney care", programme="IHI")
    create_call(client, identifier="EU4H-2026-RC", title="Rare cancers", programme="EU4Health")
    create_organisation(client, name="Helix BV", country="NL")
    create_organisation(client, name="Nephro GmbH", country="DE")
    calls = anonymous.get("/ui/calls", params={"q": "*", "programme": "IHI"}).text
    assert re.findall(r'<span class="identifier">([^<]+)</span>', calls) == ["IHI-2026-CKD"]
    assert (
        '<p class="notice" id="no-search-words">“*” holds no words to search for, so the calls '
        "are listed as without a search. Search by words, such as cancer, or onco* for the "
        "words that begin so.</p>"
    ) in calls
    assert "No call matches these filters" not in calls
    # The script asks the API how many of the same calls are new: of these, not of none.
    assert 'data-same-calls="/calls?programme=IHI&amp;limit=1"' in calls
    organisations = anonymous.get("/ui/organisations", params={"q": "^", "country": "DE"}).text
    names = re.findall(r'<th scope="row" data-label="Name"><a [^>]+>([^<]+)</a>', organisations)
    assert names == ["Nephro GmbH"]
    assert (
        '<p class="notice" id="no-search-words">“^” holds no words to search for, so the '
        "organisations are listed as without a search. Search by words, such as cancer, or "
        "onco* for the words that begin so.</p>"
    ) in organisations
    assert "No organisation matches these filters" not in organisations
    searched = anonymous.get("/ui/calls", params={"q": "kidney"}).text
    assert 'id="no-search-words"' not in searched


def test_the_pages_and_the_api_agree_on_which_searches_hold_no_words(
    client: TestClient, anonymous: TestClient
) -> None:
    """A text the calls page calls wordless is the one the API ignores as `q`, and a text
    with words searches on both: one definition, not two."""
    create_call(client, identifier="IHI-2026-CKD", title="Kidney care")
    create_call(client, identifier="IHI-2026-RC", title="Rare cancers")
    for q, wordless in [("*", True), ("^ %", True), ('"', True), ("kidney", False)]:
        page = anonymous.get("/ui/calls", params={"q": q}).text
        listed = anonymous.get("/calls", params={"q": q}).json()["total"]
        assert ('id="no-search-words"' in page) is wordless, q
        assert listed == (2 if wordless else 1), q
