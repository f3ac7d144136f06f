"""The HTTP contract an integrator relies on: strict query strings, RFC 9110 preconditions and
methods, writes that change nothing, safe links, one problem title per status, honest examples
and pageable matching."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.limits import MAX_JSON_DEPTH
from api.main import create_app
from api.openapi import suggestion_example
from matchmaker.matching.scoring import Weights
from models import examples as ex
from models.change import Change
from tests.factories import ONCOLOGY_PATIENTS, ONCOLOGY_SME, create_call, create_organisation
from tests.helpers import (
    assert_problem,
    bearer,
    count_rows,
    created,
    keyed,
    settings_for,
    sharing,
    snapshot,
)
from tests.servers import ADMIN_TOKEN, uvicorn_server

ONCOLOGY_LAB = {
    "name": "Tumour DNA Lab",
    "stakeholder_type": "sme",
    "country": "NL",
    "description": "Circulating tumour DNA sequencing and liquid biopsy for cancer.",
    "keywords": ["tumour DNA"],
    "activities": [],
}
MALTESE_REGULATOR = {
    "name": "Malta Medicines Authority",
    "stakeholder_type": "regulator",
    "country": "MT",
    "description": "Licensing of pharmacies and inspection of wholesale distributors.",
    "keywords": ["licensing"],
    "activities": [],
}
CANCER_CALL = {
    "identifier": "IHI-2024-07-01",
    "title": "Early cancer detection with liquid biopsy",
    "description": "Validate liquid biopsy tests for early detection of cancer and circulating "
    "tumour DNA, with patients engaged in oncology pathways.",
    "required_stakeholders": {"sme": 1},
    "max_partners": 8,
    "opening_date": None,
    "deadline": None,
}


def _corpus(client: TestClient) -> dict[str, int]:
    ids = {
        name: create_organisation(client, **profile)["id"]
        for name, profile in (
            ("sme", ONCOLOGY_SME),
            ("lab", ONCOLOGY_LAB),
            ("patients", ONCOLOGY_PATIENTS),
            ("regulator", MALTESE_REGULATOR),
        )
    }
    ids["call"] = create_call(client, **CANCER_CALL)["id"]
    return ids


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["organisation"]["id"] for item in body["items"]]


# 1. Unknown query parameters


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("method", "path", "unknown", "accepted"),
    [
        ("GET", "/calls/{call}/suggestions", "stakeholder_types", "stakeholder_type"),
        ("GET", "/organisations", "type", "stakeholder_type"),
        ("GET", "/calls", "statuses", "status"),
        ("GET", "/organisations/{sme}", "verbose", None),
        ("POST", "/search", "limit", None),
    ],
)
def test_an_unknown_query_parameter_is_422_naming_it_and_the_accepted_ones(
    client: TestClient, method: str, path: str, unknown: str, accepted: str | None
) -> None:
    """A misspelt filter is refused, not ignored into an answer with every item."""
    ids = _corpus(client)
    body = {"text": "liquid biopsy"} if method == "POST" else None
    response = client.request(method, path.format(**ids), params={unknown: "regulator"}, json=body)
    problem = assert_problem(response, 422, f"query.{unknown}")
    assert problem["title"] == "Unprocessable Content"
    message = problem["errors"][0]["message"]
    assert message.startswith("Is not a query parameter of this operation; it takes ")
    if accepted is not None:
        assert accepted in message.removeprefix("Is not").split("; it takes ")[1]
    assert problem["detail"] == f"query.{unknown}: {message}"


@pytest.mark.sqlite_only
def test_declared_query_parameters_are_accepted_and_documentation_stays_lenient(
    client: TestClient,
) -> None:
    """Every declared parameter still works; the documentation pages ignore extras."""
    ids = _corpus(client)
    url = f"/calls/{ids['call']}/suggestions"
    params = {"stakeholder_type": "sme", "country": "DE", "limit": 5, "offset": 0}
    assert client.get(url, params=params).status_code == 200
    assert client.get("/openapi.json", params={"v": "1"}).status_code == 200
    assert client.get("/docs", params={"v": "1"}).status_code == 200
    # A web page opened from a link that carries a tracking parameter opens.
    for page in ("/ui/calls", f"/ui/calls/{ids['call']}", "/ui/organisations"):
        opened = client.get(page, params={"utm_source": "newsletter"})
        assert opened.status_code == 200, (page, opened.text[:200])
        assert opened.headers["content-type"].startswith("text/html")


# 2. If-Match


@pytest.mark.sqlite_only
def test_if_match_takes_a_list_and_star_as_rfc_9110_says(client: TestClient) -> None:
    """Any listed tag that is current matches; `*` matches an existing resource."""
    call = create_call(client)
    url = f"/calls/{call['id']}"
    listed = client.patch(url, json={"title": "Listed"}, headers={"If-Match": '"999", "1"'})
    assert (listed.status_code, listed.headers["etag"]) == (200, '"2"')
    star = client.patch(url, json={"title": "Starred"}, headers={"If-Match": "*"})
    assert (star.status_code, star.headers["etag"]) == (200, '"3"')
    assert_problem(client.patch("/calls/999", json={"title": "X"}, headers={"If-Match": "*"}), 404)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("if_match", "says"),
    [
        ('"1", "2"', "The resource is at version 3, not one the request names"),
        ('W/"3"', "The request names no version the resource could have"),
        ("3", 'versions are sent as quoted numbers, such as "3" for the current one.'),
        ('"3" junk', "The request names no version the resource could have"),
        (",", "The request names no version the resource could have"),
    ],
)
def test_a_stale_weak_or_malformed_if_match_is_412_in_plain_words(
    client: TestClient, if_match: str, says: str
) -> None:
    """No internal placeholder (-1) leaks; a malformed header says how to write one."""
    call = create_call(client)
    url = f"/calls/{call['id']}"
    for title in ("Two", "Three"):
        client.patch(url, json={"title": title})
    problem = assert_problem(
        client.patch(url, json={"title": "Lost"}, headers={"If-Match": if_match}), 412
    )
    assert problem["detail"].startswith(says) or problem["detail"].endswith(says), problem
    assert "-1" not in problem["detail"]
    assert problem["title"] == "Precondition Failed"
    assert client.get(url).json()["title"] == "Three"


@pytest.mark.sqlite_only
def test_if_match_is_weighed_after_the_key_and_the_body(
    client: TestClient, anonymous: TestClient
) -> None:
    """A malformed If-Match does not hide a missing key (401) or a missing body (422)."""
    call = create_call(client)
    url = f"/calls/{call['id']}"
    assert_problem(anonymous.delete(url, headers={"If-Match": ""}), 401)
    assert_problem(client.patch(url, headers={"If-Match": "junk"}), 422, "body")


@dataclass(frozen=True)
class Unversioned:
    """A write to a resource that has no version (no ETag), and what refuses it first."""

    method: str
    path: str  # `{org}`: the owner's organisation; `{id}`: the resource written
    success: int
    foreign: int  # what another organisation's key gets
    body: dict[str, Any] | None = None
    # Who finds `{id}` missing: an organisation's key names only its own preferences.
    missing_key: str = "owner"


UNVERSIONED = [
    Unversioned("DELETE", "/partner-requests/{id}", 204, 403),
    Unversioned("DELETE", "/inbox/blocks/{id}", 204, 404),
    Unversioned(
        "PUT",
        "/organisations/{id}/notification-preferences",
        200,
        403,
        body={"email": "daily"},
        missing_key="admin",
    ),
    Unversioned("DELETE", "/organisations/{org}/webhooks/{id}", 204, 403),
    Unversioned("DELETE", "/organisations/{org}/saved-searches/{id}", 204, 403),
    Unversioned("DELETE", "/admin/keys/{id}", 200, 404),
]
UNVERSIONED_IDS = [f"{write.method} {write.path}" for write in UNVERSIONED]


@dataclass
class Holder:
    """An organisation holding one of each resource that has no version, and another one."""

    client: TestClient  # anonymous
    keys: dict[str, str]  # owner, other, admin
    org: int
    ids: dict[str, int]  # by path


@pytest.fixture
def holder(database_url: str) -> Iterator[Holder]:
    """A partner request, a block, notification preferences, a webhook, a saved search and a
    spare key, all the owner's; the app lets webhooks reach loopback so one can be made."""
    app = create_app(settings_for(database_url, webhook_allow_private=True))
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        admin = keyed(anonymous, ADMIN_TOKEN)
        owner = create_organisation(admin, **ONCOLOGY_LAB)
        other = create_organisation(admin, **ONCOLOGY_PATIENTS)
        mine = keyed(anonymous, owner["api_key"])
        call = create_call(admin, **{**CANCER_CALL, "deadline": "2099-12-31"})
        profile = f"/organisations/{owner['id']}"
        made = [
            mine.post(f"/calls/{call['id']}/partner-requests", json={"pitch": "Join us"}),
            mine.post("/inbox/blocks", json={"organisation_id": other["id"]}),
            mine.post(f"{profile}/webhooks", json={"url": "http://127.0.0.1:9/hook"}),
            mine.post(f"{profile}/saved-searches", json={"target": "calls", "text": "biopsy"}),
            mine.post(f"{profile}/keys"),
        ]
        request, _, webhook, search, key = (created(response) for response in made)
        yield Holder(
            client=anonymous,
            keys={"owner": owner["api_key"], "other": other["api_key"], "admin": ADMIN_TOKEN},
            org=owner["id"],
            ids={
                "/partner-requests/{id}": request["id"],
                "/inbox/blocks/{id}": other["id"],
                "/organisations/{id}/notification-preferences": owner["id"],
                "/organisations/{org}/webhooks/{id}": webhook["id"],
                "/organisations/{org}/saved-searches/{id}": search["id"],
                "/admin/keys/{id}": key["id"],
            },
        )


