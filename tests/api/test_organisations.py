"""Organisation profiles over HTTP: every verb, its errors and every field's validation."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchmaker.messages import IDENTIFIER, NOT_NULL
from tests.factories import create_organisation, organisation_payload
from tests.helpers import assert_problem, bearer


def test_create_organisation_returns_profile_with_private_fields(client: TestClient) -> None:
    """Creating answers 201 with the stored profile, its location, ETag and contact email."""
    response = client.post("/organisations", json=organisation_payload(country="nl"))
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == 1
    assert body["country"] == "NL"
    assert body["contact_email"] == "partnering@lumc.example"
    assert body["version"] == 1
    assert body["api_key"].startswith("mm_")
    assert response.headers["location"] == "/organisations/1"
    assert response.headers["etag"] == '"1"'
    assert body["activities"][0]["year"] == 2022


def test_the_registration_answer_is_never_stored_but_a_profile_read_may_be(
    client: TestClient, anonymous: TestClient
) -> None:
    """The answer that holds the owner key's token is sent with `Cache-Control: no-store`; a
    read of the profile, public or private, and an edit say nothing of caching."""
    response = anonymous.post("/organisations", json=organisation_payload())
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    url = f"/organisations/{response.json()['id']}"
    own = bearer(response.json()["api_key"])
    for read in (anonymous.get(url), anonymous.get(url, headers=own), client.get(url)):
        assert read.status_code == 200, read.text
        assert "cache-control" not in read.headers
    edited = anonymous.patch(url, json={"city": "Gent"}, headers=own)
    assert edited.status_code == 200, edited.text
    assert "cache-control" not in edited.headers


def test_read_organisation_hides_contact_email(client: TestClient, anonymous: TestClient) -> None:
    """Anyone can read a profile, but not its personal data."""
    created = create_organisation(client)
    response = anonymous.get(f"/organisations/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert "contact_email" not in body
    assert body["name"] == "Leiden University Medical Center"
    assert response.headers["etag"] == '"1"'


def test_list_organisations_filters_and_hides_contact_email(client: TestClient) -> None:
    """Lists filter by type, country (repeatable) and name fragment."""
    create_organisation(client, name="Oncology SME", stakeholder_type="sme", country="DE")
    create_organisation(client, name="Cardio University", stakeholder_type="academia")
    create_organisation(
        client, name="Patients Europe", stakeholder_type="patient_organisation", country="BE"
    )
    by_type = client.get("/organisations", params={"stakeholder_type": "sme"}).json()
    assert [item["name"] for item in by_type["items"]] == ["Oncology SME"]
    by_country = client.get("/organisations", params=[("country", "de"), ("country", "BE")])
    assert [item["name"] for item in by_country.json()["items"]] == [
        "Oncology SME",
        "Patients Europe",
    ]
    by_name = client.get("/organisations", params={"q": "UNIVERSITY"}).json()
    assert by_name["total"] == 1
    assert by_name["items"][0]["name"] == "Cardio University"
    assert all("contact_email" not in item for item in by_type["items"])


def test_list_organisations_search_treats_wildcards_as_no_words(client: TestClient) -> None:
    """A % or _ is no wildcard: beside a word it matches nothing more than the word does."""
    create_organisation(client, name="Alpha 100% Bio")
    create_organisation(client, name="Beta Bio")
    assert client.get("/organisations", params={"q": "100%"}).json()["total"] == 1
    assert client.get("/organisations", params={"q": "bio_"}).json()["total"] == 2
    assert client.get("/organisations", params={"q": "%beta"}).json()["total"] == 1


def test_list_organisations_ignores_a_search_of_no_words(client: TestClient) -> None:
    """A `q` holding no word ("*", "^", punctuation only) is no search, as on the organisations
    page: the profiles of the other filters are listed oldest first, without snippets."""
    create_organisation(client, name="Alpha Bio", country="DE")
    create_organisation(client, name="Beta Bio", country="NL")
    create_organisation(client, name="Gamma Bio", country="DE")
    for q in ["*", "^", "%", "_", "-- ?!", '""', "*  ^"]:
        page = client.get("/organisations", params={"q": q, "country": "DE"}).json()
        assert [item["name"] for item in page["items"]] == ["Alpha Bio", "Gamma Bio"], q
        assert [item["snippet"] for item in page["items"]] == [None, None], q
        assert page["total"] == 2, q
    searched = client.get("/organisations", params={"q": "gamma*", "country": "DE"}).json()
    assert [item["name"] for item in searched["items"]] == ["Gamma Bio"]


def test_list_organisations_paginates(client: TestClient) -> None:
    """limit and offset select a page; total counts every match."""
    for number in range(5):
        create_organisation(client, name=f"Organisation {number}")
    page = client.get("/organisations", params={"limit": 2, "offset": 3}).json()
    assert page["total"] == 5
    assert page["limit"] == 2
    assert page["offset"] == 3
    assert [item["name"] for item in page["items"]] == ["Organisation 3", "Organisation 4"]
    beyond = client.get("/organisations", params={"offset": 10}).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"stakeholder_type": "pharma"}, "query.stakeholder_type.0"),
        ({"country": "XX"}, "query.country.0"),
    ],
)
def test_list_organisations_rejects_bad_parameters(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    """Out-of-range pages and unknown filters are 422 naming the parameter."""
    assert_problem(client.get("/organisations", params=params), 422, field)


def test_list_organisations_accepts_largest_page(client: TestClient) -> None:
    """limit=200 is the largest page allowed."""
    assert client.get("/organisations", params={"limit": 200}).json()["limit"] == 200


def test_update_organisation_changes_only_given_fields(client: TestClient) -> None:
    """PATCH changes the fields sent, bumps the version and keeps the rest."""
    created = create_organisation(client)
    response = client.patch(f"/organisations/{created['id']}", json={"city": "Utrecht"})
    assert response.status_code == 200
    body = response.json()
    assert body["city"] == "Utrecht"
    assert body["name"] == created["name"]
    assert body["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert body["updated_at"] >= created["updated_at"]


def test_update_organisation_with_stale_if_match_changes_nothing(client: TestClient) -> None:
    """A PATCH against an old version gets 412 and the profile stays as it was."""
    created = create_organisation(client)
    url = f"/organisations/{created['id']}"
    assert client.patch(url, json={"city": "Delft"}, headers={"If-Match": '"1"'}).status_code == 200
    stale = client.patch(url, json={"city": "Utrecht"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert client.get(url).json()["city"] == "Delft"


def test_update_organisation_refuses_null_for_required_field(client: TestClient) -> None:
    """Setting a required field to null is 422, not a database error, and the message says
    to leave the field out rather than "Is not a valid value here"."""
    created = create_organisation(client)
    url = f"/organisations/{created['id']}"
    for field in ("name", "keywords"):
        problem = assert_problem(client.patch(url, json={field: None}), 422, field)
        assert problem["errors"] == [{"field": field, "message": NOT_NULL}]
        assert problem["detail"] == f"{field}: {NOT_NULL}"
    assert client.get(url).json()["version"] == 1


def test_delete_organisation_removes_it(client: TestClient) -> None:
    """DELETE answers 204, after which the profile is 404 and gone from lists."""
    created = create_organisation(client)
    url = f"/organisations/{created['id']}"
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert client.get("/organisations").json()["total"] == 0
    assert_problem(client.delete(url), 404)


def test_delete_organisation_with_stale_if_match_keeps_it(client: TestClient) -> None:
    """A DELETE against an old version gets 412 and the profile survives."""
    created = create_organisation(client)
    url = f"/organisations/{created['id']}"
    client.patch(url, json={"city": "Delft"})
    assert_problem(client.delete(url, headers={"If-Match": '"1"'}), 412)
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 204


@pytest.mark.sqlite_only
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_organisation_is_404(client: TestClient, method: str) -> None:
    """Every verb on a missing id answers 404 problem details."""
    kwargs = {"json": {"city": "X"}} if method == "patch" else {}
    body = assert_problem(getattr(client, method)("/organisations/999", **kwargs), 404)
    assert body["detail"] == "No organisation with id 999."


@pytest.mark.sqlite_only
def test_non_integer_organisation_id_is_422(client: TestClient) -> None:
    """A path id that is not a number is invalid input, not a 500."""
    assert_problem(client.get("/organisations/abc"), 422, "path.organisation_id")


def test_activity_role_is_stored_and_returned(client: TestClient) -> None:
    """An activity's role is returned as given; an activity without one has a null role; a
    profile's own activities are not verified."""
    activities = [
        {"title": "EARLYDX: early detection", "role": "coordinator"},
        {"title": "A review of liquid biopsy"},
    ]
    created = create_organisation(client, activities=activities)
    read = client.get(f"/organisations/{created['id']}").json()
    for body in (created, read):
        assert body["activities"] == [
            {
                "title": "EARLYDX: early detection",
                "summary": "",
                "year": None,
                "url": None,
                "role": "coordinator",
                "call": None,
                "verified": False,
            },
            {
                "title": "A review of liquid biopsy",
                "summary": "",
                "year": None,
                "url": None,
                "role": None,
                "call": None,
                "verified": False,
            },
        ]


