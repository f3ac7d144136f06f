"""The OpenAPI document is complete and says what the service does: every field described,
every answer with an example, and each operation's key as the service checks it."""

import re
from http import HTTPStatus
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Engine

from api.deps import UNVERSIONED_412
from api.errors import PROBLEM_JSON, Problem, title_of
from api.main import create_app
from api.openapi import NO_STORE, TAKES_ANY_QUERY
from api.routers.calls import Programmes
from api.routers.health import Health
from matchmaker.consortium.solver import Method
from matchmaker.country_statuses import PROGRAMMES, CountryStatus
from matchmaker.keys import MAX_ACTIVE_KEYS
from matchmaker.partnering.webhooks import MAX_WEBHOOKS
from matchmaker.settings import Settings
from matchmaker.trust.claims import MAX_PENDING_CLAIMS
from models import examples
from models.apikey import IssuedKey, KeyPublic, KeyRole
from models.call import CallCreated, CallPublic, RuleSet
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
from models.notifications import OutboxReport
from models.organisation import OrganisationCreated, OrganisationPrivate, OrganisationPublic
from models.rules import CountryStatusPublic
from tests.factories import create_call
from tests.helpers import keyed, settings_for
from tests.servers import ADMIN_TOKEN

# The document is built from the routes alone, whatever the database.
pytestmark = pytest.mark.sqlite_only

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
        (OutboxReport, OutboxReport.model_json_schema()["examples"][0]),
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


def _numbers(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every number's schema in a part of the document, with where it is."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            found.append((where, node))
        for key, value in node.items():
            found += _numbers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _numbers(value, f"{where}/{index}")
    return found


def test_number_bounds_are_written_in_json_schema_keywords(document: dict[str, Any]) -> None:
    """A bound the service checks is `minimum`/`maximum`, which clients read, never pydantic's
    own `ge`/`le` (written for fields whose bounds follow a validator, such as every id)."""
    misnamed = [
        where for where, schema in _numbers(document) if {"ge", "le", "gt", "lt"} & set(schema)
    ]
    assert misnamed == []
    schemas = document["components"]["schemas"]
    search = schemas["SearchRequest"]["properties"]
    assert (search["limit"]["minimum"], search["limit"]["maximum"]) == (1, 200)
    assert (search["offset"]["minimum"], search["offset"]["maximum"]) == (0, 1000)
    partners = schemas["CallCreate"]["properties"]["max_partners"]["anyOf"][0]
    assert (partners["minimum"], partners["maximum"]) == (1, 500)
    call_id = document["paths"]["/calls/{call_id}"]["get"]["parameters"][0]["schema"]
    assert (call_id["minimum"], call_id["maximum"]) == (1, 2**31 - 1)


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("post", "/organisations/{organisation_id}/keys", f"at most {MAX_ACTIVE_KEYS} keys"),
        ("post", "/admin/keys", f"at most {MAX_ACTIVE_KEYS} keys"),
        ("post", "/organisations/{organisation_id}/claims", f"At most {MAX_PENDING_CLAIMS}"),
        ("post", "/organisations/{organisation_id}/webhooks", f"At most {MAX_WEBHOOKS}"),
        (
            "post",
            "/organisations/{organisation_id}/saved-searches",
            "MATCHMAKER_MAX_SAVED_SEARCHES",
        ),
        ("post", "/calls/{call_id}/partner-requests", "MATCHMAKER_MAX_OPEN_PARTNER_REQUESTS"),
        (
            "post",
            "/organisations/{organisation_id}/contact-requests",
            "MATCHMAKER_MAX_OPEN_CONTACT_REQUESTS",
        ),
        ("post", "/partner-requests/{request_id}/interest", "MATCHMAKER_MAX_OPEN_CONTACT_REQUESTS"),
    ],
)
def test_operations_refused_past_a_limit_document_it(
    document: dict[str, Any], method: str, path: str, limit: str
) -> None:
    """An operation that answers 409 past a limit says the limit in its description, so an
    integrator reads it before meeting it."""
    operation = document["paths"][path][method]
    assert "409" in operation["responses"]
    assert limit in operation["description"]