def _write(
    holder: Holder, write: Unversioned, key: str | None, if_match: str, *, missing: bool = False
) -> Any:
    """The write as `key` (None: no key) with If-Match (empty: none), to the holder's resource
    or, `missing`, to one that does not exist."""
    url = write.path.format(org=holder.org, id=999_999 if missing else holder.ids[write.path])
    headers = {
        **bearer(holder.keys[key] if key else None),
        **({"If-Match": if_match} if if_match else {}),
    }
    return holder.client.request(write.method, url, json=write.body, headers=headers)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("passes", ["*", ""])
@pytest.mark.parametrize("write", UNVERSIONED, ids=UNVERSIONED_IDS)
def test_if_match_naming_a_version_of_what_has_none_is_412_and_only_star_passes(
    holder: Holder, engine: Engine, write: Unversioned, passes: str
) -> None:
    """No entity tag matches a resource without one (RFC 9110, 13.1.1): the write is refused
    and changes nothing; `If-Match: *`, or none, lets it through."""
    before = snapshot(engine)
    problem = assert_problem(_write(holder, write, "owner", '"42"'), 412)
    assert problem["detail"] == (
        "The resource has no version, so If-Match can only be * here, or left out."
    )
    assert snapshot(engine) == before
    response = _write(holder, write, "owner", passes)
    assert response.status_code == write.success, response.text
    assert snapshot(engine) != before


