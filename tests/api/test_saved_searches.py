"""Saved searches through the API: saved with the owner's key, listed a page at a time,
deleted; wrong combinations, other keys and the per-organisation limit answer RFC 9457."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from matchmaker.settings import Settings
from tests.factories import create_organisation
from tests.helpers import assert_problem, keyed, settings_for

LIMIT = 3


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database, no write rate limit, and at most 3 saved searches each."""
    return settings_for(database_url, max_saved_searches=LIMIT)


def path(organisation_id: int) -> str:
    """The saved searches' address."""
    return f"/organisations/{organisation_id}/saved-searches"


def test_saved_search_is_created_with_the_default_threshold(
    owner: tuple[int, TestClient],
) -> None:
    """A text search is saved as given, with the documented default threshold of 0.03."""
    organisation_id, client = owner
    answer = client.post(
        path(organisation_id),
        json={"target": "calls", "text": "  liquid biopsy  ", "programme": "IHI"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["Location"] == f"{path(organisation_id)}/{body['id']}"
    assert {key: value for key, value in body.items() if key not in ("id", "created_at")} == {
        "target": "calls",
        "text": "liquid biopsy",
        "fits_profile": False,
        "stakeholder_types": [],
        "countries": [],
        "programme": "IHI",
        "threshold": 0.03,
    }


def test_saved_searches_are_listed_a_page_at_a_time_and_deleted(
    owner: tuple[int, TestClient],
) -> None:
    """Three searches list oldest first in pages; a deleted one is gone and 404s after."""
    organisation_id, client = owner
    bodies: list[dict[str, Any]] = [
        {"target": "calls", "fits_profile": True},
        {
            "target": "organisations",
            "text": "patient organisation",
            "stakeholder_types": ["patient_organisation"],
            "countries": ["BE", "NL"],
            "threshold": 0.3,
        },
        {"target": "partner_requests", "text": "biobank", "countries": ["DE"]},
    ]
    ids = []
    for body in bodies:
        answer = client.post(path(organisation_id), json=body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    page = client.get(path(organisation_id), params={"limit": 2, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [item["id"] for item in page["items"]] == ids[1:]
    assert page["items"][0]["countries"] == ["BE", "NL"]
    assert page["items"][0]["threshold"] == 0.3
    assert client.delete(f"{path(organisation_id)}/{ids[0]}").status_code == 204
    assert [item["id"] for item in client.get(path(organisation_id)).json()["items"]] == ids[1:]
    assert_problem(client.delete(f"{path(organisation_id)}/{ids[0]}"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "calls"}, "text"),
        ({"target": "calls", "text": "   "}, "text"),
        ({"target": "organisations", "fits_profile": True}, "fits_profile"),
        ({"target": "calls", "fits_profile": True, "text": "biopsy"}, "text"),
        ({"target": "calls", "text": "biopsy", "countries": ["NL"]}, "countries"),
        ({"target": "organisations", "text": "biobank", "programme": "IHI"}, "programme"),
        ({"target": "calls", "text": "biopsy", "threshold": 1.5}, "threshold"),
        ({"target": "calls", "text": "biopsy", "threshold": -0.1}, "threshold"),
        ({"target": "projects", "text": "biopsy"}, "target"),
        ({"target": "calls", "text": "biopsy", "countries": ["XX"]}, "countries"),
        ({"target": "calls", "text": "biopsy", "stakeholder_types": ["pirate"]}, None),
        ({"target": "calls", "text": "x" * 1001}, "text"),
    ],
)
def test_saved_search_refuses_contradictions_with_a_problem(
    owner: tuple[int, TestClient], body: dict[str, Any], field: str | None
) -> None:
    """Each wrong body answers 422 problem details naming the field (never a 500)."""
    organisation_id, client = owner
    answer = assert_problem(client.post(path(organisation_id), json=body), 422)
    if field is not None:
        assert any(field in error["field"] for error in answer["errors"]), answer


def test_saved_searches_stop_at_the_limit(owner: tuple[int, TestClient]) -> None:
    """The fourth search of an organisation allowed three answers 409; after a delete it fits."""
    organisation_id, client = owner
    ids = [
        client.post(path(organisation_id), json={"target": "calls", "text": f"topic {n}"}).json()[
            "id"
        ]
        for n in range(LIMIT)
    ]
    problem = assert_problem(
        client.post(path(organisation_id), json={"target": "calls", "text": "one more"}), 409
    )
    assert "at most 3 saved searches" in problem["detail"]
    client.delete(f"{path(organisation_id)}/{ids[0]}")
    answer = client.post(path(organisation_id), json={"target": "calls", "text": "one more"})
    assert answer.status_code == 201


def test_the_same_search_saved_twice_is_409(owner: tuple[int, TestClient]) -> None:
    """A search alike in every field (its text but for case) would notify each item twice:
    409 naming the first; one differing in a filter or the threshold is another search."""
    organisation_id, client = owner
    body = {"target": "calls", "text": "Liver biobank", "programme": "IHI"}
    first = client.post(path(organisation_id), json=body).json()
    again = client.post(path(organisation_id), json={**body, "text": "liver BIOBANK"})
    assert assert_problem(again, 409)["detail"] == (
        f"Your organisation already saves this search (saved search {first['id']}): each item "
        "would be notified twice."
    )
    for other in ({**body, "programme": None}, {**body, "threshold": 0.1}):
        assert client.post(path(organisation_id), json=other).status_code == 201


def test_saved_searches_belong_to_their_organisation(
    owner: tuple[int, TestClient], client: TestClient, anonymous: TestClient
) -> None:
    """Another organisation's key gets 403, no key 401, an unknown organisation 404; another
    organisation cannot delete the owner's search."""
    organisation_id, own = owner
    search_id = own.post(path(organisation_id), json={"target": "calls", "text": "biopsy"}).json()[
        "id"
    ]
    other_body = create_organisation(client, name="Other Institute")
    other = keyed(client, other_body["api_key"])
    assert_problem(other.get(path(organisation_id)), 403)
    assert_problem(other.post(path(organisation_id), json={"target": "calls", "text": "x"}), 403)
    assert_problem(other.delete(f"{path(organisation_id)}/{search_id}"), 403)
    assert_problem(other.delete(f"{path(other_body['id'])}/{search_id}"), 404)
    assert_problem(anonymous.get(path(organisation_id)), 401)
    assert_problem(client.get(path(999_999)), 404)
    assert own.get(path(organisation_id)).json()["total"] == 1


def test_the_location_of_a_new_saved_search_reads_it(
    owner: tuple[int, TestClient], client: TestClient, anonymous: TestClient
) -> None:
    """The Location of a 201 answers 200 with the search as created, for its owner and an
    admin; another organisation's key is 403, no key 401, another organisation's path 404,
    and once deleted it is 404."""
    organisation_id, own = owner
    made = own.post(path(organisation_id), json={"target": "calls", "text": "liquid biopsy"})
    location = made.headers["Location"]
    assert own.get(location).status_code == 200
    assert own.get(location).json() == made.json()
    assert client.get(location).json() == made.json()
    other_body = create_organisation(client, name="Other Institute")
    other = keyed(client, other_body["api_key"])
    assert_problem(other.get(location), 403)
    assert_problem(anonymous.get(location), 401)
    missing = assert_problem(other.get(f"{path(other_body['id'])}/{made.json()['id']}"), 404)
    assert missing["detail"] == f"The organisation has no saved search {made.json()['id']}."
    assert own.delete(location).status_code == 204
    assert_problem(own.get(location), 404)