def test_activity_call_is_stored_upper_case_changed_removed_and_exported(
    client: TestClient, anonymous: TestClient
) -> None:
    """A past project's call is stored upper-case, as a call's identifier is, and returned by
    the create, read, update and export answers; a list sent again without it clears it."""
    activities = [
        {"title": "EARLYDX: early detection", "call": "horizon-miss-2021-cancer-02-01"},
        {"title": "A review of liquid biopsy"},
    ]
    created = create_organisation(client, activities=activities)
    url = f"/organisations/{created['id']}"
    assert [a["call"] for a in created["activities"]] == ["HORIZON-MISS-2021-CANCER-02-01", None]
    assert [a["call"] for a in client.get(url).json()["activities"]] == [
        "HORIZON-MISS-2021-CANCER-02-01",
        None,
    ]

    changed = [{**activities[0], "call": "HORIZON-CL5-2022-D3-01-05"}, activities[1]]
    patched = client.patch(url, json={"activities": changed})
    assert patched.status_code == 200, patched.text
    assert [a["call"] for a in patched.json()["activities"]] == ["HORIZON-CL5-2022-D3-01-05", None]
    export = anonymous.get(f"{url}/export", headers=bearer(created["api_key"])).json()
    assert export["profile"]["activities"][0]["call"] == "HORIZON-CL5-2022-D3-01-05"

    cleared = client.patch(url, json={"activities": [{"title": "EARLYDX: early detection"}]})
    assert cleared.json()["activities"][0]["call"] is None
    assert cleared.json()["version"] == 3


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("HORIZON CL5 2022", IDENTIFIER),
        ("-HORIZON-CL5", IDENTIFIER),
        ("HORIZON-CL5-2022-D3-01-05 ", IDENTIFIER),
        ("", "Must not be empty."),
        ("H" * 121, "Must be at most 120 characters long."),
        (2022, "Must be text (a JSON string)."),
    ],
)
def test_activity_with_a_bad_call_is_422_on_create_and_update(
    client: TestClient, call: Any, message: str
) -> None:
    """A call that is not a call identifier is refused as a call's own identifier is, with a
    problem naming the project's field, on create and on update; nothing changes."""
    activities = [{"title": "EARLYDX", "call": call}]
    created = client.post("/organisations", json=organisation_payload(activities=activities))
    body = assert_problem(created, 422, "activities.0.call")
    assert {"field": "activities.0.call", "message": message} in body["errors"], body
    assert client.get("/organisations").json()["total"] == 0

    profile = create_organisation(client)
    updated = client.patch(f"/organisations/{profile['id']}", json={"activities": activities})
    body = assert_problem(updated, 422, "activities.0.call")
    assert {"field": "activities.0.call", "message": message} in body["errors"], body
    assert client.get(f"/organisations/{profile['id']}").json()["version"] == 1