@pytest.mark.sqlite_only
@pytest.mark.parametrize("write", UNVERSIONED, ids=UNVERSIONED_IDS)
def test_a_key_or_a_missing_resource_is_refused_before_if_match_on_what_has_no_version(
    holder: Holder, engine: Engine, write: Unversioned
) -> None:
    """401, 403 and 404 come before the precondition (RFC 9110, 13.2.1), as they do for
    versioned resources; none changes anything."""
    before = snapshot(engine)
    assert_problem(_write(holder, write, None, '"42"'), 401)
    assert_problem(_write(holder, write, "other", '"42"'), write.foreign)
    assert_problem(_write(holder, write, write.missing_key, '"42"', missing=True), 404)
    assert snapshot(engine) == before


# 3. Writes that change nothing


def test_a_patch_that_changes_nothing_keeps_the_version_and_logs_nothing(
    client: TestClient, engine: Engine
) -> None:
    """An empty PATCH, or one repeating stored values, is no new version of a profile or call."""
    organisation = create_organisation(client, city="Leiden")
    call = create_call(client)
    changes = count_rows(engine, Change)
    for url, same in (
        (f"/organisations/{organisation['id']}", {"city": "Leiden"}),
        (f"/calls/{call['id']}", {"title": call["title"], "max_partners": call["max_partners"]}),
    ):
        for body in ({}, same):
            response = client.patch(url, json=body, headers={"If-Match": '"1"'})
            assert (response.status_code, response.headers["etag"]) == (200, '"1"'), body
            assert response.json()["version"] == 1
    assert count_rows(engine, Change) == changes
    moved = client.patch(f"/organisations/{organisation['id']}", json={"city": "Delft"})
    assert moved.headers["etag"] == '"2"'


@pytest.mark.sqlite_only
def test_a_stale_if_match_on_a_write_that_changes_nothing_is_still_412(
    client: TestClient,
) -> None:
    """Changing nothing does not excuse a stale precondition."""
    call = create_call(client)
    client.patch(f"/calls/{call['id']}", json={"title": "Two"})
    assert_problem(client.patch(f"/calls/{call['id']}", json={}, headers={"If-Match": '"1"'}), 412)


def test_putting_a_member_again_with_its_role_keeps_the_draft_version(
    client: TestClient, engine: Engine
) -> None:
    """Re-PUT of the same member and role is a no-op; another role is a new version."""
    owner = create_organisation(client, name="Draft Owner")
    partner = create_organisation(client, name="Partner SME", stakeholder_type="sme")
    key = bearer(owner["api_key"])
    call = create_call(client)
    draft = client.post(
        "/consortia", json={"name": "LB-EU", "call_id": call["id"]}, headers=key
    ).json()
    url = f"/consortia/{draft['id']}/members/{partner['id']}"
    added = client.put(url, json={"role": "partner"}, headers=key)
    version = added.json()["version"]
    changes = count_rows(engine, Change)
    again = client.put(url, json={"role": "partner"}, headers={**key, "If-Match": f'"{version}"'})
    assert (again.status_code, again.json()["version"]) == (200, version)
    assert again.headers["etag"] == f'"{version}"'
    assert count_rows(engine, Change) == changes
    promoted = client.put(url, json={"role": "coordinator"}, headers=key)
    assert promoted.json()["version"] == version + 1


