"""Suggestions, fitting calls, similar organisations and search over HTTP."""

import math
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchmaker.matching.scoring import Weights
from tests.factories import ONCOLOGY_PATIENTS, ONCOLOGY_SME, create_call, create_organisation
from tests.helpers import assert_problem

CARDIOLOGY_UNIVERSITY = {
    "name": "Cardio University",
    "stakeholder_type": "academia",
    "country": "FR",
    "description": "Cardiology research on heart failure and cardiovascular imaging.",
    "keywords": ["cardiology", "heart failure"],
    "activities": [],
}
CANCER_CALL = {
    "identifier": "IHI-2024-07-01",
    "title": "Early cancer detection with liquid biopsy",
    "description": "Validate liquid biopsy tests for early detection of cancer, with "
    "patients engaged in oncology pathways.",
    "required_stakeholders": {"academia": 1, "sme": 1},
    "max_partners": 8,
    "opening_date": None,
    "deadline": None,
}


def _corpus(client: TestClient) -> dict[str, int]:
    ids = {
        "sme": create_organisation(client, **ONCOLOGY_SME)["id"],
        "university": create_organisation(client, **CARDIOLOGY_UNIVERSITY)["id"],
        "patients": create_organisation(client, **ONCOLOGY_PATIENTS)["id"],
    }
    ids["call"] = create_call(client, **CANCER_CALL)["id"]
    return ids


def _names(body: dict[str, Any]) -> list[str]:
    return [item["organisation"]["name"] for item in body["items"]]


def test_oncology_call_ranks_oncology_sme_above_cardiology_university(client: TestClient) -> None:
    """The obvious partner comes first, the unrelated one last or not at all."""
    ids = _corpus(client)
    body = client.get(f"/calls/{ids['call']}/suggestions").json()
    names = _names(body)
    assert names[0] == "Oncomark Diagnostics"
    assert "Cardio University" not in names
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[-1] <= scores[0] <= 1


def test_suggestions_explain_with_shared_terms(client: TestClient) -> None:
    """Each suggestion names terms its profile shares with the call."""
    ids = _corpus(client)
    top = client.get(f"/calls/{ids['call']}/suggestions").json()["items"][0]
    terms = [term["term"] for term in top["matched_terms"]]
    assert "liquid biopsy" in terms
    assert all(term["weight"] > 0 for term in top["matched_terms"])
    assert set(top["organisation"]) == {
        "id",
        "name",
        "stakeholder_type",
        "country",
        "type_verified",
    }


def test_suggestions_filter_by_type_and_country(client: TestClient) -> None:
    """stakeholder_type and country filters keep only matching organisations."""
    ids = _corpus(client)
    url = f"/calls/{ids['call']}/suggestions"
    only_patients = client.get(url, params={"stakeholder_type": "patient_organisation"}).json()
    assert _names(only_patients) == ["Cancer Patients Europe"]
    two_countries = client.get(url, params=[("country", "be"), ("country", "FR")]).json()
    assert _names(two_countries) == ["Cancer Patients Europe"]
    nothing = client.get(url, params={"country": "DE", "stakeholder_type": "academia"}).json()
    assert nothing["items"] == []
    assert_problem(client.get(url, params={"stakeholder_type": "pharma"}), 422)
    assert_problem(client.get(url, params={"limit": 0}), 422, "query.limit")


def test_suggestions_limit(client: TestClient) -> None:
    """limit caps the number of suggestions."""
    ids = _corpus(client)
    body = client.get(f"/calls/{ids['call']}/suggestions", params={"limit": 1}).json()
    assert _names(body) == ["Oncomark Diagnostics"]


def test_suggestions_for_unknown_call_is_404(client: TestClient) -> None:
    """Asking for a call that does not exist is a 404 problem."""
    assert_problem(client.get("/calls/404/suggestions"), 404)


def test_created_profile_appears_in_next_suggestion(client: TestClient) -> None:
    """A new profile is suggested at once, without an explicit refit."""
    ids = _corpus(client)
    create_organisation(
        client,
        name="Biopsy Labs",
        stakeholder_type="industry",
        country="NL",
        description="Liquid biopsy and early cancer detection assays.",
        keywords=[],
        activities=[],
    )
    body = client.get(f"/calls/{ids['call']}/suggestions").json()
    assert "Biopsy Labs" in _names(body)


def test_edited_profile_changes_next_suggestion(client: TestClient) -> None:
    """Editing a profile's expertise moves it in the very next ranking."""
    ids = _corpus(client)
    url = f"/calls/{ids['call']}/suggestions"
    assert "Cardio University" not in _names(client.get(url).json())
    client.patch(
        f"/organisations/{ids['university']}",
        json={"description": "Liquid biopsy for early cancer detection in oncology clinics."},
    )
    assert "Cardio University" in _names(client.get(url).json())


