"""The OpenAPI document is complete and says what the service does: every field described,
every answer with an example, and each operation's key as the service checks it."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from api.errors import Problem
from api.main import create_app
from api.routers.calls import Programmes
from api.routers.health import Health
from matchmaker.settings import Settings
from models import examples
from models.apikey import IssuedKey, KeyPublic, KeyRole
from models.call import CallCreated, CallPublic
from models.consortium import (
    ConsortiumPublic,
    Eligibility,
    Gaps,
    LikelyAffiliates,
    Membership,
    ParticipantEligibility,
    Proposals,
    RuleCheck,
)
from models.matching import CallMatch, RefitStarted, Suggestion
from models.organisation import OrganisationCreated, OrganisationPrivate, OrganisationPublic
from models.rules import CountryStatusPublic

PUBLIC_READS = [
    ("get", "/health"),
    ("get", "/calls"),
    ("get", "/calls/{call_id}"),
    ("get", "/programmes"),
    ("get", "/organisations"),
    ("get", "/organisations/{organisation_id}/similar"),
    ("get", "/organisations/{organisation_id}/calls"),
    ("post", "/calls/{call_id}/consortium"),
    ("post", "/search"),
]
# Reads that anyone may make, showing more to these roles' keys.
OPTIONAL_KEY = {
    ("get", "/organisations/{organisation_id}"): ["organisation", "admin"],
    ("get", "/calls/{call_id}/suggestions"): ["organisation", "admin"],
}
NEEDS_KEY = {
    ("post", "/calls"): ["publisher", "admin"],
    ("patch", "/calls/{call_id}"): ["publisher", "admin"],
    ("delete", "/calls/{call_id}"): ["publisher", "admin"],
    ("post", "/consortia"): ["organisation"],
    ("patch", "/organisations/{organisation_id}"): ["organisation", "admin"],
    ("post", "/admin/keys"): ["admin"],
    ("post", "/admin/refit"): ["admin"],
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The OpenAPI document, built without starting the app (no database needed)."""
    return create_app(Settings(database_url="sqlite:///unused.db")).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_field_in_the_openapi_document_is_described(document: dict[str, Any]) -> None:
    """Each property of each schema has a description (a model field without one fails)."""
    undescribed = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, part in schema.get("properties", {}).items()
        if not part.get("description")
    ]
    assert undescribed == []


def test_every_operation_has_an_example_answer(document: dict[str, Any]) -> None:
    """Each success answer with a body carries an example; a 204 has none to carry."""
    without = []
    for method, path, operation in _operations(document):
        successes = {
            status: answer
            for status, answer in operation["responses"].items()
            if status.startswith("2")
        }
        assert successes, f"{method} {path} documents no success answer"
        for status, answer in successes.items():
            for media_type, media in answer.get("content", {}).items():
                if "example" not in media and "examples" not in media:
                    without.append(f"{method.upper()} {path} {status} {media_type}")
    assert without == []


def test_every_operation_declares_which_key_it_takes(document: dict[str, Any]) -> None:
    """Every operation states its security; public reads need no key; roles are real roles."""
    scheme = document["components"]["securitySchemes"]
    assert list(scheme) == ["apiKey"]
    assert (scheme["apiKey"]["type"], scheme["apiKey"]["scheme"]) == ("http", "bearer")
    assert "security" not in document  # no global requirement that public reads would inherit
    roles = {role.value for role in KeyRole}
    for method, path, operation in _operations(document):
        assert "security" in operation, f"{method.upper()} {path} declares no security"
        for requirement in operation["security"]:
            for name, needed in requirement.items():
                assert name == "apiKey"
                assert set(needed) <= roles, (method, path, needed)
    operations = {(method, path): operation for method, path, operation in _operations(document)}
    for key in PUBLIC_READS:
        assert operations[key]["security"] == [], key
    for key, needed in OPTIONAL_KEY.items():
        assert operations[key]["security"] == [{}, {"apiKey": needed}], key
    for key, needed in NEEDS_KEY.items():
        assert operations[key]["security"] == [{"apiKey": needed}], key


def test_public_reads_answer_without_a_key(anonymous: TestClient, client: TestClient) -> None:
    """The reads the document calls public do answer 200 with no Authorization header."""
    call = client.post("/calls", json={"identifier": "PUB-1", "title": "Cancer screening"})
    organisation = client.post(
        "/organisations",
        json={"name": "Lab", "stakeholder_type": "academia", "country": "NL"},
    )
    ids = {"call_id": call.json()["id"], "organisation_id": organisation.json()["id"]}
    bodies = {"/search": {"text": "cancer"}, "/calls/{call_id}/consortium": {}}
    for method, path in [*PUBLIC_READS, *OPTIONAL_KEY]:
        response = anonymous.request(method, path.format(**ids), json=bodies.get(path))
        assert response.status_code == 200, (method, path, response.text)


@pytest.mark.parametrize(
    ("model", "example"),
    [
        (OrganisationPublic, examples.ORGANISATION_PUBLIC),
        (OrganisationPrivate, examples.ORGANISATION_PRIVATE),
        (OrganisationCreated, examples.ORGANISATION_CREATED),
        (CallPublic, examples.CALL_PUBLIC),
        (CallCreated, examples.CALL_CREATED),
        (ConsortiumPublic, examples.CONSORTIUM_PUBLIC),
        (Membership, examples.MEMBERSHIP),
        (Suggestion, examples.SUGGESTION),
        (CallMatch, examples.CALL_MATCH),
        (Proposals, examples.PROPOSALS),
        (Gaps, examples.GAPS),
        (RuleCheck, examples.RULE_CHECK),
        (ParticipantEligibility, examples.PARTICIPANT_ELIGIBILITY),
        (LikelyAffiliates, examples.LIKELY_AFFILIATES),
        (Eligibility, examples.ELIGIBILITY),
        (CountryStatusPublic, examples.COUNTRY_STATUS_ADDED),
        (KeyPublic, KeyPublic.model_json_schema()["examples"][0]),
        (IssuedKey, IssuedKey.model_json_schema()["examples"][0]),
        (RefitStarted, examples.REFIT),
        (Programmes, examples.PROGRAMMES),
        (Health, examples.HEALTH),
        (Problem, examples.PROBLEM),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_example_answers_are_valid_answers(model: type[BaseModel], example: Any) -> None:
    """Each example is what the model would answer: it validates and dumps back unchanged."""
    assert model.model_json_schema()["examples"] == [example]
    assert model.model_validate(example).model_dump(mode="json") == example


def test_the_country_status_table_example_is_a_valid_answer() -> None:
    """GET /rules/countries and POST /admin/country-statuses show a table of their own."""
    table = TypeAdapter(list[CountryStatusPublic])
    rows = table.validate_python(examples.COUNTRY_STATUS_TABLE)
    assert table.dump_python(rows, mode="json") == examples.COUNTRY_STATUS_TABLE