# 4. Credentials in web addresses


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"website": "https://user:pass@evil.example/"}, "website"),
        ({"website": "https://trusted.example@evil.example/"}, "website"),
        (
            {"activities": [{"title": "Project", "url": "https://u:p@cordis.example/p/1"}]},
            "activities.0.url",
        ),
    ],
)
def test_a_web_address_with_a_user_or_password_is_422(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    """Registering or editing a profile refuses user:password@ links, as webhooks do."""
    problem = assert_problem(
        client.post("/organisations", json={**ONCOLOGY_SME, **body}), 422, field
    )
    assert problem["errors"][0]["message"] == (
        "Must not hold a user name or password (user:password@)."
    )
    organisation = create_organisation(client)
    patched = client.patch(f"/organisations/{organisation['id']}", json=body)
    assert_problem(patched, 422, field)
    kept = client.post("/organisations", json={**ONCOLOGY_SME, "website": "evil.example/a@b"})
    assert kept.json()["website"] == "https://evil.example/a@b"


# 5. Problem titles and bodies that cannot be read


@pytest.mark.sqlite_only
def test_every_problem_of_a_status_has_the_same_title(client: TestClient) -> None:
    """An unknown route and a missing resource are both "Not Found"; bad JSON "Bad Request"."""
    missing_route = assert_problem(client.get("/no-such-route"), 404)
    missing_call = assert_problem(client.get("/calls/404"), 404)
    assert missing_route["title"] == missing_call["title"] == "Not Found"
    not_json = client.post(
        "/organisations", content="{bad", headers={"Content-Type": "application/json"}
    )
    not_utf8 = client.post(
        "/organisations", content=b"\xff{", headers={"Content-Type": "application/json"}
    )
    assert assert_problem(not_json, 400)["title"] == "Bad Request"
    assert assert_problem(not_utf8, 400)["title"] == "Bad Request"


@pytest.mark.sqlite_only
def test_an_unknown_address_or_method_is_explained_not_just_titled(client: TestClient) -> None:
    """The detail of a 404 for an address no route has, and of a 405, says what went wrong
    with this request instead of repeating the title."""
    missing = assert_problem(client.get("/calls/1/suggestion"), 404)
    assert missing["detail"] == (
        "There is nothing at /calls/1/suggestion; /docs lists every address of the API."
    )
    not_allowed = assert_problem(client.put("/programmes"), 405)
    assert not_allowed["detail"] == "PUT is not allowed at /programmes: it takes GET, HEAD."
    missing_call = assert_problem(client.get("/calls/404"), 404)
    assert missing_call["detail"] == "No call with id 404."
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]
    assert "the same for every occurrence" in schema["properties"]["title"]["description"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_a_body_nested_too_deeply_is_400_saying_so_with_the_limit(
    client: TestClient, depth: int
) -> None:
    """Valid JSON nested past the limit is refused as too deep, not as unreadable."""
    body = "[" * depth + "]" * depth
    response = client.post("/search", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 400)
    assert problem["detail"] == (
        f"The request body nests arrays and objects {depth} levels deep; at most "
        f"{MAX_JSON_DEPTH} are accepted."
    )
    assert problem["title"] == "Bad Request"


@pytest.mark.sqlite_only
def test_a_body_nested_up_to_the_limit_is_read(client: TestClient) -> None:
    """Depth alone is no error up to the limit (brackets inside strings do not count)."""
    nested: Any = "[[[[" * 40
    for _ in range(MAX_JSON_DEPTH - 2):
        nested = [nested]
    response = client.post(
        "/search",
        content=json.dumps({"text": "liquid biopsy", "country": nested}),
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 422, "country.0")


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", json.dumps({"text": "liquid biopsy"})),
        ("application/x-www-form-urlencoded", "text=liquid+biopsy"),
        (None, json.dumps({"text": "liquid biopsy"})),
    ],
)
def test_a_body_not_sent_as_json_is_415(
    client: TestClient, content_type: str | None, content: str
) -> None:
    """JSON sent as text or a form is an unsupported media type, not a field error."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/search", content=content.encode(), headers=headers)
    problem = assert_problem(response, 415)
    assert problem["title"] == "Unsupported Media Type"
    assert problem["detail"] == (
        f"The request body must be JSON sent as application/json, not {content_type}."
        if content_type
        else "The request body must be JSON sent as application/json; it came without a "
        "Content-Type."
    )
    assert response.headers["accept"] == "application/json"
    documented = client.get("/openapi.json").json()["paths"]["/search"]["post"]["responses"]
    assert documented["415"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


# 6. HEAD, and 204 without Content-Type


@pytest.mark.sqlite_only
def test_head_answers_as_get_without_the_body(client: TestClient) -> None:
    """Same status and headers as GET, no body, wherever GET is answered."""
    ids = _corpus(client)
    for path in (
        "/calls",
        f"/calls/{ids['call']}",
        f"/calls/{ids['call']}/suggestions",
        "/openapi.json",
        "/health",
        "/calls/404",
    ):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "content-length", "etag"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
    not_allowed = assert_problem(client.post(f"/calls/{ids['call']}"), 405)
    assert not_allowed["title"] == "Method Not Allowed"
    allow = client.post(f"/calls/{ids['call']}").headers["allow"]
    assert allow == "GET, HEAD, PATCH, DELETE"
    assert client.head("/search").headers["allow"] == "POST"


@pytest.mark.sqlite_only
def test_a_204_answer_has_no_content_type(client: TestClient) -> None:
    """No body, nothing to describe."""
    call = create_call(client)
    deleted = client.delete(f"/calls/{call['id']}")
    assert deleted.status_code == 204
    assert "content-type" not in deleted.headers
    assert deleted.content == b""


@pytest.mark.sqlite_only
def test_head_and_204_through_a_real_server(database_url: str, engine: Engine) -> None:
    """Through uvicorn, HEAD keeps GET's length without a body, and 204 has no Content-Type;
    the connection serves the next request."""
    with uvicorn_server(database_url) as server:
        call = server.post("/calls", json={**CANCER_CALL, "identifier": "HEAD-1"}).json()
        get = server.get(f"/calls/{call['id']}")
        head = server.head(f"/calls/{call['id']}")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == get.headers["content-length"]
        deleted = server.delete(f"/calls/{call['id']}")
        assert deleted.status_code == 204
        assert "content-type" not in deleted.headers
        assert server.get("/calls").status_code == 200


# 7. The documented suggestion


@pytest.mark.sqlite_only
def test_the_documented_suggestion_reads_like_a_real_one(client: TestClient) -> None:
    """Its text factor is cosine ** text coefficient and its reasons are real sentences."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    example = schemas["Suggestion"]["examples"][0]
    assert example == suggestion_example()
    text = example["reasons"][0]
    assert text["signal"] == "text_similarity"
    assert text["factor"] == round(text["value"] ** Weights.fitted().text, 6)
    assert text["detail"] == "Shares liquid biopsy, ctdna, methylation with the call"
    assert [reason["detail"] for reason in example["reasons"][1:]] == [
        "Lists 6 past projects or activities",
        'Took part in 1 similar past project: "ctDNA screening in colorectal cancer"',
    ]
    assert schemas["Reason"]["examples"] == [text] == [ex.REASON]