def test_deleted_profile_is_never_suggested(client: TestClient) -> None:
    """A deleted profile disappears from the next suggestion."""
    ids = _corpus(client)
    client.delete(f"/organisations/{ids['sme']}")
    body = client.get(f"/calls/{ids['call']}/suggestions").json()
    assert "Oncomark Diagnostics" not in _names(body)
    assert _names(body) == ["Cancer Patients Europe"]


def test_search_matches_free_text(client: TestClient) -> None:
    """POST /search ranks organisations against any text, with filters."""
    _corpus(client)
    body = client.post("/search", json={"text": "heart failure imaging"}).json()
    assert _names(body) == ["Cardio University"]
    filtered = client.post(
        "/search", json={"text": "cancer", "stakeholder_type": ["patient_organisation"]}
    ).json()
    assert _names(filtered) == ["Cancer Patients Europe"]
    assert client.post("/search", json={"text": "the and of"}).json()["items"] == []
    assert_problem(client.post("/search", json={"text": ""}), 422, "text")
    blank = assert_problem(client.post("/search", json={"text": " \n\t "}), 422, "text")
    assert blank["errors"] == [
        {"field": "text", "message": "Must contain a visible character, not only spaces."}
    ]
    assert_problem(client.post("/search", json={"text": "x", "limit": 500}), 422, "limit")


def test_search_finds_a_profile_written_in_the_other_spelling(client: TestClient) -> None:
    """A profile registered over HTTP in American spelling is found by a British search, from
    the next request on, and the reasons name the shared terms in the search's own words."""
    _corpus(client)
    create_organisation(
        client,
        name="Boston Pediatric Tumor Lab",
        stakeholder_type="academia",
        description="Pediatric tumor genomics and personalized therapy.",
        keywords=[],
        activities=[],
    )
    body = client.post("/search", json={"text": "paediatric tumours, personalised"}).json()
    assert _names(body)[0] == "Boston Pediatric Tumor Lab"
    shared = {term["term"] for term in body["items"][0]["matched_terms"]}
    assert {"paediatric", "tumours", "personalised"} <= shared


def test_similar_organisations_exclude_itself(client: TestClient) -> None:
    """Similar organisations share expertise and never include the organisation asked about."""
    ids = _corpus(client)
    body = client.get(f"/organisations/{ids['sme']}/similar").json()
    assert _names(body) == ["Cancer Patients Europe"]
    assert_problem(client.get("/organisations/999/similar"), 404)


def test_calls_for_organisation_filter_by_status(client: TestClient) -> None:
    """An organisation sees the calls that fit it, optionally only open ones."""
    ids = _corpus(client)
    create_call(
        client,
        identifier="CLOSED-1",
        title="Liquid biopsy in oncology",
        description="Cancer detection",
        opening_date="2020-01-01",
        deadline="2020-06-01",
    )
    every = client.get(f"/organisations/{ids['sme']}/calls").json()
    assert {item["call"]["identifier"] for item in every["items"]} == {
        "IHI-2024-07-01",
        "CLOSED-1",
    }
    open_only = client.get(f"/organisations/{ids['sme']}/calls", params={"status": "open"}).json()
    assert [item["call"]["identifier"] for item in open_only["items"]] == ["IHI-2024-07-01"]
    assert open_only["items"][0]["call"]["status"] == "open"
    assert open_only["items"][0]["matched_terms"]
    assert_problem(client.get("/organisations/999/calls"), 404)


def test_a_fit_has_one_score_whichever_side_asks(client: TestClient) -> None:
    """The calls that fit an organisation carry the score and the shared terms the call's
    suggestions give that organisation, and are ordered by that score."""
    ids = _corpus(client)
    create_call(
        client,
        identifier="IHI-2024-09-01",
        title="Patient engagement in cancer trials",
        description="Patients engaged in oncology trials and early cancer detection programmes.",
    )
    suggested = {
        (call["id"], item["organisation"]["id"]): item
        for call in client.get("/calls").json()["items"]
        for item in client.get(f"/calls/{call['id']}/suggestions").json()["items"]
    }
    for organisation in ("sme", "patients", "university"):
        fits = client.get(f"/organisations/{ids[organisation]}/calls").json()["items"]
        for fit in fits:
            same = suggested[(fit["call"]["id"], ids[organisation])]
            assert fit["score"] == same["score"]
            assert fit["matched_terms"] == same["matched_terms"]
        assert [fit["score"] for fit in fits] == sorted(
            (fit["score"] for fit in fits), reverse=True
        )
    patients = client.get(f"/organisations/{ids['patients']}/calls").json()["items"]
    assert len(patients) == 2


