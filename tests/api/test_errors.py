"""Errors that are not the caller's fault still answer with problem details."""

import gzip

import pytest
import sqlalchemy.exc
from fastapi.testclient import TestClient

from api.main import create_app
from matchmaker.settings import Settings
from tests.factories import create_call, create_organisation, organisation_payload
from tests.helpers import assert_problem, bearer

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), 503),
        (
            sqlalchemy.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")),
            503,
        ),
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("disk I/O error")), 500),
    ],
)
def test_waiting_too_long_for_the_database_is_a_retryable_503(
    settings: Settings, error: Exception, status: int
) -> None:
    """No free pooled connection, or SQLite's write lock not free in time: 503, Retry-After."""
    app = create_app(settings)

    @app.get("/busy-probe")
    def busy() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/busy-probe")

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 503:
        assert response.headers["retry-after"] == "5"
        assert "too busy" in response.json()["detail"]
    else:
        assert "retry-after" not in response.headers


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("{bad", "line 1, column 2 (character 2)"),
        ('{"name": "Lab",\n "country": }', "line 2, column 13 (character 29)"),
    ],
)
def test_a_body_that_is_not_json_is_400_saying_where(
    anonymous: TestClient, body: str, where: str
) -> None:
    """Malformed JSON is the client's syntax error (400, with where), not a field named "1"."""
    response = anonymous.post(
        "/organisations", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400)
    assert problem["title"] == "Bad Request"
    assert problem["detail"].startswith("The request body is not valid JSON: Expecting ")
    assert problem["detail"].endswith(f" at {where}.")
    assert [error["field"] for error in problem["errors"]] == ["body"]


@pytest.mark.sqlite_only
def test_a_body_that_is_not_utf8_is_400_in_plain_words(anonymous: TestClient) -> None:
    """Bytes that are not text get a sentence saying what to send, not a parser's message."""
    response = anonymous.post(
        "/calls", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400)
    assert problem["detail"] == "The request body could not be read: send JSON encoded as UTF-8."


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("body", "where"),
    [
        (rb'{"name": "Lab \ud800", "stakeholder_type": "sme", "country": "DE"}', "name"),
        (
            b'{"name": "Lab", "stakeholder_type": "sme", "country": "DE", '
            b'"activities": [{"title": "Trial \xed\xa0\x80"}]}',
            "activities.0.title",
        ),
        (
            rb'{"name": "Lab", "stakeholder_type": "sme", "country": "DE", '
            rb'"keywords": ["onco", "\udfff"]}',
            "keywords.1",
        ),
    ],
)
def test_a_lone_surrogate_in_a_body_is_400_naming_where_not_a_500(
    client: TestClient, body: bytes, where: str
) -> None:
    """Half a UTF-16 surrogate pair, escaped or encoded, is no text a database column holds: a
    400 that says where, and nothing stored (it was a 500 from the database driver)."""
    response = client.post("/organisations", content=body, headers=JSON)
    problem = assert_problem(response, 400)
    assert problem["detail"] == (
        f"The request body is not Unicode text: {where} holds a lone UTF-16 surrogate (such as "
        "\\ud800 without its pair), which no text can store."
    )
    assert client.get("/organisations").json()["total"] == 0