@pytest.mark.sqlite_only
def test_the_documented_suggestion_matches_a_real_answer_in_form(client: TestClient) -> None:
    """A real suggestion's reasons read as the example's do (same signals, same wording)."""
    ids = _corpus(client)
    real = client.get(f"/calls/{ids['call']}/suggestions").json()["items"][0]
    text = real["reasons"][0]
    assert text["detail"].startswith("Shares ")
    assert text["detail"].endswith(" with the call")
    assert text["factor"] == pytest.approx(text["value"] ** Weights.fitted().text, abs=1e-6)
    example = suggestion_example()
    assert [r["signal"] for r in real["reasons"][:2]] == [
        r["signal"] for r in example["reasons"][:2]
    ]


# 8. available


def test_available_counts_the_organisations_passing_the_filters_everywhere(
    client: TestClient,
) -> None:
    """Search fills `available` as suggestions do; it counts the filtered organisations,
    listed or not (without a type, those sharing no term are not listed)."""
    ids = _corpus(client)
    suggestions = f"/calls/{ids['call']}/suggestions"
    text = {"text": CANCER_CALL["description"]}
    for filters, available in (
        ({"stakeholder_type": ["sme"]}, 2),
        ({"stakeholder_type": ["regulator"]}, 1),
        ({"country": ["MT"]}, 1),
        ({}, 4),
    ):
        by_call = client.get(suggestions, params=filters).json()
        by_text = client.post("/search", json={**text, **filters}).json()
        assert by_call["available"] == by_text["available"] == available, filters
    typed = client.post("/search", json={**text, "stakeholder_type": ["regulator"]}).json()
    assert _ids(typed) == [ids["regulator"]]
    maltese = client.post("/search", json={**text, "country": ["MT"]}).json()
    assert (maltese["available"], maltese["items"]) == (1, [])
    similar = client.get(f"/organisations/{ids['sme']}/similar").json()
    assert similar["available"] == 3  # every other organisation


# 9. offset


def test_offset_pages_through_suggestions_similar_and_fitting_calls(client: TestClient) -> None:
    """offset skips the best results; the pages join up into the whole ranking."""
    ids = _corpus(client)
    for second in ("IHI-2024-07-02", "IHI-2024-07-03"):
        create_call(client, **{**CANCER_CALL, "identifier": second})
    for path, key in (
        (f"/calls/{ids['call']}/suggestions?stakeholder_type=sme", "organisation"),
        (f"/organisations/{ids['sme']}/similar", "organisation"),
        (f"/organisations/{ids['sme']}/calls", "call"),
    ):
        whole = [item[key]["id"] for item in client.get(path).json()["items"]]
        assert len(whole) >= 2, path
        sep = "&" if "?" in path else "?"
        pages = [
            item[key]["id"]
            for offset in range(len(whole))
            for item in client.get(f"{path}{sep}limit=1&offset={offset}").json()["items"]
        ]
        assert pages == whole, path
        beyond = client.get(f"{path}{sep}offset={len(whole)}").json()["items"]
        assert beyond == [], path
        assert_problem(client.get(f"{path}{sep}offset=1001"), 422, "query.offset")


