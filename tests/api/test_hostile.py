"""Hostile callers (issue 15): each hole found by trying to break a running server, and its
siblings. Every test runs on SQLite and PostgreSQL; those about connections use real uvicorn."""

import http.client
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.main import create_app
from matchmaker import db
from matchmaker.keys import MAX_ACTIVE_KEYS
from matchmaker.repository import create_many
from matchmaker.settings import Settings
from models.apikey import ApiKey
from models.change import Entity
from models.consortium import MAX_MEMBERS, ConsortiumMember, Role
from models.organisation import Organisation
from tests.factories import call_payload, create_call, create_organisation, organisation_payload
from tests.helpers import assert_problem, bearer, count_rows
from tests.servers import ADMIN_TOKEN, serving, uvicorn_server

TOO_BIG = [2**31, 99999999999999999999]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TEMPLATES = Path(__file__).parents[2] / "api" / "web" / "templates"


@contextmanager
def kept_alive(base_url: str) -> Iterator[http.client.HTTPConnection]:
    """One HTTP/1.1 connection to a real server, kept alive between requests."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request on the kept-alive connection and read the whole answer."""
    connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
    response = connection.getresponse()
    payload = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


# --- 1. integers out of the database's range -------------------------------------------------

OUT_OF_RANGE: list[tuple[str, str, Any, str]] = [
    ("GET", "/calls/{call}/suggestions?missing_for={n}", None, "query.missing_for"),
    ("GET", "/consortia?call_id={n}", None, "query.call_id"),
    ("GET", "/consortia?call_id=0", None, "query.call_id"),
    ("GET", "/ui/drafts/panel?call_id={n}", None, "query.call_id"),
    ("GET", "/calls?offset={n}", None, "query.offset"),
    ("GET", "/calls?limit={n}", None, "query.limit"),
    ("GET", "/calls/{n}", None, "path.call_id"),
    ("GET", "/organisations/{n}/similar", None, "path.organisation_id"),
    ("PUT", "/consortia/{n}/members/1", None, "path.consortium_id"),
    ("POST", "/consortia", {"name": "D", "call_id": "{n}"}, "call_id"),
    (
        "POST",
        "/consortia",
        {"name": "D", "call_id": 1, "members": [{"organisation_id": "{n}"}]},
        "members.0.organisation_id",
    ),
    ("POST", "/calls/{call}/consortium", {"include": ["{n}"]}, "include.0"),
    ("POST", "/calls/{call}/consortium", {"exclude": ["{n}"]}, "exclude.0"),
    ("POST", "/admin/keys", {"role": "organisation", "organisation_id": "{n}"}, "organisation_id"),
    ("PATCH", "/calls/{call}", {"min_countries": "{n}"}, "min_countries"),
    ("PATCH", "/calls/{call}", {"max_partners": "{n}"}, "max_partners"),
    ("POST", "/search", {"text": "oncology", "limit": "{n}"}, "limit"),
    (
        "PATCH",
        "/organisations/{org}",
        {"activities": [{"title": "T", "year": "{n}"}]},
        "activities.0.year",
    ),
]


def _fill(value: Any, numbers: dict[str, int]) -> Any:
    """The body or URL with {n}, {call} and {org} replaced (numbers stay numbers in bodies)."""
    if isinstance(value, str):
        if value == "{n}":
            return numbers["n"]
        return value.format(**numbers)
    if isinstance(value, list):
        return [_fill(item, numbers) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, numbers) for key, item in value.items()}
    return value


@pytest.mark.parametrize("number", TOO_BIG)
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    OUT_OF_RANGE,
    ids=[f"{method} {path} {field}" for method, path, _, field in OUT_OF_RANGE],
)
def test_integers_beyond_the_database_range_are_422(
    client: TestClient,
    method: str,
    path: str,
    body: Any,
    field: str,
    number: int,
) -> None:
    """Every integer in a path, query or body is bounded: 422 naming it, never a 500."""
    call = create_call(client)
    organisation = create_organisation(client)
    numbers = {"n": number, "call": call["id"], "org": organisation["id"]}
    response = client.request(
        method, _fill(path, numbers), json=_fill(body, numbers), headers=ADMIN
    )
    assert_problem(response, 422, field)


def test_a_huge_if_match_is_a_stale_version_not_a_server_error(client: TestClient) -> None:
    """An If-Match too long to be any version is 412, not Python's int-size ValueError."""
    call = create_call(client)
    for tag in ('"' + "9" * 5000 + '"', '"2147483648"'):
        response = client.patch(
            f"/calls/{call['id']}", json={"title": "X"}, headers={"If-Match": tag}
        )
        assert_problem(response, 412)


