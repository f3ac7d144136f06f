"""Whole consortia for a call, a draft's gaps, and suggestions for what a draft still needs."""

import re
import statistics
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchmaker.consortium.gaps import NEW_COUNTRY_BONUS, raise_odds
from matchmaker.countries import country_name
from matchmaker.matching.scoring import Weights
from matchmaker.wording import percent
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem

ONCOLOGY = "liquid biopsy early cancer detection oncology tumour DNA screening"
PROFILES = [
    ("Leiden Oncology University", "academia", "NL", ONCOLOGY + " clinical validation"),
    ("Heidelberg Cancer Institute", "academia", "DE", ONCOLOGY + " biobank cohorts"),
    ("Paris Cardiology School", "academia", "FR", "heart failure cardiology imaging"),
    ("BiopsyTech SME", "sme", "BE", ONCOLOGY + " assay development"),
    ("PharmaCo", "industry", "CH", ONCOLOGY + " companion diagnostics drug development"),
    ("Cancer Patients Europe", "patient_organisation", "BE", ONCOLOGY + " patient engagement"),
    ("Madrid Screening Hospital", "healthcare_provider", "ES", ONCOLOGY + " screening clinic"),
]
REQUIRED = {"academia": 2, "sme": 1, "industry": 1}
WEIGHTS = Weights.fitted()


@pytest.fixture
def ids(client: TestClient) -> dict[str, int]:
    """The corpus and a cancer call, by short name."""
    found = {
        name: create_organisation(
            client,
            name=name,
            stakeholder_type=kind,
            country=country,
            description=text,
            keywords=[],
            activities=[],
        )["id"]
        for name, kind, country, text in PROFILES
    }
    found["call"] = create_call(
        client,
        identifier="CANCER-1",
        title="Early cancer detection with liquid biopsy",
        description="Clinical validation of liquid biopsy for early cancer detection.",
        required_stakeholders=REQUIRED,
        min_countries=3,
        max_partners=6,
    )["id"]
    return found


def _names(members: list[dict[str, Any]]) -> set[str]:
    return {member["organisation"]["name"] for member in members}


def test_proposal_meets_every_requirement(client: TestClient, ids: dict[str, int]) -> None:
    """The proposed consortium has the required types, countries and size, and says why."""
    body = client.post(f"/calls/{ids['call']}/consortium", json={}).json()
    best = body["items"][0]
    assert best["feasible"] is True
    assert best["shortfalls"] == []
    members = best["members"]
    kinds = [member["organisation"]["stakeholder_type"] for member in members]
    for kind, count in REQUIRED.items():
        assert kinds.count(kind) >= count
    assert len({member["organisation"]["country"] for member in members}) >= 3
    assert len(members) <= 6
    assert "Paris Cardiology School" not in _names(members)
    assert body["requirements"] == {
        "required_stakeholders": REQUIRED,
        "min_countries": 3,
        "max_partners": 6,
        "verified_types_required": False,
    }
    biopsy = next(m for m in members if m["organisation"]["name"] == "BiopsyTech SME")
    assert biopsy["fills"] == "sme"
    assert biopsy["matched_terms"], biopsy
    assert all(term["weight"] > 0 for term in biopsy["matched_terms"])


def test_proposal_honours_include_and_exclude(client: TestClient, ids: dict[str, int]) -> None:
    """Included organisations are always in, excluded ones never."""
    body = client.post(
        f"/calls/{ids['call']}/consortium",
        json={
            "include": [ids["Paris Cardiology School"]],
            "exclude": [ids["Heidelberg Cancer Institute"]],
        },
    ).json()
    names = _names(body["items"][0]["members"])
    assert "Paris Cardiology School" in names
    assert "Heidelberg Cancer Institute" not in names
    included = [m for m in body["items"][0]["members"] if m["included"]]
    assert [m["organisation"]["name"] for m in included] == ["Paris Cardiology School"]


def test_proposal_alternatives_differ(client: TestClient, ids: dict[str, int]) -> None:
    """Alternatives each differ from the proposals before them, best first."""
    items = client.post(f"/calls/{ids['call']}/consortium", json={"alternatives": 2}).json()[
        "items"
    ]
    assert len(items) == 3
    sets = [frozenset(_names(item["members"])) for item in items]
    assert len(set(sets)) == 3
    objectives = [item["objective"] for item in items]
    assert objectives == sorted(objectives, reverse=True)


