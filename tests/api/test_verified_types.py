"""Verified types: a profile claiming to be a regulator, patient organisation or public body is
shown unverified everywhere until an admin verifies it, and calls that require verified members
do not count it until then."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.consortium import proposals
from matchmaker.importers.runner import import_organisations_json
from matchmaker.partnering.fanout import run_events
from models.change import Change
from models.partnering import OutboxMessage
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem, bearer

EMA = "European Medicines Agency"
NOT_COUNTED = f"{EMA} does not count: no administrator has verified the type."


def verification_url(organisation_id: int) -> str:
    """The admin endpoint that verifies (POST) and unverifies (DELETE) a type."""
    return f"/admin/organisations/{organisation_id}/type-verification"


def changes_of(engine: Engine, organisation_id: int) -> int:
    """How many change-log rows name the organisation."""
    with Session(engine) as session:
        return len(
            session.scalars(
                select(Change).where(
                    col(Change.entity) == "organisation", col(Change.entity_id) == organisation_id
                )
            ).all()
        )


def setup(anonymous: TestClient, client: TestClient) -> dict[str, Any]:
    """An impostor "European Medicines Agency" of type regulator, a university that fits the
    call, and a call for one regulator and one academic partner requiring verified members."""
    ema = create_organisation(
        anonymous,
        name=EMA,
        stakeholder_type="regulator",
        country="NL",
        city="Amsterdam",
        description="Regulatory science for liquid biopsy diagnostics and cancer detection.",
        keywords=["regulatory science", "liquid biopsy"],
        website="https://ema-europa.example/",
    )
    university = create_organisation(
        anonymous,
        name="Universita di Bologna",
        stakeholder_type="academia",
        country="IT",
        description="Liquid biopsy and early cancer detection research.",
        website="https://unibo.example/",
    )
    call = create_call(
        client,
        identifier="HLTH-2027-VERIFY-01",
        programme=None,
        description="Liquid biopsy tools for early cancer detection, with a regulator on "
        "board for regulatory science.",
        required_stakeholders={"regulator": 1, "academia": 1},
        min_countries=2,
        max_partners=4,
        opening_date=None,
        deadline=None,
        verified_types_required=True,
    )
    return {"ema": ema, "university": university, "call": call}


def suggested(client: TestClient, call_id: int) -> dict[str, Any]:
    """The EMA profile as the call's suggestions show it."""
    items = client.get(f"/calls/{call_id}/suggestions").json()["items"]
    [item] = [item for item in items if item["organisation"]["name"] == EMA]
    return dict(item["organisation"])


def regulator_gap(client: TestClient, draft_id: int, key: str) -> dict[str, Any]:
    """The draft's regulator requirement."""
    body = client.get(f"/consortia/{draft_id}/gaps", headers=bearer(key)).json()
    [gap] = [gap for gap in body["requirements"] if gap["stakeholder_type"] == "regulator"]
    return dict(gap)