def test_only_rate_limited_operations_document_429_and_every_one_503(
    document: dict[str, Any], database_url: str, engine: Engine
) -> None:
    """POST /search and a proposal only read: past the write limit they still answer, so they
    document no 429; writes do. Any operation can meet a busy or unreachable database (503)."""
    operations = {(method, path): op for method, path, op in _operations(document)}
    for key in (("post", "/search"), ("post", "/calls/{call_id}/consortium")):
        assert "429" not in operations[key]["responses"], key
    assert "429" in operations[("post", "/organisations")]["responses"]
    assert all("503" in op["responses"] for op in operations.values())
    assert not any("x-reads-only" in op for op in operations.values())

    limited = settings_for(database_url, write_rate_limit=1)
    with TestClient(create_app(limited), raise_server_exceptions=False) as anonymous:
        created = anonymous.post(
            "/organisations", json={"name": "Lab", "stakeholder_type": "sme", "country": "NL"}
        )
        assert created.status_code == 201
        refused = anonymous.post(
            "/organisations", json={"name": "Lab", "stakeholder_type": "sme", "country": "NL"}
        )
        assert refused.status_code == 429
        call = create_call(keyed(anonymous, ADMIN_TOKEN), identifier="RATE-1")
        for _ in range(3):
            assert anonymous.post("/search", json={"text": "lab"}).status_code == 200
            proposal = anonymous.post(f"/calls/{call['id']}/consortium", json={})
            assert proposal.status_code == 200


def test_every_query_parameter_is_described(document: dict[str, Any]) -> None:
    """A filter's meaning is in the reference, not left to its name (`status`, `programme`)."""
    undescribed = [
        f"{method.upper()} {path} ?{parameter['name']}"
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and not parameter.get("description")
    ]
    assert undescribed == []


def test_every_path_parameter_is_described(document: dict[str, Any]) -> None:
    """Which id goes where is in the reference (`/partner-requests/{request_id}` is not an
    inbox request), not left to the parameter's name."""
    undescribed = [
        f"{method.upper()} {path} {{{parameter['name']}}}"
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and not parameter.get("description")
    ]
    assert undescribed == []
    contact = document["paths"]["/contact-requests/{request_id}"]["get"]["parameters"]
    assert contact[0]["description"] == "The contact request's id (`id` in `GET /inbox`)."


def test_every_operation_documents_the_refusals_any_request_can_meet(
    document: dict[str, Any], client: TestClient
) -> None:
    """Any operation refuses a query parameter it does not take (422) and a body over the
    limit (413), whether or not it takes parameters or a body; each documents both. The
    exception, opened from links in e-mails that trackers add parameters to, says so and
    promises no 422."""
    missing = [
        (method, path, status)
        for method, path, operation in _operations(document)
        for status in ("413", "422")
        if status not in operation["responses"]
        and not (status == "422" and operation.get(TAKES_ANY_QUERY))
    ]
    assert [
        (method, path)
        for method, path, operation in _operations(document)
        if "422" not in operation["responses"]
    ] == [("get", "/unsubscribe/{token}"), ("post", "/unsubscribe/{token}")]
    assert missing == []
    admin = keyed(client, ADMIN_TOKEN)
    assert client.get("/health", params={"x": "1"}).status_code == 422
    assert admin.post("/admin/refit", params={"x": "1"}).status_code == 422
    oversized = admin.post("/admin/refit", content=b"x" * (Settings().max_body_bytes + 1))
    assert oversized.status_code == 413