def test_proposal_reports_the_requirement_it_cannot_meet(
    client: TestClient, ids: dict[str, int]
) -> None:
    """When no regulator exists, the best partial consortium comes back with that shortfall."""
    client.patch(
        f"/calls/{ids['call']}",
        json={"required_stakeholders": {**REQUIRED, "regulator": 1}},
    )
    best = client.post(f"/calls/{ids['call']}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is False
    assert [
        (s["requirement"], s["stakeholder_type"], s["needed"], s["achieved"])
        for s in best["shortfalls"]
    ] == [("stakeholder_type", "regulator", 1, 0)]
    kinds = [member["organisation"]["stakeholder_type"] for member in best["members"]]
    assert kinds.count("academia") >= 2
    assert "sme" in kinds


def test_kept_partners_never_meet_a_limit_a_call_without_one_does_not_set(
    client: TestClient, ids: dict[str, int]
) -> None:
    """A call without `max_partners` proposes its required places plus two; keeping seven
    partners makes room for them instead of failing with "the limit is 6"."""
    assert client.patch(f"/calls/{ids['call']}", json={"max_partners": None}).status_code == 200
    kept = [ids[name] for name, *_ in PROFILES]

    plain = client.post(f"/calls/{ids['call']}/consortium", json={}).json()
    answer = client.post(f"/calls/{ids['call']}/consortium", json={"include": kept}).json()

    assert plain["requirements"]["max_partners"] == 6
    assert answer["requirements"]["max_partners"] == 13
    best = answer["items"][0]
    assert (best["feasible"], best["shortfalls"]) == (True, [])
    assert {member["organisation"]["id"] for member in best["members"]} >= set(kept)


def test_proposal_rejects_contradictory_input(client: TestClient, ids: dict[str, int]) -> None:
    """Unknown includes and include/exclude overlaps are 422; unknown calls 404."""
    url = f"/calls/{ids['call']}/consortium"
    assert_problem(client.post(url, json={"include": [999]}), 422, "include")
    one = ids["BiopsyTech SME"]
    assert_problem(client.post(url, json={"include": [one], "exclude": [one]}), 422, "exclude")
    assert_problem(client.post(url, json={"alternatives": 9}), 422, "alternatives")
    assert_problem(client.post("/calls/999/consortium", json={}), 404)


def _draft(client: TestClient, ids: dict[str, int], *names: str) -> int:
    owner = client.post(
        "/admin/keys", json={"role": "organisation", "organisation_id": ids[names[0]]}
    )
    token = owner.json()["token"]
    response = client.post(
        "/consortia",
        json={
            "name": "Draft",
            "call_id": ids["call"],
            "members": [{"organisation_id": ids[name]} for name in names],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    draft_id: int = response.json()["id"]
    return draft_id


def _gap(body: dict[str, Any], requirement: str, kind: str | None = None) -> dict[str, Any]:
    return next(
        gap
        for gap in body["requirements"]
        if gap["requirement"] == requirement and gap.get("stakeholder_type") == kind
    )


def test_complete_draft_has_no_gaps(client: TestClient, ids: dict[str, int]) -> None:
    """A draft meeting every requirement is satisfied and proposes nobody."""
    draft = _draft(
        client,
        ids,
        "Leiden Oncology University",
        "Heidelberg Cancer Institute",
        "BiopsyTech SME",
        "PharmaCo",
    )
    body = client.get(f"/consortia/{draft}/gaps").json()
    assert body["satisfied"] is True
    assert all(gap["missing"] == 0 and gap["candidates"] == [] for gap in body["requirements"])
    assert _gap(body, "countries")["present"] == 4


def test_gap_appears_with_candidates_and_closes(client: TestClient, ids: dict[str, int]) -> None:
    """A draft missing its SME sees the gap, the SME as candidate, and the gap close once added."""
    draft = _draft(
        client, ids, "Leiden Oncology University", "Heidelberg Cancer Institute", "PharmaCo"
    )
    body = client.get(f"/consortia/{draft}/gaps").json()
    assert body["satisfied"] is False
    sme = _gap(body, "stakeholder_type", "sme")
    assert (sme["required"], sme["present"], sme["missing"]) == (1, 0, 1)
    assert [c["organisation"]["name"] for c in sme["candidates"]] == ["BiopsyTech SME"]
    assert sme["candidates"][0]["reasons"] == [
        f"Fits the call ({percent(sme['candidates'][0]['relevance'])})"
    ]
    assert _gap(body, "stakeholder_type", "academia")["missing"] == 0
    client.put(f"/consortia/{draft}/members/{ids['BiopsyTech SME']}")
    assert client.get(f"/consortia/{draft}/gaps").json()["satisfied"] is True


def test_country_gap_proposes_new_countries_only(client: TestClient, ids: dict[str, int]) -> None:
    """A draft short of countries is offered partners from countries it lacks."""
    draft = _draft(client, ids, "BiopsyTech SME", "Cancer Patients Europe")
    body = client.get(f"/consortia/{draft}/gaps").json()
    countries = _gap(body, "countries")
    assert (countries["present"], countries["missing"]) == (1, 2)
    offered = {c["organisation"]["country"] for c in countries["candidates"]}
    assert all(
        any(
            reason.startswith(
                f"Brings a new country ({country_name(c['organisation']['country'])})"
            )
            for reason in c["reasons"]
        )
        for c in countries["candidates"]
    )
    industry = _gap(body, "stakeholder_type", "industry")["candidates"]
    relevance = industry[0]["relevance"]
    assert industry[0]["score"] == pytest.approx(raise_odds(relevance, NEW_COUNTRY_BONUS), abs=1e-5)
    # A bonus names the points it adds to the shown score, "under 1 point" when it rounds to none.
    points = round(100 * industry[0]["score"]) - round(100 * relevance)
    added = f": +{points} point{'s' if points != 1 else ''}" if points else ": under 1 point"
    assert industry[0]["reasons"][1] == f"Brings a new country (Switzerland){added}"
    # What the page shows adds up: the fit's percentage plus each bonus's points is the score's.
    for gap in body["requirements"]:
        for candidate in gap["candidates"]:
            if not candidate["matched_terms"]:
                continue
            text = " ".join(candidate["reasons"])
            fit = re.search(r"Fits the call \((\d+)%\)", text)
            assert fit is not None, text
            points = sum(int(n) for n in re.findall(r": \+(\d+) points?", text))
            assert int(fit.group(1)) + points == round(100 * candidate["score"]), candidate
    assert offered
    assert "BE" not in offered


def _odds(chance: float) -> float:
    return chance / (1 - chance)


def test_a_members_past_partner_is_offered_for_a_gap_with_the_points_it_adds(
    client: TestClient, ids: dict[str, int]
) -> None:
    """A candidate listing a past project a member also lists ranks with that evidence in its
    score (not only reordered after), and its reasons state the points it adds to the fit."""
    project = {"title": "LIQUORICE liquid biopsy network", "summary": "Cohorts.", "year": 2021}
    member = create_organisation(
        client,
        name="Uppsala Biopsy University",
        stakeholder_type="academia",
        country="SE",
        description=ONCOLOGY,
        activities=[project],
    )["id"]
    partner = create_organisation(
        client,
        name="Assay Partner SME",
        stakeholder_type="sme",
        country="IT",
        description="liquid biopsy assays",
        activities=[project],
    )["id"]
    ids["Uppsala Biopsy University"] = member
    draft = _draft(client, ids, "Uppsala Biopsy University", "Heidelberg Cancer Institute")
    body = client.get(f"/consortia/{draft}/gaps").json()
    candidates = _gap(body, "stakeholder_type", "sme")["candidates"]
    found = next(c for c in candidates if c["organisation"]["id"] == partner)
    stranger = next(c for c in candidates if c["organisation"]["name"] == "BiopsyTech SME")
    assert not any("past project" in reason for reason in stranger["reasons"])
    # The draft has two countries of the three required: the new country is a bonus too.
    fit, past, country = found["reasons"]
    assert fit == f"Fits the call ({percent(found['relevance'])})"
    assert re.fullmatch(
        r"Lists a past project also listed by Uppsala Biopsy University: "
        r"\+\d+ points",
        past,
    ), past
    assert country.startswith("Brings a new country (Italy)")
    points = sum(int(n) for n in re.findall(r": \+(\d+) points?", past + country))
    assert round(100 * found["relevance"]) + points == round(100 * found["score"])
    # One shared project multiplies the odds by 2 ** past_partners (its track record is thin,
    # so the budget leaves room for all of it), the new country by its bonus.
    factor = _odds(found["score"]) / _odds(found["relevance"])
    assert factor == pytest.approx(2**WEIGHTS.past_partners * NEW_COUNTRY_BONUS, rel=1e-3)
    # The same organisation for the same call, without the draft: no partner evidence.
    plain = client.get(f"/calls/{ids['call']}/suggestions", params={"stakeholder_type": "sme"})
    alone = next(i for i in plain.json()["items"] if i["organisation"]["id"] == partner)
    assert alone["score"] == pytest.approx(found["relevance"], abs=1e-6)


def test_gap_for_a_type_nobody_has(client: TestClient, ids: dict[str, int]) -> None:
    """A required type no organisation has is a gap with no candidates, said plainly."""
    client.patch(f"/calls/{ids['call']}", json={"required_stakeholders": {"regulator": 1}})
    draft = _draft(client, ids, "Leiden Oncology University")
    regulator = _gap(client.get(f"/consortia/{draft}/gaps").json(), "stakeholder_type", "regulator")
    assert regulator["missing"] == 1
    assert regulator["candidates"] == []
    assert "regulator" in regulator["message"]


def test_oversized_draft_is_a_size_gap(client: TestClient, ids: dict[str, int]) -> None:
    """A draft above max_partners reports by how many."""
    client.patch(f"/calls/{ids['call']}", json={"max_partners": 5})
    draft = _draft(client, ids, *[name for name, *_ in PROFILES[:6]])
    size = _gap(client.get(f"/consortia/{draft}/gaps").json(), "size")
    assert (size["required"], size["present"], size["missing"]) == (5, 6, 1)


def test_suggestions_missing_for_rank_only_what_the_draft_needs(
    client: TestClient, ids: dict[str, int]
) -> None:
    """missing_for keeps the types the draft lacks and leaves out its members."""
    draft = _draft(client, ids, "Leiden Oncology University", "BiopsyTech SME")
    url = f"/calls/{ids['call']}/suggestions"
    body = client.get(url, params={"missing_for": draft}).json()
    kinds = {item["organisation"]["stakeholder_type"] for item in body["items"]}
    assert kinds == {"academia", "industry"}
    names = {item["organisation"]["name"] for item in body["items"]}
    assert "Leiden Oncology University" not in names
    only_industry = client.get(
        url, params={"missing_for": draft, "stakeholder_type": "industry"}
    ).json()
    assert [i["organisation"]["name"] for i in only_industry["items"]] == ["PharmaCo"]
    nothing = client.get(url, params={"missing_for": draft, "stakeholder_type": "sme"}).json()
    assert nothing["items"] == []
    assert_problem(client.get(url, params={"missing_for": 999}), 404)


def test_missing_for_offers_a_missing_type_from_any_country_then_new_countries(
    client: TestClient, ids: dict[str, int]
) -> None:
    """A type the draft lacks comes first, from a country the draft has or not; once no type
    is missing, a draft short of countries is offered organisations from new countries."""
    leuven = create_organisation(
        client,
        name="Leuven Biopsy University",
        stakeholder_type="academia",
        country="BE",
        description=ONCOLOGY + " tumour DNA",
        keywords=[],
        activities=[],
    )["id"]
    draft = _draft(client, ids, "Leiden Oncology University", "BiopsyTech SME")
    url = f"/calls/{ids['call']}/suggestions"
    answer = client.get(url, params={"missing_for": draft, "stakeholder_type": "academia"}).json()
    offered = {item["organisation"]["id"] for item in answer["items"]}
    assert leuven in offered
    assert answer["available"] == len(offered) == 3
    client.patch(f"/calls/{ids['call']}", json={"required_stakeholders": {"academia": 1}})
    countries = client.get(url, params={"missing_for": draft}).json()["items"]
    assert countries
    assert {item["organisation"]["country"] for item in countries}.isdisjoint({"NL", "BE"})


def test_a_required_regulator_sharing_no_word_with_the_call_is_still_offered(
    client: TestClient, ids: dict[str, int]
) -> None:
    """Every required type is served: the agency fills the place and the gap names it."""
    agency = create_organisation(
        client,
        name="Medicines Agency",
        stakeholder_type="regulator",
        country="NL",
        description="Evaluates and supervises medicinal products for human use.",
        keywords=[],
        activities=[],
    )["id"]
    call = create_call(
        client,
        identifier="CANCER-REG",
        title="Early cancer detection with liquid biopsy",
        description="Clinical validation of liquid biopsy for early cancer detection.",
        required_stakeholders={"academia": 1, "regulator": 1},
        min_countries=2,
        max_partners=12,
    )["id"]
    best = client.post(f"/calls/{call}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is True
    regulator = next(m for m in best["members"] if m["fills"] == "regulator")
    assert regulator["organisation"]["id"] == agency
    assert regulator["matched_terms"] == []
    answer = client.get(f"/calls/{call}/suggestions", params={"stakeholder_type": "regulator"})
    assert answer.json()["available"] == 1
    suggested = answer.json()["items"]
    assert [item["organisation"]["id"] for item in suggested] == [agency]
    assert suggested[0]["reasons"][0]["detail"] == "Shares no terms with the call"
    assert client.get(f"/calls/{call}/suggestions").json()["items"][-1]["organisation"]["id"] != (
        agency
    )
    owner = client.post(
        "/admin/keys",
        json={"role": "organisation", "organisation_id": ids["Leiden Oncology University"]},
    ).json()["token"]
    draft = client.post(
        "/consortia",
        json={
            "name": "Draft",
            "call_id": call,
            "members": [{"organisation_id": ids["Leiden Oncology University"]}],
        },
        headers={"Authorization": f"Bearer {owner}"},
    ).json()["id"]
    gap = _gap(client.get(f"/consortia/{draft}/gaps").json(), "stakeholder_type", "regulator")
    assert [c["organisation"]["id"] for c in gap["candidates"]] == [agency]
    assert gap["available"] == 1
    assert gap["candidates"][0]["reasons"] == ["Shares no terms with the call"]


def test_a_proposal_stops_where_relevance_stops(client: TestClient, ids: dict[str, int]) -> None:
    """Extra partners join only when they fit about as well as the required ones."""
    call = create_call(
        client,
        identifier="CANCER-ROOMY",
        title="Early cancer detection with liquid biopsy",
        description="Clinical validation of liquid biopsy for early cancer detection.",
        required_stakeholders={"academia": 1, "sme": 1},
        min_countries=2,
        max_partners=20,
    )["id"]
    best = client.post(f"/calls/{call}/consortium", json={}).json()["items"][0]
    names = _names(best["members"])
    assert "Paris Cardiology School" not in names  # shares no term with the call
    assert len(names) < 7
    required = [m["score"] for m in best["members"] if m["fills"]]
    extras = [m["score"] for m in best["members"] if not m["fills"]]
    assert all(score >= 0.75 * statistics.median(required) for score in extras)


def _many(client: TestClient, count: int, *, country: str, kind: str, text: str) -> list[int]:
    """`count` organisations alike: of one type and country, described by one text."""
    return [
        create_organisation(
            client,
            name=f"Cohort Centre {country} {index}",
            stakeholder_type=kind,
            country=country,
            description=text,
        )["id"]
        for index in range(count)
    ]


def test_a_proposal_falls_short_only_where_the_organisations_do(client: TestClient) -> None:
    """A call asking for more partners of a type than the solver's usual share of candidates,
    or for more countries than its best candidates come from, is met when the organisations
    exist: the candidates reach the required number of each type and every country that
    shares a term with the call."""
    text = "Paediatric asthma cohort registries and inhaler adherence"
    # Registered first, so that the best candidates overall (ties by id) are these SMEs.
    _many(client, 60, country="NL", kind="sme", text=text)
    _many(client, 35, country="NL", kind="academia", text=text)
    elsewhere = {
        country: _many(client, 1, country=country, kind="sme", text="Inhaler adherence")[0]
        for country in ("BE", "DE", "FR")
    }
    many = create_call(
        client,
        identifier="ASTHMA-MANY-01",
        programme=None,
        description=text,
        required_stakeholders={"academia": 32},
        min_countries=1,
        max_partners=40,
    )
    spread = create_call(
        client,
        identifier="ASTHMA-SPREAD-01",
        programme=None,
        description=text,
        required_stakeholders={"academia": 1},
        min_countries=4,
        max_partners=6,
    )

    best = client.post(f"/calls/{many['id']}/consortium", json={}).json()["items"][0]
    assert (best["feasible"], best["shortfalls"]) == (True, [])
    assert sum(m["organisation"]["stakeholder_type"] == "academia" for m in best["members"]) >= 32
    best = client.post(f"/calls/{spread['id']}/consortium", json={}).json()["items"][0]
    assert (best["feasible"], best["shortfalls"]) == (True, [])
    assert {m["organisation"]["id"] for m in best["members"]} >= set(elsewhere.values())