def test_out_of_range_id_on_a_real_server_keeps_the_connection(
    database_url: str, engine: Engine
) -> None:
    """Through uvicorn: the anonymous 500 of the issue is a 422, and the connection lives on."""
    with uvicorn_server(database_url) as server, kept_alive(str(server.base_url)) as connection:
        created = server.post("/calls", json=call_payload()).json()
        status, _, _ = exchange(connection, "GET", "/health")
        assert status == 200
        port = connection.sock.getsockname()[1]
        for path in (
            f"/calls/{created['id']}/suggestions?missing_for=99999999999999999999",
            "/consortia?call_id=2147483648",
        ):
            status, headers, _ = exchange(connection, "GET", path)
            assert status in (401, 422), path
            assert headers.get("connection") != "close"
        status, _, _ = exchange(connection, "GET", "/health")
        assert status == 200
        assert connection.sock.getsockname()[1] == port


def test_an_unexpected_error_is_a_problem_and_keeps_the_connection(settings: Settings) -> None:
    """A bug's 500 is a problem document, and the kept-alive connection still serves the next."""
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    with serving(app) as base_url, kept_alive(base_url) as connection:
        status, headers, payload = exchange(connection, "GET", "/boom")
        assert status == 500
        assert headers["content-type"] == "application/problem+json"
        assert b"OverflowError" not in payload
        port = connection.sock.getsockname()[1]
        status, _, _ = exchange(connection, "GET", "/health")
        assert status == 200
        assert connection.sock.getsockname()[1] == port


# --- 2. lengths checked after Unicode normalisation -------------------------------------------

# U+1D160 (a musical note) is excluded from composition: NFC turns it into three code points.
NOTE = "\U0001d160"


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("name", NOTE * 300, "name"),
        ("city", NOTE * 200, "city"),
        ("description", NOTE * 6_667, "description"),
        ("keywords", [NOTE * 100], "keywords.0"),
        ("activities", [{"title": NOTE * 500}], "activities.0.title"),
        ("activities", [{"title": "T", "summary": NOTE * 5_000}], "activities.0.summary"),
    ],
)
def test_lengths_are_checked_after_normalisation(
    anonymous: TestClient, engine: Engine, field: str, value: Any, where: str
) -> None:
    """A value within the limit only before NFC is 422 for anyone, never stored, never a 500."""
    response = anonymous.post("/organisations", json=organisation_payload(**{field: value}))
    assert_problem(response, 422, where)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM organisations")).scalar() == 0


def test_a_value_that_fits_after_normalisation_is_stored_normalised(anonymous: TestClient) -> None:
    """100 notes are 300 code points once normalised: accepted, stored as exactly that."""
    body = create_organisation(anonymous, name=NOTE * 100)
    assert len(body["name"]) == 300
    assert anonymous.get(f"/organisations/{body['id']}").json()["name"] == body["name"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/calls", call_payload(title=NOTE * 500), "title"),
        ("/calls", call_payload(programme=NOTE * 100), "programme"),
        ("/admin/keys", {"role": "coordinator", "label": NOTE * 200}, "label"),
        ("/search", {"text": NOTE * 16_667}, "text"),
    ],
)
def test_other_text_fields_check_length_after_normalisation(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    """Calls, key labels and searches obey the same rule."""
    assert_problem(client.post(path, json=body), 422, field)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "field"),
    [("/organisations", "q"), ("/calls", "q"), ("/calls", "programme")],
)
def test_query_text_is_checked_after_normalisation(
    client: TestClient, path: str, field: str
) -> None:
    """A query-string word list is also bounded after NFC."""
    where = "query.programme.0" if field == "programme" else f"query.{field}"
    assert_problem(client.get(path, params={field: NOTE * 70}), 422, where)


@pytest.mark.sqlite_only
def test_a_website_that_grows_when_encoded_is_refused(anonymous: TestClient) -> None:
    """A URL under 500 characters that percent-encoding makes longer than the column is 422."""
    website = "https://example.org/" + "é" * 200
    response = anonymous.post("/organisations", json=organisation_payload(website=website))
    assert_problem(response, 422, "website")


# --- 3. every draft has an owner; lists filter by an explicit rule -----------------------------