def test_an_impostor_regulator_is_unverified_everywhere_until_an_admin_verifies_it(
    anonymous: TestClient, client: TestClient, engine: Engine
) -> None:
    """Unverified in the profile, the suggestions, the proposal, the draft's gaps and the web
    pages; not counted by a call requiring verified regulators (the shortfall names it); after
    an admin's verification (If-Match, change log) it shows verified and counts."""
    made = setup(anonymous, client)
    ema, university, call = made["ema"], made["university"], made["call"]
    assert (ema["type_verified"], ema["type_verified_at"]) == (False, None)
    assert university["type_verified"] is None
    assert call["verified_types_required"] is True
    profile = anonymous.get(f"/organisations/{ema['id']}").json()
    assert (profile["type_verified"], profile["type_verified_at"]) == (False, None)
    assert suggested(anonymous, call["id"])["type_verified"] is False

    proposal = anonymous.post(f"/calls/{call['id']}/consortium", json={}).json()
    assert proposal["requirements"]["verified_types_required"] is True
    best = proposal["items"][0]
    assert best["feasible"] is False
    [shortfall] = best["shortfalls"]
    assert shortfall["stakeholder_type"] == "regulator"
    assert (shortfall["needed"], shortfall["achieved"]) == (1, 0)
    assert shortfall["message"] == (
        f"Needs 1 verified regulator; no verified candidate exists. {NOT_COUNTED}"
    )
    assert [(o["id"], o["type_verified"]) for o in shortfall["unverified"]] == [(ema["id"], False)]
    assert all(member["fills"] != "regulator" for member in best["members"])

    draft = anonymous.post(
        "/consortia",
        json={
            "name": "Liquid biopsy regulators",
            "call_id": call["id"],
            "members": [
                {"organisation_id": ema["id"], "role": "coordinator"},
                {"organisation_id": university["id"]},
            ],
        },
        headers=bearer(ema["api_key"]),
    ).json()
    assert {
        m["organisation"]["id"]: m["organisation"]["type_verified"] for m in draft["members"]
    } == {
        ema["id"]: False,
        university["id"]: None,
    }
    gap = regulator_gap(anonymous, draft["id"], ema["api_key"])
    assert {key: gap[key] for key in ("present", "missing", "verified_only", "available")} == {
        "present": 0,
        "missing": 1,
        "verified_only": True,
        "available": 0,
    }
    assert gap["message"] == f"Needs 1 more verified regulator. {NOT_COUNTED}"
    assert [o["id"] for o in gap["unverified"]] == [ema["id"]]

    organisation_page = anonymous.get(f"/ui/organisations/{ema['id']}").text
    assert "badge-unverified" in organisation_page
    assert "badge-verified" not in organisation_page
    call_page = anonymous.get(f"/ui/calls/{call['id']}").text
    assert "badge-unverified" in call_page
    panel = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(ema["api_key"])).text
    assert "Needs 1 more verified regulator." in panel
    assert f"{EMA} does not count" in panel
    assert "badge-unverified" in panel

    url = verification_url(ema["id"])
    assert_problem(anonymous.post(url), 401)
    assert_problem(anonymous.post(url, headers=bearer(ema["api_key"])), 403)
    assert_problem(client.post(url, headers={"If-Match": '"99"'}), 412)
    before = changes_of(engine, ema["id"])
    verified = client.post(url, headers={"If-Match": f'"{profile["version"]}"'})
    assert verified.status_code == 200, verified.text
    assert verified.json()["type_verified"] is True
    assert verified.json()["type_verified_at"] is not None
    assert verified.json()["version"] == profile["version"] + 1
    assert verified.headers["ETag"] == f'"{profile["version"] + 1}"'
    assert changes_of(engine, ema["id"]) == before + 1
    again = client.post(url)
    assert again.json()["version"] == profile["version"] + 1

    assert anonymous.get(f"/organisations/{ema['id']}").json()["type_verified"] is True
    assert suggested(anonymous, call["id"])["type_verified"] is True
    best = anonymous.post(f"/calls/{call['id']}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is True
    assert best["shortfalls"] == []
    assert {m["organisation"]["id"]: m["fills"] for m in best["members"]}[ema["id"]] == "regulator"
    gap = regulator_gap(anonymous, draft["id"], ema["api_key"])
    assert (gap["present"], gap["missing"], gap["unverified"]) == (1, 0, [])
    assert gap["message"] == "Has the 1 verified regulator required."
    assert "badge-verified" in anonymous.get(f"/ui/organisations/{ema['id']}").text
    panel = anonymous.get(f"/ui/consortia/{draft['id']}/panel", headers=bearer(ema["api_key"])).text
    assert "does not count" not in panel
    assert "badge-verified" in panel


def test_a_call_not_requiring_verification_counts_declared_types(
    anonymous: TestClient, client: TestClient
) -> None:
    """By default a call counts every member as its declared type, verified or not."""
    made = setup(anonymous, client)
    call_id = made["call"]["id"]
    changed = client.patch(f"/calls/{call_id}", json={"verified_types_required": False})
    assert changed.json()["verified_types_required"] is False
    best = anonymous.post(f"/calls/{call_id}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is True
    fills = {m["organisation"]["id"]: m["fills"] for m in best["members"]}
    assert fills[made["ema"]["id"]] == "regulator"
    assert_problem(client.patch(f"/calls/{call_id}", json={"verified_types_required": None}), 422)


def test_changing_the_type_drops_the_verification_and_admins_can_withdraw_it(
    anonymous: TestClient, client: TestClient
) -> None:
    """A verified profile that changes its type is unverified again (even changed back); an
    admin's DELETE withdraws a verification; self-declared types cannot be verified (409)."""
    ema = setup(anonymous, client)["ema"]
    url = verification_url(ema["id"])
    assert client.post(url).json()["type_verified"] is True
    owner = bearer(ema["api_key"])
    changed = anonymous.patch(
        f"/organisations/{ema['id']}", json={"stakeholder_type": "public_body"}, headers=owner
    ).json()
    assert (changed["type_verified"], changed["type_verified_at"]) == (False, None)
    back = anonymous.patch(
        f"/organisations/{ema['id']}", json={"stakeholder_type": "regulator"}, headers=owner
    ).json()
    assert back["type_verified"] is False

    assert client.post(url).json()["type_verified"] is True
    edited = anonymous.patch(f"/organisations/{ema['id']}", json={"city": "Ams"}, headers=owner)
    assert edited.json()["type_verified"] is True
    assert_problem(anonymous.delete(url, headers=owner), 403)
    assert_problem(client.delete(url, headers={"If-Match": '"1"'}), 412)
    withdrawn = client.delete(url)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["type_verified"], withdrawn.json()["type_verified_at"]) == (
        False,
        None,
    )

    academic = create_organisation(anonymous, name="Leiden University", stakeholder_type="academia")
    problem = assert_problem(client.post(verification_url(academic["id"])), 409)
    assert "self-declared" in problem["detail"]
    assert_problem(client.post(verification_url(999_999)), 404)
    assert_problem(client.delete(verification_url(999_999)), 404)


def test_a_confirmed_cordis_claim_does_not_verify_the_type(
    anonymous: TestClient, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A claim merges an imported regulator's record into the claimant's profile, verifies
    its projects, and leaves its type unverified; an import giving a verified record another
    type leaves the type and its verification as they are."""
    source = tmp_path / "record.json"
    record = {
        "external_id": "cordis:999990001",
        "name": "EUROPEAN MEDICINES AGENCY",
        "stakeholder_type": "regulator",
        "country": "NL",
        "activities": [{"title": "Regulatory science for biomarkers", "year": 2021}],
    }
    source.write_text(json.dumps([record]))
    assert import_organisations_json(engine, source).created == 1
    claimant = create_organisation(anonymous, name=EMA, stakeholder_type="regulator")
    made = anonymous.post(
        f"/organisations/{claimant['id']}/claims",
        json={"record": "cordis:999990001"},
        headers=bearer(claimant["api_key"]),
    )
    assert made.status_code == 201, made.text
    confirmed = client.post(f"/admin/claims/{made.json()['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    activities = {a["title"]: a["verified"] for a in confirmed.json()["activities"]}
    assert activities["Regulatory science for biomarkers"] is True
    assert confirmed.json()["type_verified"] is False

    source.write_text(json.dumps([{**record, "external_id": "cordis:999990002"}]))
    assert import_organisations_json(engine, source).created == 1
    [second] = [
        item
        for item in client.get("/organisations").json()["items"]
        if item["external_id"] == "cordis:999990002"
    ]
    assert client.post(verification_url(second["id"])).json()["type_verified"] is True
    source.write_text(
        json.dumps([{**record, "external_id": "cordis:999990002", "stakeholder_type": "other"}])
    )
    again = import_organisations_json(engine, source)
    assert (again.updated, again.unchanged, again.kept_own) == (0, 1, 1)
    reimported = client.get(f"/organisations/{second['id']}").json()
    assert (reimported["stakeholder_type"], reimported["type_verified"]) == ("regulator", True)


def test_a_regulator_is_announced_to_a_verified_only_gap_once_verified(
    anonymous: TestClient, client: TestClient, engine: Engine
) -> None:
    """The owner of a draft lacking a verified regulator hears of a new regulator only once
    an admin verified it."""
    call = create_call(
        client,
        identifier="HLTH-2027-VERIFY-02",
        programme=None,
        opening_date=None,
        deadline="2099-01-31",
        required_stakeholders={"academia": 1, "regulator": 1},
        verified_types_required=True,
    )
    owner = create_organisation(anonymous, name="Draft Owner", contact_email="owner@draft.example")
    draft = anonymous.post(
        "/consortia",
        json={"name": "Regulatory science", "call_id": call["id"], "members": []},
        headers=bearer(owner["api_key"]),
    )
    assert draft.status_code == 201, draft.text

    def gap_messages() -> list[str]:
        run_events(engine, base_url="https://matchmaker.example")
        with Session(engine) as session:
            return [
                message.body
                for message in session.scalars(
                    select(OutboxMessage).where(col(OutboxMessage.event) == "profile_fills_gap")
                )
            ]

    assert gap_messages() == []
    ema = create_organisation(anonymous, name=EMA, stakeholder_type="regulator")
    assert gap_messages() == []
    assert client.post(verification_url(ema["id"])).status_code == 200
    [body] = gap_messages()
    assert EMA in body


def test_a_verified_regulator_is_proposed_behind_better_fitting_unverified_ones(
    anonymous: TestClient, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates for a verified-only place are the best verified ones: unverified regulators
    that fit the call better never crowd the verified one out of the candidate pool."""
    made = setup(anonymous, client)
    monkeypatch.setattr(proposals, "CANDIDATES_PER_TYPE", 1)
    monkeypatch.setattr(proposals, "CANDIDATES_OVERALL", 1)
    create_organisation(
        anonymous,
        name="Liquid Biopsy Regulatory Consultants",
        stakeholder_type="regulator",
        country="BE",
        description="Regulatory science for liquid biopsy diagnostics and early cancer detection.",
        keywords=["liquid biopsy", "early cancer detection"],
    )
    agency = create_organisation(
        anonymous,
        name="Agence nationale de securite du medicament",
        stakeholder_type="regulator",
        country="FR",
        description="Medicines agency: authorisations and inspections.",
    )
    verified = client.post(verification_url(agency["id"]))
    assert verified.status_code == 200, verified.text
    call = made["call"]
    best = anonymous.post(f"/calls/{call['id']}/consortium", json={}).json()["items"][0]
    assert best["feasible"] is True, best
    fills = {member["organisation"]["id"]: member["fills"] for member in best["members"]}
    assert fills.get(agency["id"]) == "regulator"


def test_suggestions_missing_for_offer_only_verified_organisations_where_the_call_counts_them(
    anonymous: TestClient, client: TestClient
) -> None:
    """A draft that lacks a verified regulator and an academic partner is offered the
    university, not the unverified regulator, and `available` counts as its gaps do; once an
    admin verifies the regulator, it is offered too."""
    made = setup(anonymous, client)
    ema, university, call = made["ema"], made["university"], made["call"]
    sme = create_organisation(
        anonymous,
        name="Biopsy Devices BV",
        stakeholder_type="sme",
        country="NL",
        description="Liquid biopsy devices.",
    )
    draft = anonymous.post(
        "/consortia",
        json={
            "name": "Liquid biopsy devices",
            "call_id": call["id"],
            "members": [{"organisation_id": sme["id"], "role": "coordinator"}],
        },
        headers=bearer(sme["api_key"]),
    ).json()
    path = f"/calls/{call['id']}/suggestions?missing_for={draft['id']}"

    def offered() -> tuple[list[int], int]:
        body = anonymous.get(path, headers=bearer(sme["api_key"])).json()
        return [item["organisation"]["id"] for item in body["items"]], body["available"]

    assert offered() == ([university["id"]], 1)
    only_regulators = anonymous.get(
        path + "&stakeholder_type=regulator", headers=bearer(sme["api_key"])
    ).json()
    assert (only_regulators["items"], only_regulators["available"]) == ([], 0)
    gap = regulator_gap(anonymous, draft["id"], sme["api_key"])
    assert gap["available"] == 0

    assert client.post(verification_url(ema["id"])).status_code == 200

    ids, count = offered()
    assert sorted(ids) == sorted([university["id"], ema["id"]])
    assert count == 2