def test_suggestions_for_a_draft_document_the_publisher_refusal(
    document: dict[str, Any], client: TestClient
) -> None:
    """`missing_for` with a publisher's key is 403, and the operation says so."""
    operation = document["paths"]["/calls/{call_id}/suggestions"]["get"]
    assert "403" in operation["responses"]
    admin = keyed(client, ADMIN_TOKEN)
    call = create_call(admin)
    issued = admin.post("/admin/keys", json={"role": "publisher"})
    assert issued.status_code == 201, issued.text
    publisher = keyed(client, issued.json()["token"])
    refused = publisher.get(f"/calls/{call['id']}/suggestions", params={"missing_for": 1})
    assert refused.status_code == 403


def _schema_names(node: Any) -> set[str]:
    """The component schemas a part of the document names itself (not those they name)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        part = stack.pop()
        if isinstance(part, dict):
            stack.extend(part.values())
            ref = part.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[-1] not in found:
                found.add(ref.rsplit("/", 1)[-1])
        elif isinstance(part, list):
            stack.extend(part)
    return found


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    """The schemas named and every schema they name, however deep."""
    closed: set[str] = set()
    while names - closed:
        closed |= names
        names = closed.union(*(_schema_names(schemas[name]) for name in closed))
    return closed


def test_every_field_an_answer_always_carries_is_required(document: dict[str, Any]) -> None:
    """FastAPI writes every field of an answer, defaults included: a schema only answers use
    lists each as required, or a generated client types `stale`, `type_verified` or
    `verified_types_required` as maybe absent. Request schemas keep their defaults optional."""
    schemas = document["components"]["schemas"]
    operations = [operation for _, _, operation in _operations(document)]
    answers = _closure(
        _schema_names(
            [
                answer
                for operation in operations
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            ]
        ),
        schemas,
    )
    requests = _closure(_schema_names([op.get("requestBody") for op in operations]), schemas)
    optional = {
        name: sorted(set(schemas[name]["properties"]) - set(schemas[name].get("required", [])))
        for name in answers - requests
        if "properties" in schemas[name]
    }
    assert {name: fields for name, fields in optional.items() if fields} == {}
    assert {"OrganisationPublic", "Reason"} <= set(optional)
    assert set(schemas["Activity"]["required"]) == {"title"}
    assert "errors" not in schemas["Problem"]["required"]  # a 422, a 404 about a body's id


def _values(part: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The values a property's schema allows, through references, nullability and lists."""
    if "$ref" in part:
        return _values(schemas[part["$ref"].rsplit("/", 1)[-1]], schemas)
    if "anyOf" in part:
        return set().union(*(_values(branch, schemas) for branch in part["anyOf"]))
    if part.get("type") == "array":
        return _values(part["items"], schemas)
    if part.get("type") == "null":
        return set()
    assert "enum" in part or "const" in part, part
    return set(part.get("enum", [part.get("const")]))


def test_answers_name_the_values_they_can_hold_as_requests_do(document: dict[str, Any]) -> None:
    """A field a request takes as one of some values is answered as one of them too, never a
    plain string: a generated client gets the same enum both ways, and all its values."""
    schemas = document["components"]["schemas"]

    def values(schema: str, field: str) -> set[str]:
        return _values(schemas[schema]["properties"][field], schemas)

    parts = {"pillar-1", "pillar-2", "pillar-3", "widening", "eic-fund"}
    for schema in ("CallCreate", "CallUpdate", "CallPublic", "CallFound", "Eligibility"):
        assert values(schema, "programme_part") == parts, schema
    assert values("Eligibility", "rule_set") == values("CallPublic", "rule_set")
    assert values("Eligibility", "rule_set") == {rule_set.value for rule_set in RuleSet}
    statuses = {status.value for status in CountryStatus}
    for schema, field in (
        ("CountryStatusCreate", "status"),
        ("CountryStatusPublic", "status"),
        ("ParticipantEligibility", "country_status"),
    ):
        assert values(schema, field) == statuses, (schema, field)
    for field in ("parts", "except_parts"):
        assert values("CountryStatusPublic", field) == values("CountryStatusCreate", field)
    assert values("CountryStatusPublic", "programme") == set(PROGRAMMES)
    assert values("Health", "status") == {"ok", "degraded"}
    assert values("ProposalOut", "method") == set(get_args(Method))
    description = schemas["Eligibility"]["properties"]["rule_set"]["description"]
    assert all(f"`{rule_set.value}`" in description for rule_set in RuleSet)