def _draft(client: TestClient, token: str, call_id: int, **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/consortia",
        json={"name": "Secret plan", "call_id": call_id, **extra},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_only_an_organisation_key_creates_a_draft(client: TestClient) -> None:
    """An admin or coordinator has no organisation to own a draft: 403, nothing stored."""
    call = create_call(client)
    coordinator = client.post("/admin/keys", json={"role": "coordinator"}).json()["token"]
    for token in (ADMIN_TOKEN, coordinator):
        response = client.post(
            "/consortia", json={"name": "Nobody's", "call_id": call["id"]}, headers=bearer(token)
        )
        assert_problem(response, 403)
    assert client.get("/consortia").json()["total"] == 0


def test_a_coordinator_lists_no_drafts(client: TestClient, anonymous: TestClient) -> None:
    """A key with no organisation owns no draft: its lists are empty, the panel names none."""
    call = create_call(client)
    owner = create_organisation(client, name="Owner")
    _draft(client, owner["api_key"], call["id"], members=[{"organisation_id": owner["id"]}])
    coordinator = client.post("/admin/keys", json={"role": "coordinator"}).json()["token"]
    listing = anonymous.get("/consortia", headers=bearer(coordinator)).json()
    assert (listing["total"], listing["items"]) == (0, [])
    for params in ({}, {"call_id": call["id"]}):
        panel = anonymous.get("/ui/drafts/panel", params=params, headers=bearer(coordinator))
        assert panel.status_code == 200
        assert "Secret plan" not in panel.text
    assert client.get("/consortia").json()["total"] == 1


# --- 4. an Authorization header that is not a bearer token is 401 ------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "value",
    ["Basic dXNlcjpwYXNz", "mm_abc_def", "Bearer", "Bearer ", "Token abc", "", "Bearer a b"],
)
def test_an_authorization_that_is_not_a_bearer_token_is_401(
    anonymous: TestClient, value: str
) -> None:
    """No scheme, another scheme or an empty token never runs as anonymous."""
    response = anonymous.get("/organisations", headers={"Authorization": value})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.sqlite_only
def test_two_authorization_headers_are_401(client: TestClient, anonymous: TestClient) -> None:
    """Two credentials are ambiguous, even when one of them is valid."""
    headers = [("Authorization", f"Bearer {ADMIN_TOKEN}"), ("Authorization", "Basic eDp5")]
    response = anonymous.get("/organisations", headers=headers)
    assert_problem(response, 401)