@pytest.mark.sqlite_only
def test_activity_with_an_unknown_role_is_422(client: TestClient) -> None:
    """A role that is not one of CORDIS's four is refused, naming the activity's field."""
    activities = [{"title": "EARLYDX", "role": "associatedPartner"}]
    response = client.post("/organisations", json=organisation_payload(activities=activities))
    assert_problem(response, 422, "activities.0.role")
    assert client.get("/organisations").json()["total"] == 0


LONG = "x" * 20_001


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "n" * 301),
        ("name", "two\nlines"),
        ("stakeholder_type", "pharma"),
        ("country", "XX"),
        ("country", "NLD"),
        ("city", "c" * 201),
        ("description", LONG),
        ("description", "bell\x07"),
        ("keywords", ["k"] * 51),
        ("keywords", ["k" * 101]),
        ("keywords", [""]),
        ("activities", [{"title": "t"}] * 301),
        ("activities", [{"title": ""}]),
        ("activities", [{"title": "t", "year": 1800}]),
        ("activities", [{"title": "t", "url": "not a url"}]),
        ("activities", [{"title": "t", "budget": 3}]),
        ("website", "ftp//nowhere"),
        ("contact_email", "not-an-email"),
        ("id", 7),
        ("version", 3),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_create_organisation_validates_every_field(
    client: TestClient, field: str, value: Any
) -> None:
    """Each invalid field is refused with 422 naming it, and nothing is stored."""
    response = client.post("/organisations", json=organisation_payload(**{field: value}))
    body = assert_problem(response, 422)
    assert any(error["field"].split(".")[0] == field for error in body["errors"]), body
    assert client.get("/organisations").json()["total"] == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("field", ["name", "stakeholder_type", "country"])