# The answers that carry headers a client reads: the new resource's path, and the version.
LOCATED = {
    "/organisations",
    "/calls",
    "/consortia",
    "/calls/{call_id}/partner-requests",
    "/consortia/{consortium_id}/partner-requests",
    "/partner-requests/{request_id}/interest",
    "/organisations/{organisation_id}/contact-requests",
    "/organisations/{organisation_id}/webhooks",
    "/organisations/{organisation_id}/saved-searches",
}
VERSIONED = {
    ("post", "/organisations"),
    ("get", "/organisations/{organisation_id}"),
    ("patch", "/organisations/{organisation_id}"),
    ("delete", "/organisations/{organisation_id}/kept-on-import/{field}"),
    ("post", "/organisations/{organisation_id}/confirm"),
    ("post", "/admin/organisations/{organisation_id}/merge"),
    ("post", "/admin/organisations/{organisation_id}/type-verification"),
    ("delete", "/admin/organisations/{organisation_id}/type-verification"),
    ("post", "/admin/claims/{claim_id}/confirm"),
    ("post", "/claims/{claim_id}/confirmation/{token}"),
    ("post", "/calls"),
    ("get", "/calls/{call_id}"),
    ("patch", "/calls/{call_id}"),
    ("post", "/consortia"),
    ("get", "/consortia/{consortium_id}"),
    ("patch", "/consortia/{consortium_id}"),
    ("put", "/consortia/{consortium_id}/members/{organisation_id}"),
    ("delete", "/consortia/{consortium_id}/members/{organisation_id}"),
}


# What a 201 creates without a Location: the address it would have, where no GET answers, so
# there is nowhere to point (RFC 9110: a 201's Location is where the new resource is read).
# Keys and claims are read in their organisation's lists, blocks in /inbox/blocks; issuing a
# key shows its token in the answer alone; the country-status table answers with itself.
UNLOCATED = {
    "/admin/keys": "/admin/keys/{key_id}",
    "/organisations/{organisation_id}/keys": "/admin/keys/{key_id}",
    "/organisations/{organisation_id}/keys/rotate": "/admin/keys/{key_id}",
    "/organisations/{organisation_id}/key-recovery/{token}": "/admin/keys/{key_id}",
    "/inbox/blocks": "/inbox/blocks/{organisation_id}",
    "/organisations/{organisation_id}/claims": "/claims/{claim_id}",
    "/admin/country-statuses": "/admin/country-statuses/{status_id}",
}


def test_a_201_without_location_creates_nothing_with_an_address_to_read(
    document: dict[str, Any],
) -> None:
    """Every POST answering 201 declares Location, except those whose new thing has no address
    a GET answers: once such an address is added, this fails until the POST points to it."""
    unlocated = {
        path
        for method, path, operation in _operations(document)
        if "201" in operation["responses"]
        and "Location" not in operation["responses"]["201"].get("headers", {})
    }
    assert unlocated == set(UNLOCATED)
    readable = {path for method, path, _ in _operations(document) if method == "get"}
    assert {address for address in UNLOCATED.values() if address in readable} == set()


def test_answers_declare_the_headers_a_client_reads(document: dict[str, Any]) -> None:
    """Location on what a POST created, ETag on every versioned resource, Retry-After on 429
    (and on a 503, when the database is busy): a generated client finds them documented."""
    located, versioned = set(), set()
    for method, path, operation in _operations(document):
        for status, answer in operation["responses"].items():
            headers = answer.get("headers", {})
            if "Location" in headers:
                assert (method, status, headers["Location"]["required"]) == ("post", "201", True)
                located.add(path)
            if "ETag" in headers:
                assert (status[0], headers["ETag"]["required"]) == ("2", True), (method, path)
                versioned.add((method, path))
        if "429" in operation["responses"]:
            retry = operation["responses"]["429"]["headers"]["Retry-After"]
            assert (retry["required"], retry["schema"]["type"]) == (True, "integer")
        assert operation["responses"]["503"]["headers"]["Retry-After"]["required"] is False
    assert located == LOCATED
    assert versioned == VERSIONED


