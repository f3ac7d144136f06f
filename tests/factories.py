"""Plain keyword-only factories with realistic defaults."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from models.common import utc_today


def organisation_payload(**overrides: Any) -> dict[str, Any]:
    """A valid profile body, with any field overridden."""
    payload: dict[str, Any] = {
        "name": "Leiden University Medical Center",
        "stakeholder_type": "academia",
        "country": "NL",
        "city": "Leiden",
        "description": "Clinical oncology research, liquid biopsy and biobanking.",
        "keywords": ["oncology", "biobank"],
        "activities": [
            {
                "title": "Early detection of colorectal cancer",
                "summary": "Methylation markers in plasma.",
                "year": 2022,
                "url": "https://cordis.europa.eu/project/id/101000001",
            }
        ],
        "website": "https://www.lumc.nl/",
        "contact_email": "partnering@lumc.example",
    }
    payload.update(overrides)
    return payload


def call_payload(**overrides: Any) -> dict[str, Any]:
    """A valid call body, with any field overridden."""
    payload: dict[str, Any] = {
        "identifier": "IHI-2023-05-02",
        "title": "Early detection of cancer with liquid biopsy",
        "programme": "IHI",
        "description": "Validate minimally invasive tools for early cancer detection.",
        "required_stakeholders": {"academia": 2, "industry": 1, "sme": 1},
        "min_countries": 3,
        "max_partners": 12,
        "opening_date": "2023-10-10",
        "deadline": "2024-02-21",
    }
    payload.update(overrides)
    return payload


def create_organisation(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """Register a profile through the API and return the answer's body."""
    response = client.post("/organisations", json=organisation_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_call(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """Publish a call through the API and return the answer's body."""
    response = client.post("/calls", json=call_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def call_source(identifier: str, **fields: Any) -> dict[str, Any]:
    """A call as a JSON source (`matchmaker import calls`, the sync) lists it."""
    return {
        "identifier": identifier,
        "title": f"Topic {identifier}",
        "description": "Scope of the topic.",
        "opening_date": "2025-01-10",
        "deadline": "2025-06-30",
        **fields,
    }


def write_calls(path: Path, calls: list[dict[str, Any]]) -> Path:
    """Write a JSON list of calls (a source) and return its path."""
    path.write_text(json.dumps(calls), encoding="utf-8")
    return path


# Profiles of an oncology corpus the matching tests share.
ONCOLOGY_SME = {
    "name": "Oncomark Diagnostics",
    "stakeholder_type": "sme",
    "country": "DE",
    "description": "Liquid biopsy assays detecting circulating tumour DNA for early cancer "
    "detection in oncology.",
    "keywords": ["liquid biopsy", "oncology"],
    "activities": [],
}
ONCOLOGY_PATIENTS = {
    "name": "Cancer Patients Europe",
    "stakeholder_type": "patient_organisation",
    "country": "BE",
    "description": "Patient advocacy for people living with cancer; patient engagement in "
    "oncology trials and early detection programmes.",
    "keywords": ["cancer", "patient engagement"],
    "activities": [],
}


class Party:
    """An organisation registered through the API, with a client sending its own key."""

    def __init__(self, client: TestClient, **profile: Any) -> None:
        body = create_organisation(client, **profile)
        self.id: int = body["id"]
        self.email: str | None = body["contact_email"]
        self.client = TestClient(
            client.app,
            raise_server_exceptions=False,
            headers={"Authorization": f"Bearer {body['api_key']}"},
        )
        self.client.portal = client.portal


def publish(party: Party, call_id: int, **overrides: Any) -> dict[str, Any]:
    """Publish a partner request as `party` and return the answer's body."""
    body = {
        "stakeholder_types": ["patient_organisation"],
        "expertise": "Patient panels for liver disease screening.",
        "pitch": "Join a consortium on early detection.",
        **overrides,
    }
    response = party.client.post(f"/calls/{call_id}/partner-requests", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def interest(party: Party, request_id: int, message: str = "We would like to join.") -> Any:
    """Express interest in a partner request as `party`."""
    return party.client.post(f"/partner-requests/{request_id}/interest", json={"message": message})


# Ninety days from today: the deadline of `liver_screening_call`.
LATER = (utc_today() + timedelta(days=90)).isoformat()


def liver_screening_call(client: httpx.Client) -> dict[str, Any]:
    """An open call on liver disease screening, its deadline 90 days away."""
    return create_call(
        client,
        identifier="IHI-2027-01-01",
        title="Liver disease screening",
        description="Early detection of liver disease in primary care.",
        opening_date=None,
        deadline=LATER,
    )


def leiden_university(client: TestClient) -> Party:
    """A university with a contact address, registered through the API."""
    return Party(client, name="Leiden University", contact_email="partnering@leiden.example")


def liver_patients(client: TestClient, **profile: Any) -> Party:
    """A Belgian patient organisation with a contact address, and `profile`'s other fields."""
    return Party(
        client,
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        contact_email="hello@liver-patients.example",
        **profile,
    )