def test_create_organisation_requires_core_fields(client: TestClient, field: str) -> None:
    """Name, stakeholder type and country are required."""
    payload = organisation_payload()
    del payload[field]
    assert_problem(client.post("/organisations", json=payload), 422, field)


def test_create_organisation_normalises_text_to_nfc(client: TestClient) -> None:
    """Decomposed accents are stored composed, so matching sees one spelling."""
    decomposed = "Universite\u0301 de Lie\u0300ge"
    body = create_organisation(client, name=decomposed)
    assert body["name"] == "Universit\u00e9 de Li\u00e8ge"


@pytest.mark.sqlite_only
def test_malformed_json_is_400(client: TestClient) -> None:
    """A body that is not JSON is a bad request (tests/api/test_errors.py checks the wording)."""
    response = client.post(
        "/organisations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


@pytest.mark.sqlite_only
def test_over_large_body_is_413_and_stores_nothing(client: TestClient) -> None:
    """A body over the configured limit is refused before it is parsed."""
    payload = organisation_payload(description="d" * 2_100_000)
    body = assert_problem(client.post("/organisations", json=payload), 413)
    assert "bytes" in body["detail"]
    assert client.get("/organisations").json()["total"] == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("parkinsons-patients.example", "https://parkinsons-patients.example/"),
        ("www.parkinsons-patients.example/about", "https://www.parkinsons-patients.example/about"),
        ("http://parkinsons-patients.example", "http://parkinsons-patients.example/"),
    ],
)
def test_a_website_without_its_scheme_is_read_as_https(
    client: TestClient, typed: str, stored: str
) -> None:
    """People type `example.org`: a website (or an activity's page) without a scheme is https."""
    activity = {"title": "Registry", "url": typed}
    created = client.post(
        "/organisations", json=organisation_payload(website=typed, activities=[activity])
    )
    assert created.status_code == 201, created.text
    assert created.json()["website"] == stored
    assert created.json()["activities"][0]["url"] == stored
    organisation_id = created.json()["id"]
    edited = client.patch(f"/organisations/{organisation_id}", json={"website": typed})
    assert edited.json()["website"] == stored


def test_a_keyword_listed_again_is_kept_once(client: TestClient) -> None:
    """Repeats alike but for case are stored once, the first spelling kept, on registering
    and on editing: a keyword listed twice must weigh no more in matching."""
    created = create_organisation(client, keywords=["Liver", "liver", "LIVER", "biobank"])
    assert created["keywords"] == ["Liver", "biobank"]
    edited = client.patch(
        f"/organisations/{created['id']}", json={"keywords": ["cohort", "Cohort", "liver"]}
    )
    assert edited.json()["keywords"] == ["cohort", "liver"]