# The answers that hold a secret shown only in them (a key's token, a webhook's secret) or an
# organisation's whole export: sent, and documented, with `Cache-Control: no-store`.
NOT_STORED = {
    ("post", "/organisations", "201"),
    ("post", "/organisations/{organisation_id}/keys", "201"),
    ("post", "/organisations/{organisation_id}/keys/rotate", "201"),
    ("post", "/organisations/{organisation_id}/key-recovery/{token}", "201"),
    ("post", "/admin/keys", "201"),
    ("post", "/organisations/{organisation_id}/webhooks", "201"),
    ("get", "/organisations/{organisation_id}/export", "200"),
}


def test_answers_holding_a_secret_declare_they_are_not_stored(document: dict[str, Any]) -> None:
    """Exactly the answers that hold a token, a webhook's secret or an export declare a
    required `Cache-Control: no-store`, on their success answer alone; the marker that asks
    for it is not left in the document."""
    declared = set()
    for method, path, operation in _operations(document):
        assert NO_STORE not in operation, (method, path)
        for status, answer in operation["responses"].items():
            header = answer.get("headers", {}).get("Cache-Control")
            if header is not None:
                assert (header["required"], header["schema"]["const"]) == (True, "no-store")
                declared.add((method, path, status))
    assert declared == NOT_STORED
    schemas = document["components"]["schemas"]
    secrets = {
        (method, path)
        for method, path, operation in _operations(document)
        for status, answer in operation["responses"].items()
        if status.startswith("2")
        for media in answer.get("content", {}).values()
        if {"token", "secret", "api_key"} & set(_properties(media.get("schema", {}), schemas))
    }
    assert secrets <= {(method, path) for method, path, _ in NOT_STORED}


def _properties(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The properties of a schema, through one `$ref`."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    properties: dict[str, Any] = schema.get("properties", {})
    return properties


def test_operation_ids_are_the_functions_names(document: dict[str, Any]) -> None:
    """A generated client names its methods by operation id: `create_organisation`, not
    FastAPI's `create_organisation_organisations_post`; each is unique."""
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", each) for each in ids), ids
    operations = {(method, path): op for method, path, op in _operations(document)}
    assert operations[("post", "/organisations")]["operationId"] == "create_organisation"
    assert operations[("get", "/calls/{call_id}/suggestions")]["operationId"] == (
        "list_call_suggestions"
    )


def test_the_problem_schema_says_what_every_problem_carries(
    document: dict[str, Any], client: TestClient
) -> None:
    """`type` and `instance` are in every problem, so the schema requires them; `errors` is
    left out when there are none, never null, so the schema does not allow null."""
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])
    assert "errors" not in problem["required"]
    assert problem["properties"]["errors"]["type"] == "array"
    assert problem["properties"]["instance"]["type"] == "string"
    missing = client.get("/calls/999999").json()
    assert {"type", "instance"} <= missing.keys()
    assert "errors" not in missing
    assert problem["examples"][0]["title"] == "Unprocessable Content"


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def test_every_problem_answer_says_when_it_comes(document: dict[str, Any]) -> None:
    """Each declared error answer is described in words for its kind of route, never by its
    reason phrase alone ("Not Found"), and keeps the problem details schema."""
    bare = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in _operations(document)
        for status, answer in operation["responses"].items()
        if status[0] in "45"
        and answer["description"] in {title_of(int(status)), HTTPStatus(int(status)).phrase}
    ]
    assert bare == []
    unschematic = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in _operations(document)
        for status, answer in operation["responses"].items()
        if status[0] in "45"
        and "text/html" not in answer["content"]
        and answer["content"] != {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    ]
    assert unschematic == []