@pytest.mark.sqlite_only
def test_the_bearer_scheme_is_case_insensitive(anonymous: TestClient) -> None:
    """RFC 9110: the scheme's case does not matter."""
    response = anonymous.get("/admin/keys", headers={"Authorization": f"bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200


# --- 5. an export leaves other owners' drafts out ---------------------------------------------


def test_export_leaves_out_drafts_other_organisations_own(
    client: TestClient, anonymous: TestClient
) -> None:
    """B's draft listing A stays B's secret: A's export shows only the drafts A owns."""
    call = create_call(client)
    a = create_organisation(client, name="A")
    b = create_organisation(client, name="B")
    theirs = _draft(client, b["api_key"], call["id"], members=[{"organisation_id": a["id"]}])
    mine = _draft(client, a["api_key"], call["id"], members=[{"organisation_id": a["id"]}])
    export = anonymous.get(f"/organisations/{a['id']}/export", headers=bearer(a["api_key"]))
    body = export.json()
    assert [draft["id"] for draft in body["consortia_owned"]] == [mine["id"]]
    assert [m["consortium_id"] for m in body["consortia_member_of"]] == [mine["id"]]
    assert str(theirs["id"]) not in {str(m["consortium_id"]) for m in body["consortia_member_of"]}
    assert_problem(anonymous.get(f"/consortia/{theirs['id']}", headers=bearer(a["api_key"])), 404)


# --- 6. the write limit counts per organisation and per address, across processes -------------


def _limited(settings: Settings, per_minute: int, address: str) -> TestClient:
    app = create_app(settings.model_copy(update={"write_rate_limit": per_minute}))
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_a_second_key_shares_its_organisations_write_budget(
    settings: Settings, engine: Engine
) -> None:
    """Minting keys buys no writes: each key writes from its own address, the 4th write is 429."""
    with _limited(settings, 3, "10.0.0.1") as first:
        organisation = first.post("/organisations", json=organisation_payload()).json()
        url = f"/organisations/{organisation['id']}"
        key = bearer(organisation["api_key"])
        assert first.post(f"{url}/keys", headers=key).status_code == 201  # write 1
        second_key = first.post(f"{url}/keys", headers=key).json()["token"]  # write 2
        other = TestClient(first.app, raise_server_exceptions=False, client=("10.0.0.2", 1))
        other.portal = first.portal
        statuses = [
            other.patch(url, json={"city": f"C{i}"}, headers=bearer(second_key)).status_code
            for i in range(2)
        ]
        assert statuses == [200, 429]
        refused = other.patch(url, json={"city": "X"}, headers=bearer(second_key))
        assert_problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1


def test_anonymous_registrations_share_their_address_budget(
    settings: Settings, engine: Engine
) -> None:
    """Registering organisations buys no writes either: the address's budget covers them all."""
    with _limited(settings, 3, "10.0.0.3") as anonymous:
        created = [anonymous.post("/organisations", json=organisation_payload()) for _ in range(2)]
        assert [response.status_code for response in created] == [201, 201]
        fresh = bearer(created[1].json()["api_key"])
        url = f"/organisations/{created[1].json()['id']}"
        assert anonymous.patch(url, json={"city": "A"}, headers=fresh).status_code == 200
        assert_problem(anonymous.patch(url, json={"city": "B"}, headers=fresh), 429)
        assert_problem(anonymous.post("/organisations", json=organisation_payload()), 429)
        elsewhere = TestClient(anonymous.app, raise_server_exceptions=False, client=("10.0.0.4", 1))
        elsewhere.portal = anonymous.portal
        assert elsewhere.post("/organisations", json=organisation_payload()).status_code == 201
        admin = anonymous.post("/organisations", json=organisation_payload(), headers=ADMIN)
        assert admin.status_code == 201


@pytest.mark.slow
def test_the_write_limit_holds_across_worker_processes(database_url: str, engine: Engine) -> None:
    """Two server processes share one budget: the 4th registration from one address is 429."""
    with (
        uvicorn_server(database_url, MATCHMAKER_WRITE_RATE_LIMIT="3") as one,
        uvicorn_server(database_url, MATCHMAKER_WRITE_RATE_LIMIT="3") as two,
    ):
        statuses = []
        for server in (one, two, one, two, one):
            with httpx.Client(base_url=server.base_url, timeout=30) as anonymous:
                statuses.append(
                    anonymous.post("/organisations", json=organisation_payload()).status_code
                )
    assert statuses == [201, 201, 201, 429, 429]


# --- 7. anonymous callers cannot tell which ids exist --------------------------------------------


def test_existence_is_not_revealed_to_callers_who_may_not_act(
    client: TestClient, anonymous: TestClient
) -> None:
    """No key: 401 whether the id exists or not; another organisation's key on a draft: 404."""
    call = create_call(client)
    owner = create_organisation(client, name="Owner")
    stranger = create_organisation(client, name="Stranger")
    draft = _draft(client, owner["api_key"], call["id"])
    missing = 2**31 - 1
    pairs = [
        ("GET", "/consortia/{}"),
        ("PATCH", "/consortia/{}"),
        ("DELETE", "/consortia/{}"),
        ("GET", "/consortia/{}/gaps"),
        ("PUT", f"/consortia/{{}}/members/{owner['id']}"),
        ("DELETE", f"/consortia/{{}}/members/{owner['id']}"),
        ("GET", f"/calls/{call['id']}/suggestions?missing_for={{}}"),
        ("GET", "/ui/consortia/{}/panel"),
        ("GET", "/ui/consortia/{}/export.csv"),
    ]
    for method, path in pairs:
        body = {"name": "x"} if method == "PATCH" else None
        for token, expected in ((None, 401), (stranger["api_key"], 404)):
            headers = bearer(token) if token else {}
            answers = [
                anonymous.request(method, path.format(i), json=body, headers=headers)
                for i in (draft["id"], missing)
            ]
            assert [a.status_code for a in answers] == [expected, expected], (method, path)
            assert answers[0].json()["detail"] == answers[1].json()["detail"].replace(
                str(missing), str(draft["id"])
            )
    coordinator = client.post("/admin/keys", json={"role": "coordinator"}).json()["token"]
    owner_key = bearer(owner["api_key"])
    for method, path, token_expected in [
        ("DELETE", "/calls/{}", [(None, 401), (owner["api_key"], 403)]),
        ("PATCH", "/calls/{}", [(None, 401), (owner["api_key"], 403)]),
        ("DELETE", "/organisations/{}", [(None, 401), (coordinator, 403)]),
        ("PATCH", "/organisations/{}", [(None, 401), (coordinator, 403)]),
        ("GET", "/organisations/{}/export", [(None, 401), (coordinator, 403)]),
        ("POST", "/organisations/{}/keys", [(None, 401), (coordinator, 403)]),
        ("DELETE", "/admin/keys/{}", [(None, 401), (coordinator, 403)]),
    ]:
        existing = {"/calls/{}": call["id"], "/admin/keys/{}": 1}.get(path, stranger["id"])
        body = {"title": "x"} if path == "/calls/{}" and method == "PATCH" else None
        if path == "/organisations/{}" and method == "PATCH":
            body = {"city": "x"}
        for token, expected in token_expected:
            headers = bearer(token) if token else {}
            statuses = [
                anonymous.request(method, path.format(i), json=body, headers=headers).status_code
                for i in (existing, missing)
            ]
            assert statuses == [expected, expected], (method, path, token)
    assert anonymous.get(f"/consortia/{draft['id']}", headers=owner_key).status_code == 200


# --- 8. every change to a draft's content bumps its version ------------------------------------


def test_a_member_leaving_by_deletion_bumps_the_drafts_version(
    client: TestClient, anonymous: TestClient
) -> None:
    """The draft lost a member: its ETag changes and a write with the old one is 412."""
    call = create_call(client)
    owner = create_organisation(client, name="Owner")
    member = create_organisation(client, name="Member")
    draft = _draft(
        client, owner["api_key"], call["id"], members=[{"organisation_id": member["id"]}]
    )
    assert draft["version"] == 1
    deleted = anonymous.delete(f"/organisations/{member['id']}", headers=bearer(member["api_key"]))
    assert deleted.status_code == 204
    key = bearer(owner["api_key"])
    read = anonymous.get(f"/consortia/{draft['id']}", headers=key)
    assert (read.json()["members"], read.json()["version"], read.headers["etag"]) == ([], 2, '"2"')
    stale = anonymous.patch(
        f"/consortia/{draft['id']}", json={"name": "Renamed"}, headers={**key, "If-Match": '"1"'}
    )
    assert_problem(stale, 412)


# --- 9. one cap on a draft's members, on both paths -------------------------------------------


def test_a_draft_never_grows_past_the_member_cap(client: TestClient, engine: Engine) -> None:
    """POST refuses more than MAX_MEMBERS members, and PUT refuses the one past it."""
    call = create_call(client, max_partners=2, min_countries=2, required_stakeholders={})
    owner = create_organisation(client, name="Owner")
    rows = [
        organisation_payload(name=f"Partner {i}", contact_email=None, activities=[])
        for i in range(MAX_MEMBERS + 1)
    ]
    with Session(engine) as session:
        ids = create_many(session, Organisation, rows, entity=Entity.organisation)
        session.commit()
    members = [{"organisation_id": i} for i in ids]
    too_many = client.post(
        "/consortia",
        json={"name": "Big", "call_id": call["id"], "members": members},
        headers=bearer(owner["api_key"]),
    )
    assert_problem(too_many, 422, "members")
    draft = _draft(client, owner["api_key"], call["id"], members=members[:MAX_MEMBERS])
    response = client.put(f"/consortia/{draft['id']}/members/{ids[-1]}")
    body = assert_problem(response, 409)  # a limit reached, as every other limit is
    assert body["detail"] == f"A draft has at most {MAX_MEMBERS} members; remove one first."
    assert len(client.get(f"/consortia/{draft['id']}").json()["members"]) == MAX_MEMBERS
    assert client.put(f"/consortia/{draft['id']}/members/{ids[0]}").status_code == 200


def test_an_organisation_holds_a_bounded_number_of_keys(anonymous: TestClient) -> None:
    """Keys are the other list a caller grows: past MAX_ACTIVE_KEYS unrevoked ones, 409."""
    organisation = create_organisation(anonymous)
    url = f"/organisations/{organisation['id']}/keys"
    key = bearer(organisation["api_key"])
    issued = [anonymous.post(url, headers=key) for _ in range(MAX_ACTIVE_KEYS - 1)]
    assert {response.status_code for response in issued} == {201}
    assert_problem(anonymous.post(url, headers=key), 409)
    anonymous.delete(f"/admin/keys/{issued[0].json()['id']}", headers=key).raise_for_status()
    assert anonymous.post(url, headers=key).status_code == 201


def test_an_admin_issues_no_organisation_key_past_the_limit(
    client: TestClient, anonymous: TestClient, engine: Engine
) -> None:
    """`POST /admin/keys` counts against the same MAX_ACTIVE_KEYS as the organisation's own
    issuing: past it, 409 saying to revoke one, and no key is stored; other roles are not
    counted, and revoking one makes room again."""
    organisation = create_organisation(anonymous)
    body = {"role": "organisation", "organisation_id": organisation["id"]}
    issued = [client.post("/admin/keys", json=body) for _ in range(MAX_ACTIVE_KEYS - 1)]
    assert {response.status_code for response in issued} == {201}
    before = count_rows(engine, ApiKey)
    refused = assert_problem(client.post("/admin/keys", json=body), 409)
    assert refused["detail"] == (
        f"The organisation already has {MAX_ACTIVE_KEYS} keys that are not revoked; revoke one "
        "(DELETE /admin/keys/{key_id}) before issuing another."
    )
    own = bearer(organisation["api_key"])
    url = f"/organisations/{organisation['id']}/keys"
    assert assert_problem(anonymous.post(url, headers=own), 409)["detail"] == refused["detail"]
    assert assert_problem(client.post(url), 409)["detail"] == refused["detail"]
    assert count_rows(engine, ApiKey) == before
    assert client.post("/admin/keys", json={"role": "publisher"}).status_code == 201
    client.delete(f"/admin/keys/{issued[0].json()['id']}").raise_for_status()
    assert client.post("/admin/keys", json=body).status_code == 201
    assert_problem(client.post("/admin/keys", json=body), 409)


# --- 10. a call that can never be met is refused -----------------------------------------------


def test_a_call_needing_more_countries_than_partners_is_refused(client: TestClient) -> None:
    """Every country needs a partner: min_countries above max_partners is 422, on both verbs,
    naming the field an update sent."""
    assert_problem(
        client.post(
            "/calls", json=call_payload(min_countries=10, max_partners=1, required_stakeholders={})
        ),
        422,
        "min_countries",
    )
    call = create_call(client, min_countries=3, max_partners=5, required_stakeholders={})
    assert_problem(
        client.patch(f"/calls/{call['id']}", json={"max_partners": 2}), 422, "max_partners"
    )
    assert client.patch(f"/calls/{call['id']}", json={"max_partners": 3}).status_code == 200


# --- 11. a chunked body over the limit is 413 ------------------------------------------------


@pytest.mark.sqlite_only
def test_a_chunked_body_over_the_limit_is_413(settings: Settings) -> None:
    """Without a Content-Length the body is counted as it streams: 413, not a parse error."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 1024}))
    chunks = [b'{"text": "', *([b"x" * 500] * 3), b'"}']  # over 1024 bytes, under twice that
    with serving(app) as base_url, kept_alive(base_url) as connection:
        status, headers, payload = exchange(
            connection,
            "POST",
            "/search",
            body=iter(chunks),
            headers={"Content-Type": "application/json"},
            chunked=True,
        )
        assert status == 413, payload
        assert headers["content-type"] == "application/problem+json"
        # The refused body was read to its end, so the connection serves the next request.
        port = connection.sock.getsockname()[1]
        assert exchange(connection, "GET", "/health")[0] == 200
        assert connection.sock.getsockname()[1] == port


@pytest.mark.sqlite_only
def test_a_chunked_body_under_the_limit_is_read(settings: Settings) -> None:
    """The same streamed body, small enough, is answered as usual."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 1024}))
    with serving(app) as base_url, kept_alive(base_url) as connection:
        status, _, payload = exchange(
            connection,
            "POST",
            "/search",
            body=iter([b'{"text": ', b'"oncology"}']),
            headers={"Content-Type": "application/json"},
            chunked=True,
        )
    assert status == 200, payload


# --- 12. call identifiers are case-insensitive ----------------------------------------------


def test_call_identifiers_differing_only_in_case_conflict(client: TestClient) -> None:
    """rt-call-1 is RT-CALL-1: stored upper-case, a second spelling is 409 on create and edit."""
    first = create_call(client, identifier="rt-call-1")
    assert first["identifier"] == "RT-CALL-1"
    assert_problem(client.post("/calls", json=call_payload(identifier="RT-CALL-1")), 409)
    assert_problem(client.post("/calls", json=call_payload(identifier="Rt-Call-1")), 409)
    other = create_call(client, identifier="RT-CALL-2")
    assert_problem(client.patch(f"/calls/{other['id']}", json={"identifier": "rt-call-1"}), 409)
    assert client.get("/calls", params={"q": "rt-call"}).json()["total"] == 2


# --- 13. invisible and direction-changing characters ---------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "name",
    [
        "\u200b",
        "\ufeff",
        "\u200b\u200b ",
        "Evil\u202eCorp",
        "A\u2028B",
        "A\u2029B",
        "\u3164",
        "\u2066x",
    ],
)
def test_invisible_or_direction_changing_names_are_refused(
    anonymous: TestClient, name: str
) -> None:
    """A visually empty name, a bidi override or a line separator in a one-line field is 422."""
    assert_problem(
        anonymous.post("/organisations", json=organisation_payload(name=name)), 422, "name"
    )


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("city", "\u202eLeiden", "city"),
        ("keywords", ["onco\u200blogy"], "keywords.0"),
        ("activities", [{"title": "Trial\u2028two"}], "activities.0.title"),
        ("description", "Oncology \u202eevil", "description"),
    ],
)
def test_other_text_refuses_direction_overrides(
    anonymous: TestClient, field: str, value: Any, where: str
) -> None:
    """The same rule on every line of a profile; descriptions refuse direction overrides."""
    assert_problem(
        anonymous.post("/organisations", json=organisation_payload(**{field: value})), 422, where
    )