def test_offset_pages_through_search(client: TestClient) -> None:
    """POST /search takes `offset` in its body, as suggestions take it in the query: the pages
    join up into the whole ranking, past its end is empty, and 1001 is refused."""
    _corpus(client)
    body = {"text": CANCER_CALL["description"], "stakeholder_type": ["sme"]}
    whole = [
        item["organisation"]["id"] for item in client.post("/search", json=body).json()["items"]
    ]
    assert len(whole) == 2
    pages = [
        item["organisation"]["id"]
        for offset in range(len(whole))
        for item in client.post("/search", json={**body, "limit": 1, "offset": offset}).json()[
            "items"
        ]
    ]
    assert pages == whole
    beyond = client.post("/search", json={**body, "offset": len(whole)}).json()
    assert (beyond["items"], beyond["available"]) == ([], 2)
    for offset in (-1, 1001):
        assert_problem(client.post("/search", json={**body, "offset": offset}), 422, "offset")


# 10. Small things


@pytest.mark.sqlite_only
def test_an_admin_key_for_an_organisation_is_refused_in_good_english(client: TestClient) -> None:
    """ "An admin key", not "A admin key"."""
    organisation = create_organisation(client)
    for role, article in (("admin", "An"), ("publisher", "A")):
        response = client.post(
            "/admin/keys", json={"role": role, "organisation_id": organisation["id"]}
        )
        problem = assert_problem(response, 422, "organisation_id")
        message = f"{article} {role} key belongs to no organisation."
        assert problem["errors"][0]["message"] == message


def test_the_readme_documents_sorting_calls_by_relevance() -> None:
    """Both sort orders besides the default of GET /calls are in the README."""
    with open("README.md", encoding="utf-8") as readme:
        text = " ".join(readme.read().split())  # wherever the lines wrap
    assert "with `sort=deadline`" in text
    assert "with `sort=relevance` best match of `q` first" in text


# 11. Real answers as the document declares them


def _template(document: dict[str, Any], method: str, path: str) -> str:
    """The document's path that an address of this method falls under (`/inbox/blocks`
    before `/inbox/{...}`: the fewest parameters first)."""
    for template in sorted(document["paths"], key=lambda template: template.count("{")):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if method in document["paths"][template] and re.match(pattern, path):
            return template
    raise AssertionError(f"{method.upper()} {path} is not in the document")


def _missing(body: Any, schema: dict[str, Any], schemas: dict[str, Any], at: str) -> list[str]:
    """The required fields a body leaves out, anywhere in it ([] when it has them all)."""
    if "$ref" in schema:
        return _missing(body, schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, at)
    if "anyOf" in schema:
        tries = [_missing(body, branch, schemas, at) for branch in schema["anyOf"]]
        return min(tries, key=len)
    if schema.get("type") == "null":
        return [] if body is None else [f"{at} is not null"]
    if isinstance(body, list) and "items" in schema:
        return [
            gap
            for i, item in enumerate(body)
            for gap in _missing(item, schema["items"], schemas, f"{at}/{i}")
        ]
    if isinstance(body, dict) and "properties" in schema:
        gaps = [f"{at}/{name}" for name in schema.get("required", []) if name not in body]
        return gaps + [
            gap
            for name, part in schema["properties"].items()
            if name in body
            for gap in _missing(body[name], part, schemas, f"{at}/{name}")
        ]
    return []


def _as_documented(document: dict[str, Any], response: Any) -> Any:
    """Check one real answer against its operation in the document: its status, content type,
    required fields, and the headers a client reads (declared exactly when sent); its body."""
    method = response.request.method.lower()
    path = response.request.url.path
    operation = document["paths"][_template(document, method, path)][method]
    where = f"{method.upper()} {path} {response.status_code}"
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{where} is not documented: {response.text[:300]}"
    headers = declared.get("headers", {})
    # A page (an e-mailed link's) sends `Cache-Control: no-store` as every private page does
    # (`api.web.templating`); an API answer sends it only where the document declares it.
    page = response.headers.get("content-type", "").startswith("text/html")
    for name in ("ETag", "Location") if page else ("ETag", "Location", "Cache-Control"):
        assert (name in headers) == (name.lower() in response.headers), (where, name)
    if "location" in response.headers:
        _template(document, "get", response.headers["location"])
    content = declared.get("content", {})
    if not response.content:
        return None
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in content, (where, media_type, list(content))
    if not media_type.endswith("json"):
        return response.text
    body = response.json()
    schemas = document["components"]["schemas"]
    assert _missing(body, content[media_type]["schema"], schemas, "") == [], where
    return body