def _said(document: dict[str, Any], method: str, path: str, status: int) -> str:
    description: str = document["paths"][path][method]["responses"][str(status)]["description"]
    return description


def test_every_patch_put_and_delete_takes_if_match_and_documents_its_412(
    document: dict[str, Any],
) -> None:
    """Each write that changes or removes a resource declares the If-Match header and the 412
    it can answer; where the resource has no version, the 412 says only `*` passes there."""
    undeclared = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(document)
        if method in {"patch", "put", "delete"}
        and not (
            "412" in operation["responses"]
            and any(
                parameter["in"] == "header" and parameter["name"].lower() == "if-match"
                for parameter in operation.get("parameters", [])
            )
        )
    ]
    assert undeclared == []
    assert _said(document, "delete", "/admin/keys/{key_id}", 412) == UNVERSIONED_412[412]
    assert _said(document, "delete", "/calls/{call_id}", 412).startswith(
        "If-Match names a version other than the current one"
    )


def test_problem_answers_name_what_their_route_refuses(
    document: dict[str, Any], client: TestClient, anonymous: TestClient
) -> None:
    """401 says which keys an operation takes, 403 that the key is another organisation's,
    404 which id of the path names nothing, 412 that If-Match is stale, 422 that `errors`
    names the fields, 429 and 503 to wait Retry-After; and a request meets what is said."""
    assert _said(document, "get", "/calls/{call_id}", 404) == (
        "There is no call with this `call_id`; `detail` says which."
    )
    webhook = "/organisations/{organisation_id}/webhooks/{webhook_id}"
    assert _said(document, "get", webhook, 404) == (
        "There is no organisation with this `organisation_id`, or no webhook with this "
        "`webhook_id` (another organisation's reads the same); `detail` says which."
    )
    assert _said(document, "get", webhook, 403) == (
        "The key is valid but may not do this: it is another organisation's key than the one "
        "in the path, or of a role this operation does not take (it takes organisation keys)."
    )
    assert _said(document, "patch", "/calls/{call_id}", 401) == (
        "No API key was sent, or the key is wrong or revoked: send `Authorization: Bearer "
        "mm_...` with a key of a role this operation takes (publisher, admin)."
    )
    assert _said(document, "get", "/calls", 401) == (
        "The API key sent is wrong or revoked: send a valid key, or none (this operation "
        "answers without one)."
    )
    assert _said(document, "post", "/admin/refit", 403) == (
        "The key is valid but not an admin key: only admins may do this."
    )
    assert _said(document, "patch", "/calls/{call_id}", 412).startswith(
        "If-Match names a version other than the current one"
    )
    assert _said(document, "post", "/claims/{claim_id}/confirmation/{token}", 412) == (
        "Another request changed the resource while this one was answered: read it again and retry."
    )
    assert _said(document, "post", "/calls", 409) == (
        "A call with this identifier (in any case) already exists."
    )
    assert "`errors` names each field" in _said(document, "get", "/calls", 422)
    assert "Retry-After" in _said(document, "post", "/organisations", 429)
    assert "Retry-After" in _said(document, "get", "/calls", 503)
    assert "cannot take writes" not in _said(document, "get", "/calls", 503)
    assert "cannot take writes" in _said(document, "post", "/calls", 503)
    assert "latest migration" in _said(document, "get", "/health", 503)

    call = create_call(keyed(client, ADMIN_TOKEN))
    missing = anonymous.get("/calls/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    invalid = anonymous.get("/calls", params={"limit": 0}).json()
    assert [error["field"] for error in invalid["errors"]] == ["query.limit"]
    unkeyed = anonymous.patch(f"/calls/{call['id']}", json={"title": "X"})
    assert unkeyed.status_code == 401
    stale = client.patch(f"/calls/{call['id']}", json={"title": "X"}, headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    taken = client.post("/calls", json={"identifier": call["identifier"].lower(), "title": "X"})
    assert taken.status_code == 409