@pytest.mark.sqlite_only
def test_a_surrogate_pair_or_an_escaped_backslash_is_text(client: TestClient) -> None:
    """A whole pair is one character, and a backslash before "ud800" is a backslash."""
    body = rb'{"name": "Lab \ud83d\ude00 \\ud800", "stakeholder_type": "sme", "country": "DE"}'
    response = client.post("/organisations", content=body, headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Lab \U0001f600 \\ud800"


@pytest.mark.sqlite_only
def test_invalid_fields_are_named_with_messages_for_people(
    anonymous: TestClient, client: TestClient
) -> None:
    """A 422 names each field with a sentence for people; one invalid field is the detail."""
    one = anonymous.post("/organisations", json=organisation_payload(website="not a website"))
    problem = assert_problem(one, 422, "website")
    assert problem["detail"] == "website: Must be a web address, such as https://example.org."
    several = anonymous.post(
        "/organisations", json=organisation_payload(name="", country="ZZ", id=4)
    )
    problem = assert_problem(several, 422)
    assert problem["detail"] == "Some values are not valid: name, country, id."
    assert {error["field"]: error["message"] for error in problem["errors"]} == {
        "name": "Must not be empty.",
        "country": "'ZZ' is not a country code: give the two-letter ISO 3166-1 code, such as DE.",
        "id": "Is not a field this accepts; leave it out.",
    }
    listing = anonymous.get("/calls", params={"limit": "many"})
    assert assert_problem(listing, 422, "query.limit")["errors"] == [
        {"field": "query.limit", "message": "Must be a whole number."}
    ]
    # An id is written in digits alone: no second address for one resource.
    call = create_call(client)
    assert anonymous.get(f"/calls/{call['id']}").status_code == 200
    for written in (f"{call['id']}.0", f"+{call['id']}", f"{call['id']}_0", f" {call['id']}"):
        refused = assert_problem(anonymous.get(f"/calls/{written}"), 422, "path.call_id")
        assert refused["errors"][0]["message"] == "Must be a whole number."
    # A negative id is a whole number: refused for being below 1, as 0 is.
    for written in ("-5", "-0", "0"):
        refused = assert_problem(anonymous.get(f"/calls/{written}"), 422, "path.call_id")
        assert refused["errors"][0]["message"] == "Must be 1 or more."


@pytest.mark.sqlite_only
def test_a_body_sent_to_an_operation_that_takes_none_is_422_not_ignored(
    anonymous: TestClient,
) -> None:
    """Rotating a key takes no body: `{"label": ...}` is 422 naming the field and rotates
    nothing, a list is 422 on the body; no body, `{}` or `null` rotate as before."""
    organisation = create_organisation(anonymous)
    path = f"/organisations/{organisation['id']}/keys/rotate"
    key = bearer(organisation["api_key"])
    labelled = anonymous.post(path, json={"label": "CRM integration"}, headers=key)
    assert assert_problem(labelled, 422)["errors"] == [
        {"field": "label", "message": "Is not a field this accepts; leave it out."}
    ]
    listed = anonymous.post(path, json=["CRM integration"], headers=key)
    assert assert_problem(listed, 422)["errors"] == [
        {"field": "body", "message": "This operation takes no request body; leave it out."}
    ]
    assert_problem(anonymous.post(path, json={"label": "CRM"}), 401)
    export = f"/organisations/{organisation['id']}/export"
    assert anonymous.get(export, headers=key).status_code == 200
    for body in (b"{}", b"null"):
        rotated = anonymous.post(path, content=body, headers={**key, **JSON})
        assert rotated.status_code == 201, rotated.text
        key = bearer(rotated.json()["token"])
    assert anonymous.post(path, headers=key).status_code == 201


@pytest.mark.sqlite_only
def test_a_compressed_body_is_415_naming_its_encoding(anonymous: TestClient) -> None:
    """A gzip body is 415 saying to send it uncompressed, with Accept-Encoding: identity,
    not 400 saying it is not UTF-8; `identity` is the body as sent."""
    body = b'{"text": "liquid biopsy"}'
    compressed = anonymous.post(
        "/search", content=gzip.compress(body), headers={**JSON, "Content-Encoding": "gzip"}
    )
    problem = assert_problem(compressed, 415)
    assert problem["detail"] == (
        "The request body is sent with Content-Encoding gzip, which is not accepted: send it "
        "uncompressed."
    )
    assert compressed.headers["accept-encoding"] == "identity"
    plain = anonymous.post(
        "/search", content=body, headers={**JSON, "Content-Encoding": "identity"}
    )
    assert plain.status_code == 200, plain.text