def test_an_integrators_walk_meets_only_documented_answers(
    client: TestClient, anonymous: TestClient
) -> None:
    """Registering, reading and editing profiles, a call, matching, a draft and its members,
    gaps and rules, a partner request answered and accepted, the inbox, an export, a saved
    search, a bad unsubscribe link and deletes: every answer, errors included, is one the
    document declares, with its content type, every required field and its headers."""
    document = client.get("/openapi.json").json()

    def answer(response: Any, status: int) -> Any:
        assert response.status_code == status, response.text
        return _as_documented(document, response)

    first = answer(client.post("/organisations", json=ONCOLOGY_LAB), 201)
    second = answer(anonymous.post("/organisations", json=ONCOLOGY_PATIENTS), 201)
    lab = sharing(client, bearer(first["api_key"]))
    patients = sharing(client, bearer(second["api_key"]))
    profile = f"/organisations/{first['id']}"
    answer(anonymous.get(profile), 200)
    read = lab.get(profile)
    answer(read, 200)
    edited = lab.patch(profile, json={"city": "Leiden"}, headers={"If-Match": read.headers["etag"]})
    answer(edited, 200)
    answer(lab.patch(profile, json={"city": "Delft"}, headers={"If-Match": '"1"'}), 412)
    answer(patients.patch(profile, json={"city": "Delft"}), 403)
    needs = {"sme": 1, "patient_organisation": 1}
    call_body = {**CANCER_CALL, "deadline": "2099-12-31", "required_stakeholders": needs}
    call = answer(client.post("/calls", json=call_body), 201)
    answer(client.patch(f"/calls/{call['id']}", json={"programme_part": "pillar-2"}), 200)
    answer(anonymous.get("/calls", params={"q": "liquid biopsy", "status": "open"}), 200)
    suggestions = f"/calls/{call['id']}/suggestions"
    answer(anonymous.get(suggestions, params={"stakeholder_type": "sme", "limit": 1}), 200)
    answer(anonymous.post("/search", json={"text": "liquid biopsy", "offset": 1}), 200)
    answer(anonymous.post("/search", json={"text": " "}), 422)
    answer(anonymous.post(f"/calls/{call['id']}/consortium", json={"alternatives": 1}), 200)
    answer(anonymous.get(f"{profile}/similar"), 200)
    answer(anonymous.get(f"{profile}/calls"), 200)
    draft = answer(lab.post("/consortia", json={"name": "LB-EU", "call_id": call["id"]}), 201)
    consortium = f"/consortia/{draft['id']}"
    answer(lab.put(f"{consortium}/members/{first['id']}", json={"role": "coordinator"}), 200)
    answer(lab.put(f"{consortium}/members/{second['id']}", json={"role": "partner"}), 200)
    answer(lab.get(suggestions, params={"missing_for": draft["id"]}), 200)
    answer(lab.delete(f"{consortium}/members/{second['id']}"), 200)
    answer(lab.delete(f"{consortium}/members/{first['id']}"), 409)
    answer(lab.get(f"{consortium}/gaps"), 200)
    answer(lab.get(f"{consortium}/eligibility"), 200)
    answer(patients.get(consortium), 404)
    request = answer(lab.post(f"{consortium}/partner-requests", json={"pitch": "Join us"}), 201)
    answer(anonymous.get(f"/calls/{call['id']}/partner-requests"), 200)
    answer(anonymous.get(f"/organisations/{second['id']}/partner-requests"), 200)
    interest = f"/partner-requests/{request['id']}/interest"
    contact = answer(patients.post(interest, json={"message": "We would join."}), 201)
    answer(lab.get("/inbox", params={"status": "pending"}), 200)
    answer(lab.post(f"/contact-requests/{contact['id']}/accept"), 200)
    answer(patients.get(f"/contact-requests/{contact['id']}"), 200)
    answer(lab.get(f"{profile}/export"), 200)
    saved = answer(
        lab.post(f"{profile}/saved-searches", json={"target": "calls", "text": "biopsy"}), 201
    )
    answer(lab.get(f"{profile}/saved-searches/{saved['id']}"), 200)
    answer(anonymous.get("/rules/countries"), 200)
    answer(anonymous.get("/health"), 200)
    answer(anonymous.get("/unsubscribe/not-a-token"), 404)
    answer(anonymous.post("/unsubscribe/not-a-token"), 404)
    answer(lab.delete(f"{profile}/saved-searches/{saved['id']}"), 204)
    answer(lab.delete(f"/partner-requests/{request['id']}"), 204)
    answer(lab.delete(consortium), 204)
    answer(client.delete(f"/calls/{call['id']}"), 204)
    answer(patients.delete(f"/organisations/{second['id']}"), 204)
    answer(client.get(f"/organisations/{second['id']}"), 404)