def test_health_reports_index_statistics(client: TestClient) -> None:
    """The health answer counts indexed profiles and calls and the vocabulary."""
    _corpus(client)
    client.get("/calls/1/suggestions")
    index = client.get("/health").json()["index"]
    assert index["documents"] == 3
    assert index["calls"] == 1
    assert index["vocabulary"] > 10


def test_concurrent_refit_never_fails_or_empties_answers(client: TestClient) -> None:
    """Suggestions served while refits run are never errors and never empty."""
    ids = _corpus(client)
    stop = threading.Event()

    def refit_repeatedly() -> None:
        while not stop.is_set():
            client.post("/admin/refit")

    refitter = threading.Thread(target=refit_repeatedly)
    refitter.start()
    try:
        for _ in range(40):
            response = client.get(f"/calls/{ids['call']}/suggestions")
            assert response.status_code == 200
            assert _names(response.json())[0] == "Oncomark Diagnostics"
    finally:
        stop.set()
        refitter.join()
    assert client.post("/admin/refit").status_code == 202


WEIGHTS = Weights.fitted()


def _project(number: int) -> dict[str, Any]:
    return {"title": f"Past project {number}", "year": 2020}


def _score_of(reasons: list[dict[str, Any]]) -> float:
    """The score the reasons' factors make: they multiply the odds of a fit."""
    odds = math.exp(WEIGHTS.intercept) * math.prod(reason["factor"] for reason in reasons)
    return odds / (1 + odds)


def test_suggestions_give_reasons_whose_factors_make_the_score(client: TestClient) -> None:
    """Each suggestion states its text fit and track record; their factors make the score."""
    ids = _corpus(client)
    client.patch(
        f"/organisations/{ids['sme']}", json={"activities": [_project(n) for n in range(1, 16)]}
    )
    items = client.get(f"/calls/{ids['call']}/suggestions").json()["items"]
    for item in items:
        reasons = item["reasons"]
        assert [reason["signal"] for reason in reasons] == [
            "text_similarity",
            "track_record",
            "similar_projects",
        ]
        assert _score_of(reasons) == pytest.approx(item["score"], abs=2e-6)
        assert 0 < item["score"] < 1
    sme = next(item for item in items if item["organisation"]["id"] == ids["sme"])
    assert sme["reasons"][1]["value"] == 15.0
    assert sme["reasons"][1]["factor"] == pytest.approx(16**WEIGHTS.track_record, abs=1e-6)
    assert sme["reasons"][1]["detail"] == "Lists 15 past projects or activities"
    searched = client.post("/search", json={"text": "heart failure imaging"}).json()["items"]
    assert [reason["signal"] for reason in searched[0]["reasons"]] == [
        "text_similarity",
        "track_record",
        "similar_projects",
    ]


def test_a_past_project_close_to_the_call_is_named_in_the_reasons(client: TestClient) -> None:
    """The similar-projects reason names the organisation's close project, title and URL."""
    url = "https://cordis.europa.eu/project/id/77"
    title = "EARLYDX: liquid biopsy for early cancer detection"
    project = {
        "title": title,
        "summary": CANCER_CALL["description"],
        "url": url,
        "role": "coordinator",
    }
    with_project = create_organisation(
        client, **{**ONCOLOGY_SME, "name": "With project", "activities": [project]}
    )["id"]
    create_organisation(client, **{**ONCOLOGY_SME, "name": "Without", "activities": []})
    call = create_call(client, **CANCER_CALL)["id"]
    items = client.get(f"/calls/{call}/suggestions").json()["items"]
    assert items[0]["organisation"]["id"] == with_project
    similar = items[0]["reasons"][2]
    assert similar["signal"] == "similar_projects"
    [named] = similar["projects"]
    assert (named["title"], named["url"]) == (title, url)
    assert named["cosine"] == pytest.approx(similar["value"], abs=1e-5)
    expected = (1 + 10 * min(similar["value"], 3)) ** WEIGHTS.similar_projects
    assert similar["factor"] == pytest.approx(expected, rel=1e-5)
    assert similar["detail"] == f'Took part in 1 similar past project: "{title}"'
    assert items[1]["reasons"][2]["projects"] == []
    assert items[1]["reasons"][2]["factor"] == 1.0