def test_names_in_scripts_that_need_joiners_are_accepted(anonymous: TestClient) -> None:
    """Zero-width (non-)joiners are part of Persian, Indic and emoji spelling: kept."""
    for name in (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "\u0915\u094d\u200d\u0937",
        "Lab \U0001f469\u200d\U0001f52c",
    ):
        assert create_organisation(anonymous, name=name)["name"] == name


# --- 14. HTTP details ----------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_an_unknown_page_is_404(anonymous: TestClient) -> None:
    """No catch-all route turns a missing page into 405."""
    for path in ("/ui/no-such-page", "/ui/calls/1/nothing", "/nothing"):
        assert_problem(anonymous.get(path), 404)


@pytest.mark.sqlite_only
def test_405_lists_every_method_the_path_allows(anonymous: TestClient) -> None:
    """Allow names the methods of every route on the path, not only the first route's."""
    for path, allowed in (
        ("/calls", {"GET", "HEAD", "POST"}),
        ("/calls/1", {"GET", "HEAD", "PATCH", "DELETE"}),
        ("/consortia/1/members/1", {"PUT", "DELETE"}),
    ):
        response = anonymous.request("PUT" if path != "/consortia/1/members/1" else "POST", path)
        assert_problem(response, 405)
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed, path


@pytest.mark.sqlite_only
def test_every_form_posts_to_a_page_that_explains_scripts_are_needed(
    anonymous: TestClient,
) -> None:
    """A form sent without the script lands on the explanation (400), never a 404 or 405.

    A form marked `data-no-script` is served by the page itself without the script (the key
    recovery link's button; tests/api/test_key_recovery.py posts it)."""
    actions = set()
    for template in TEMPLATES.glob("*.html"):
        for form in re.findall(r"<form\b[^>]*>", template.read_text()):
            if "data-no-script" in form:
                continue
            if re.search(r'method="post"', form, re.IGNORECASE):
                action = re.search(r'\saction="([^"]+)"', form)
                assert action is not None, form
                actions.add(action.group(1))
    assert actions
    for path in sorted(actions):
        response = anonymous.post(path.replace("{{ organisation.id }}", "1"), data={"x": "1"})
        assert response.status_code == 400, path
        assert "script" in response.text.lower()