def test_a_rate_limited_answer_says_when_to_retry_as_documented(database_url: str) -> None:
    """Past the write limit the 429 carries Retry-After, in seconds, which the document
    declares as a required header of every 429."""
    with TestClient(
        create_app(settings_for(database_url, write_rate_limit=1)), raise_server_exceptions=False
    ) as anonymous:
        document = anonymous.get("/openapi.json").json()
        for status in (201, 429):
            response = anonymous.post("/organisations", json=ONCOLOGY_LAB)
            assert response.status_code == status
        _as_documented(document, response)
        assert int(response.headers["retry-after"]) > 0
        declared = document["paths"]["/organisations"]["post"]["responses"]["429"]["headers"]
        assert declared["Retry-After"]["required"] is True


@pytest.mark.sqlite_only
def test_every_documented_example_holds_every_field_its_schema_requires(
    anonymous: TestClient,
) -> None:
    """FastAPI writes the document without any null, examples included: the examples are put
    back as written, so each one shows every field its schema requires, null ones too."""
    document = anonymous.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    gaps = {
        f"{method.upper()} {path} {status}": missing
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, answer in operation["responses"].items()
        for media_type, media in answer.get("content", {}).items()
        if "example" in media and media_type.endswith("json")
        if (missing := _missing(media["example"], media["schema"], schemas, ""))
    } | {
        name: missing
        for name, schema in schemas.items()
        for example in schema.get("examples", [])
        if (missing := _missing(example, schema, schemas, ""))
    }
    assert gaps == {}
    interest = document["paths"]["/partner-requests/{request_id}/interest"]["post"]
    example = interest["responses"]["201"]["content"]["application/json"]["example"]
    assert (example["consortium_id"], example["counterpart"]["type_verified"]) == (None, False)
    table = document["paths"]["/rules/countries"]["get"]["responses"]["200"]["content"]
    assert table["application/json"]["example"] == ex.COUNTRY_STATUS_TABLE


@pytest.mark.sqlite_only
def test_lists_link_their_first_previous_next_and_last_pages(client: TestClient) -> None:
    """A page of a list carries a `Link` header (RFC 8288) to the first, previous, next and last
    pages, keeping the request's filters; following `next` reads the page after (a client had
    to compute offsets from `total` itself)."""
    ids = [
        create_call(client, identifier=f"LINK-{n}", opening_date=None, deadline="2099-01-31")["id"]
        for n in range(5)
    ]
    middle = client.get("/calls", params={"status": "open", "limit": 2, "offset": 2})
    assert middle.status_code == 200, middle.text
    assert {rel: link["url"] for rel, link in middle.links.items()} == {
        "first": "/calls?status=open&limit=2&offset=0",
        "prev": "/calls?status=open&limit=2&offset=0",
        "next": "/calls?status=open&limit=2&offset=4",
        "last": "/calls?status=open&limit=2&offset=4",
    }
    assert [item["id"] for item in middle.json()["items"]] == ids[2:4]
    last = client.get(middle.links["next"]["url"])
    assert [item["id"] for item in last.json()["items"]] == ids[4:]
    assert set(last.links) == {"first", "prev", "last"}
    assert last.links["prev"]["url"] == "/calls?status=open&limit=2&offset=2"
    first = client.get("/calls", params={"limit": 50})
    assert set(first.links) == {"first", "last"}
    assert first.links["last"]["url"] == "/calls?limit=50&offset=0"
    document = client.get("/openapi.json").json()
    paged = [
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation["responses"]
        .get("200", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("$ref", "")
        .startswith("#/components/schemas/Page_")
    ]
    assert len(paged) == 10
    for method, path in paged:
        headers = document["paths"][path][method]["responses"]["200"]["headers"]
        assert headers["Link"]["required"] is True, (method, path)


@pytest.mark.sqlite_only
def test_a_browser_on_an_allowed_origin_may_call_the_api_and_read_its_headers(
    database_url: str, client: TestClient
) -> None:
    """With MATCHMAKER_CORS_ORIGINS set, a preflight from a listed origin is answered with the
    methods and headers a script needs, and answers (a refusal too) let it read ETag and
    Retry-After; another origin gets no permission. Unset, no answer grants any."""
    portal = "https://portal.example"
    settings = settings_for(database_url, cors_origins=f"{portal}, https://other.example")
    with TestClient(create_app(settings), raise_server_exceptions=False) as browser:
        preflight = browser.options(
            "/organisations/1",
            headers={
                "Origin": portal,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, if-match, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == portal
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "if-match", "content-type"} <= set(allowed.split(", "))
        created = browser.post("/organisations", json=ONCOLOGY_LAB, headers={"Origin": portal})
        assert created.headers["access-control-allow-origin"] == portal
        exposed = created.headers["access-control-expose-headers"].split(", ")
        assert {"ETag", "Location", "Retry-After"} <= set(exposed)
        refused = browser.get("/organisations/abc", headers={"Origin": portal})
        assert (refused.status_code, refused.headers["access-control-allow-origin"]) == (
            422,
            portal,
        )
        stranger = browser.get("/calls", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers
    unset = client.get("/calls", headers={"Origin": portal})
    assert "access-control-allow-origin" not in unset.headers
    assert client.options("/calls", headers={"Origin": portal}).status_code == 405