def test_a_past_projects_call_changes_no_score_through_the_service(client: TestClient) -> None:
    """Past projects given the call they were funded under (one whose identifier holds the
    call's own words) leave every suggestion, search result and fitting call as it was:
    scores, shared terms, reasons and the projects they name."""
    projects: list[dict[str, Any]] = [
        {"title": "EARLYDX: liquid biopsy", "summary": CANCER_CALL["description"], "year": 2022},
        {"title": "ONCO-HOME: oncology at home", "summary": "Remote follow-up of patients."},
    ]
    sme = create_organisation(client, **{**ONCOLOGY_SME, "activities": projects})["id"]
    patients = create_organisation(client, **{**ONCOLOGY_PATIENTS, "activities": projects[1:]})
    call = create_call(client, **CANCER_CALL)["id"]

    def answers() -> list[Any]:
        return [
            client.get(f"/calls/{call}/suggestions").json(),
            client.post("/search", json={"text": "liquid biopsy cancer detection"}).json(),
            client.get(f"/organisations/{sme}/calls").json(),
        ]

    before = answers()
    named = [
        {**projects[0], "call": "HORIZON-MISS-2021-CANCER-LIQUID-BIOPSY-01"},
        {**projects[1], "call": "IHI-2024-07-01"},
    ]
    for organisation, given in ((sme, named), (patients["id"], named[1:])):
        response = client.patch(f"/organisations/{organisation}", json={"activities": given})
        assert response.status_code == 200, response.text
        assert [a["call"] for a in response.json()["activities"]] == [a["call"] for a in given]

    assert answers() == before
    assert before[0]["items"][0]["organisation"]["id"] == sme


def test_draft_suggestions_favour_and_name_its_members_past_partners(client: TestClient) -> None:
    """For a draft, a member's past partner gets a bounded boost and a reason naming the member."""
    member = create_organisation(
        client, **{**CARDIOLOGY_UNIVERSITY, "activities": [_project(1), _project(2), _project(3)]}
    )["id"]
    stranger = create_organisation(
        client, **{**ONCOLOGY_SME, "name": "Liquid Biopsy SME", "activities": [_project(9)]}
    )["id"]
    partner = create_organisation(
        client, **{**ONCOLOGY_SME, "name": "Partner SME", "activities": [_project(1)]}
    )["id"]
    call = create_call(client, **{**CANCER_CALL, "required_stakeholders": {"sme": 1}})["id"]
    token = client.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": member}
    ).json()["token"]
    draft = client.post(
        "/consortia",
        json={"name": "Draft", "call_id": call, "members": [{"organisation_id": member}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert draft.status_code == 201, draft.text
    items = client.get(
        f"/calls/{call}/suggestions", params={"missing_for": draft.json()["id"]}
    ).json()["items"]
    by_id = {item["organisation"]["id"]: item for item in items}
    assert set(by_id) == {partner, stranger}
    past = by_id[partner]["reasons"][3]
    assert (past["signal"], past["value"], past["organisation_ids"]) == (
        "past_partners",
        1.0,
        [member],
    )
    assert past["factor"] == pytest.approx(2**WEIGHTS.past_partners, abs=1e-6)
    assert past["detail"] == "Lists 1 past project that 1 of your partners also lists"
    assert by_id[stranger]["reasons"][3]["value"] == 0.0
    for item in items:
        assert _score_of(item["reasons"]) == pytest.approx(item["score"], abs=2e-6)


def test_suggestions_missing_for_a_draft_of_another_call_is_422(client: TestClient) -> None:
    """A draft's gaps belong to its own call: asking another call's suggestions for it is 422."""
    member = create_organisation(client, **CARDIOLOGY_UNIVERSITY)["id"]
    create_organisation(client, **ONCOLOGY_SME)
    own = create_call(client, **{**CANCER_CALL, "identifier": "OWN-1"})["id"]
    other = create_call(client, **{**CANCER_CALL, "identifier": "OTHER-1"})["id"]
    token = client.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": member}
    ).json()["token"]
    draft = client.post(
        "/consortia",
        json={"name": "Draft", "call_id": own, "members": [{"organisation_id": member}]},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["id"]
    response = client.get(f"/calls/{other}/suggestions", params={"missing_for": draft})
    problem = assert_problem(response, 422, "query.missing_for")
    assert problem["detail"] == (
        f"Draft {draft} is written for call {own}, not call {other}: ask for "
        f"/calls/{own}/suggestions?missing_for={draft}, or move the draft to this call first."
    )
    own_answer = client.get(f"/calls/{own}/suggestions", params={"missing_for": draft})
    assert own_answer.status_code == 200, own_answer.text