# --- the migration that applies rules 3 and 12 to data stored before them ------------------


# The tables as revision efdad51c2a90 has them: the models may have gained columns since.
# Found by schemathesis (`--checks all`, every phase): input the schema calls invalid was
# accepted, input it calls valid was refused for another reason, and validation spoke before
# authorisation.


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/organisations", {"ihi_contributor": 0}, "ihi_contributor"),
        ("/organisations", {"ihi_contributor": "yes"}, "ihi_contributor"),
        ("/calls", {"two_stage": 1}, "two_stage"),
        ("/calls", {"min_countries": True}, "min_countries"),
        ("/calls", {"opening_date": 0}, "opening_date"),
        ("/calls", {"deadline": "2024-03-05T10:00:00"}, "deadline"),
    ],
)
def test_numbers_booleans_and_dates_are_not_coerced(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    """A boolean is true or false, a number is not a boolean, a date is YYYY-MM-DD: 422."""
    payload = organisation_payload() if path == "/organisations" else call_payload()
    assert_problem(client.post(path, json={**payload, **body}), 422, field)


@pytest.mark.sqlite_only
def test_coerced_values_in_other_bodies_and_queries_are_422(client: TestClient) -> None:
    """The siblings: alternatives, a country status's dates, a deadline filter."""
    call = create_call(client)
    response = client.post(f"/calls/{call['id']}/consortium", json={"alternatives": False})
    assert_problem(response, 422, "alternatives")
    row = {"country": "MA", "status": "associated", "source": "Test", "valid_from": 0}
    assert_problem(client.post("/admin/country-statuses", json=row), 422, "valid_from")
    for query in ("deadline_to=0", "deadline_from=20240101", "deadline_to=2024-01-01T00:00"):
        assert_problem(client.get(f"/calls?{query}"), 422)
    assert client.get("/calls?deadline_to=2024-01-01").status_code == 200


@pytest.mark.sqlite_only
def test_null_for_a_field_that_cannot_be_null_is_422_before_if_match(
    client: TestClient, started: TestClient
) -> None:
    """The schema shows a partial update's NOT NULL fields without null; null is 422 naming the
    field, even with a stale If-Match (the input is wrong whatever the version)."""
    call = create_call(client)
    organisation = create_organisation(client)
    stale = {"If-Match": '"99"'}
    assert_problem(
        client.patch(f"/calls/{call['id']}", json={"identifier": None}, headers=stale),
        422,
        "identifier",
    )
    assert_problem(
        client.patch(f"/organisations/{organisation['id']}", json={"name": None}), 422, "name"
    )
    assert client.patch(f"/calls/{call['id']}", json={"programme": None}).status_code == 200
    schemas = started.get("/openapi.json").json()["components"]["schemas"]
    for model, field in (
        ("CallUpdate", "identifier"),
        ("OrganisationUpdate", "name"),
        ("ConsortiumUpdate", "call_id"),
    ):
        shown = schemas[model]["properties"][field]
        assert "null" not in str(shown.get("anyOf", [])), shown
        assert shown.get("type") != "null"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/consortia/0", None),
        ("DELETE", "/partner-requests/0", None),
        ("PATCH", "/organisations/{org}", {"country": ""}),
        ("POST", "/consortia", {"name": ""}),
        ("POST", "/inbox/blocks", {}),
    ],
)
def test_an_operation_that_needs_a_key_says_401_before_judging_the_input(
    client: TestClient, anonymous: TestClient, method: str, path: str, body: Any
) -> None:
    """Without a key, invalid input to an operation that needs one is 401, not 422."""
    organisation = create_organisation(client)
    response = anonymous.request(method, path.format(org=organisation["id"]), json=body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


OLD_CALLS = sa.table(
    "calls",
    sa.column("id", sa.Integer()),
    sa.column("identifier", sa.String()),
    sa.column("title", sa.String()),
    sa.column("description", sa.String()),
    sa.column("min_countries", sa.Integer()),
    sa.column("required_stakeholders", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
OLD_ORGANISATIONS = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("stakeholder_type", sa.String()),
    sa.column("country", sa.String()),
    sa.column("description", sa.String()),
    sa.column("keywords", sa.JSON()),
    sa.column("activities", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
OLD_CONSORTIA = sa.table(
    "consortia",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("call_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
_OLD_DEFAULTS: dict[str, dict[str, Any]] = {
    "consortia": {},
    "calls": {"description": "", "min_countries": 3, "required_stakeholders": {}},
    "organisations": {
        "stakeholder_type": "academia",
        "description": "",
        "keywords": [],
        "activities": [],
    },
}


def _insert_old(session: Session, table: sa.TableClause, **values: Any) -> int:
    """Store a row through SQL with only the columns an older revision has; its id."""
    now = datetime.now(UTC)
    row = {**_OLD_DEFAULTS[table.name], "created_at": now, "updated_at": now, "version": 1}
    inserted = session.execute(table.insert().values({**row, **values}).returning(table.c.id))
    return int(inserted.scalar_one())


def test_upgrade_gives_ownerless_drafts_an_owner_and_upper_cases_identifiers(
    engine: Engine,
) -> None:
    """Admin-made drafts get their coordinator (else first member) as owner; empty ones go."""
    db.downgrade(engine, "efdad51c2a90")
    with Session(engine) as session:
        call_id = _insert_old(session, OLD_CALLS, identifier="rt-call-1", title="T")
        first_id = _insert_old(session, OLD_ORGANISATIONS, name="First", country="NL")
        second_id = _insert_old(
            session, OLD_ORGANISATIONS, name="Second", stakeholder_type="sme", country="BE"
        )
        ids = [
            _insert_old(session, OLD_CONSORTIA, name=name, call_id=call_id)
            for name in ("Coord", "Plain", "Empty")
        ]
        session.add_all(
            [
                ConsortiumMember(consortium_id=ids[0], organisation_id=first_id),
                ConsortiumMember(
                    consortium_id=ids[0], organisation_id=second_id, role=Role.coordinator
                ),
                ConsortiumMember(consortium_id=ids[1], organisation_id=first_id),
            ]
        )
        session.commit()
        owners_expected = {ids[0]: second_id, ids[1]: first_id}
    db.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, owner_organisation_id, version FROM consortia ORDER BY id")
        ).all()
        assert [(row[0], row[1], row[2]) for row in rows] == [
            (ids[0], owners_expected[ids[0]], 2),
            (ids[1], owners_expected[ids[1]], 2),
        ]
        assert connection.execute(text("SELECT identifier, version FROM calls")).one() == (
            "RT-CALL-1",
            2,
        )


def test_upgrade_stops_on_identifiers_that_differ_only_in_case(engine: Engine) -> None:
    """Two stored calls that the new rule would merge are named for an operator to settle."""
    db.downgrade(engine, "efdad51c2a90")
    with Session(engine) as session:
        _insert_old(session, OLD_CALLS, identifier="RT-CALL-1", title="A")
        _insert_old(session, OLD_CALLS, identifier="rt-call-1", title="B")
        session.commit()
    with pytest.raises(RuntimeError, match="differ only in case"):
        db.upgrade(engine)
