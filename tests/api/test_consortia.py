"""Consortium drafts over HTTP: the draft, its members and its errors."""

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.consortium import ConsortiumDeparture
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem, count_rows, keyed


def _post_draft(client: TestClient, *, json: dict[str, Any]) -> Any:
    """POST a draft with the key of a new organisation that owns it (admins create none)."""
    owner = create_organisation(client, name="Draft Owner")
    return client.post(
        "/consortia", json=json, headers={"Authorization": f"Bearer {owner['api_key']}"}
    )


def _setup(client: TestClient) -> tuple[int, int, int]:
    call = create_call(client)
    first = create_organisation(client, name="First University")
    second = create_organisation(client, name="Second SME", stakeholder_type="sme")
    return call["id"], first["id"], second["id"]


def test_create_consortium_with_members(client: TestClient) -> None:
    """A draft is stored with its members, roles and an ETag."""
    call_id, first, second = _setup(client)
    response = _post_draft(
        client,
        json={
            "name": "LB-EU",
            "call_id": call_id,
            "members": [
                {"organisation_id": first, "role": "coordinator"},
                {"organisation_id": second},
            ],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "LB-EU"
    assert [(m["organisation"]["name"], m["role"]) for m in body["members"]] == [
        ("First University", "coordinator"),
        ("Second SME", "partner"),
    ]
    assert response.headers["location"] == f"/consortia/{body['id']}"
    assert client.get(f"/consortia/{body['id']}").json() == body


def test_create_consortium_rejects_bad_references(client: TestClient) -> None:
    """Unknown calls or organisations, duplicates and two coordinators are 422."""
    call_id, first, _ = _setup(client)
    assert_problem(_post_draft(client, json={"name": "x", "call_id": 99}), 422, "call_id")
    for members in (
        [{"organisation_id": 99}],
        [{"organisation_id": first}, {"organisation_id": first}],
        [
            {"organisation_id": first, "role": "coordinator"},
            {"organisation_id": 2, "role": "coordinator"},
        ],
        [{"organisation_id": first, "role": "leader"}],
    ):
        response = _post_draft(client, json={"name": "x", "call_id": call_id, "members": members})
        assert_problem(response, 422)
    assert_problem(_post_draft(client, json={"name": "", "call_id": call_id}), 422, "name")
    assert client.get("/consortia").json()["total"] == 0


def test_members_are_added_changed_and_removed(client: TestClient) -> None:
    """PUT adds or re-roles a member, a new coordinator demotes the old, DELETE removes."""
    call_id, first, second = _setup(client)
    draft = _post_draft(client, json={"name": "D", "call_id": call_id}).json()
    url = f"/consortia/{draft['id']}/members"
    added = client.put(f"{url}/{first}", json={"role": "coordinator"})
    assert added.status_code == 200
    assert added.json()["version"] == 2
    body = client.put(f"{url}/{second}", json={"role": "coordinator"}).json()
    assert [(m["organisation"]["id"], m["role"]) for m in body["members"]] == [
        (second, "coordinator"),
        (first, "partner"),
    ]
    body = client.delete(f"{url}/{first}").json()
    assert [m["organisation"]["id"] for m in body["members"]] == [second]
    assert_problem(client.delete(f"{url}/{first}"), 404)
    assert_problem(client.put(f"{url}/999"), 404)
    assert client.put(f"{url}/{first}").json()["members"][-1]["role"] == "partner"


def test_stale_member_change_is_412(client: TestClient) -> None:
    """Member changes honour If-Match on the draft's version."""
    call_id, first, second = _setup(client)
    draft = _post_draft(client, json={"name": "D", "call_id": call_id}).json()
    url = f"/consortia/{draft['id']}/members"
    client.put(f"{url}/{first}")
    assert_problem(client.put(f"{url}/{second}", headers={"If-Match": '"1"'}), 412)
    assert len(client.get(f"/consortia/{draft['id']}").json()["members"]) == 1


def test_update_and_delete_consortium(client: TestClient) -> None:
    """A draft can be renamed and deleted; its organisations stay."""
    call_id, first, _ = _setup(client)
    draft = _post_draft(
        client,
        json={"name": "D", "call_id": call_id, "members": [{"organisation_id": first}]},
    ).json()
    url = f"/consortia/{draft['id']}"
    assert client.patch(url, json={"name": "Renamed"}).json()["name"] == "Renamed"
    assert_problem(client.patch(url, json={"call_id": 99}), 422, "call_id")
    assert_problem(client.patch(url, json={"name": None}), 422, "name")
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert client.get(f"/organisations/{first}").status_code == 200


def test_list_consortia_filters_by_call(client: TestClient) -> None:
    """Drafts list per call, paginated."""
    call_id, _, _ = _setup(client)
    other = create_call(client, identifier="OTHER-1")["id"]
    _post_draft(client, json={"name": "A", "call_id": call_id})
    _post_draft(client, json={"name": "B", "call_id": other})
    body = client.get("/consortia", params={"call_id": other}).json()
    assert [item["name"] for item in body["items"]] == ["B"]
    assert body["total"] == 1
    assert client.get("/consortia", params={"limit": 1}).json()["total"] == 2


def test_deleting_organisation_removes_it_from_drafts(client: TestClient) -> None:
    """A deleted organisation leaves every draft it was in."""
    call_id, first, second = _setup(client)
    draft = _post_draft(
        client,
        json={
            "name": "D",
            "call_id": call_id,
            "members": [{"organisation_id": first}, {"organisation_id": second}],
        },
    ).json()
    client.delete(f"/organisations/{first}")
    members = client.get(f"/consortia/{draft['id']}").json()["members"]
    assert [m["organisation"]["id"] for m in members] == [second]


def test_a_draft_lists_the_members_that_left_by_deleting_their_profiles(
    client: TestClient, engine: Engine
) -> None:
    """Each member that deletes its profile is listed once in the draft, the most recent
    first, by its name, type and role then and when it left; a draft it was not in lists
    none, nor does its own draft, which goes with it; deleting the draft deletes them."""
    call_id = create_call(client)["id"]
    first = create_organisation(client, name="First University", stakeholder_type="academia")
    second = create_organisation(client, name="Second SME", stakeholder_type="sme")
    owner = create_organisation(client, name="Draft Owner")
    owned = keyed(client, owner["api_key"])
    members = [
        {"organisation_id": first["id"], "role": "coordinator"},
        {"organisation_id": second["id"]},
    ]
    draft = owned.post(
        "/consortia", json={"name": "D", "call_id": call_id, "members": members}
    ).json()
    without = owned.post(
        "/consortia",
        json={"name": "W", "call_id": call_id, "members": [{"organisation_id": owner["id"]}]},
    ).json()
    # The second's own draft, with both in it, goes with the second.
    own = keyed(client, second["api_key"]).post(
        "/consortia", json={"name": "Own", "call_id": call_id, "members": members}
    )
    assert own.status_code == 201, own.text

    before = datetime.now(UTC)
    assert client.delete(f"/organisations/{second['id']}").status_code == 204
    between = datetime.now(UTC)
    assert client.delete(f"/organisations/{first['id']}").status_code == 204
    after = datetime.now(UTC)

    body = owned.get(f"/consortia/{draft['id']}").json()
    assert body["members"] == []
    departures = body["departures"]
    assert [(d["name"], d["stakeholder_type"], d["role"]) for d in departures] == [
        ("First University", "academia", "coordinator"),
        ("Second SME", "sme", "partner"),
    ]
    left = [datetime.fromisoformat(d["left_at"]) for d in departures]
    assert between <= left[0] <= after
    assert before <= left[1] <= between
    # The list shows each draft as its own address does.
    listed = {item["id"]: item for item in owned.get("/consortia").json()["items"]}
    assert listed[draft["id"]]["departures"] == departures
    assert listed[without["id"]]["departures"] == []
    assert_problem(client.get(f"/consortia/{own.json()['id']}"), 404)
    assert count_rows(engine, ConsortiumDeparture) == 2

    assert owned.delete(f"/consortia/{draft['id']}").status_code == 204
    assert count_rows(engine, ConsortiumDeparture) == 0


def test_call_with_drafts_cannot_be_deleted(client: TestClient) -> None:
    """Deleting a call that drafts are written for is refused with 409, losing nothing, in a
    sentence that says who can delete the drafts (a publisher cannot even see them)."""
    call_id, _, _ = _setup(client)
    draft = _post_draft(client, json={"name": "D", "call_id": call_id}).json()
    refused = assert_problem(client.delete(f"/calls/{call_id}"), 409)
    assert refused["detail"] == (
        "1 consortium draft is written for this call: the call cannot be deleted while it "
        "exists (its organisation or an administrator can delete it); to close the call "
        "instead, set its deadline."
    )
    assert client.get(f"/consortia/{draft['id']}").status_code == 200
    # A stale or malformed If-Match is 412 first (RFC 9110, 13.2.2: preconditions before the
    # method's own refusals); the current version reaches the 409.
    version = client.get(f"/calls/{call_id}").headers["ETag"]
    for stale in ('"999"', "3"):
        assert_problem(client.delete(f"/calls/{call_id}", headers={"If-Match": stale}), 412)
    assert_problem(client.delete(f"/calls/{call_id}", headers={"If-Match": version}), 409)
    client.delete(f"/consortia/{draft['id']}")
    assert client.delete(f"/calls/{call_id}").status_code == 204


def test_the_coordinator_is_neither_removed_nor_demoted(client: TestClient) -> None:
    """Removing a draft's coordinator, or making it a partner, would leave the draft without a
    lead: both are 409 in words that say what to do, and change nothing; once another member
    is made coordinator, the old one goes as any partner."""
    call_id, first, second = _setup(client)
    draft = _post_draft(
        client,
        json={
            "name": "D",
            "call_id": call_id,
            "members": [
                {"organisation_id": first, "role": "coordinator"},
                {"organisation_id": second},
            ],
        },
    ).json()
    url = f"/consortia/{draft['id']}/members/{first}"
    removed = assert_problem(client.delete(url), 409)
    assert removed["detail"] == (
        "First University is the draft's coordinator and cannot be removed: make another "
        "member the coordinator first, or delete the draft."
    )
    demoted = assert_problem(client.put(url, json={"role": "partner"}), 409)
    assert demoted["detail"] == (
        "First University is the draft's coordinator: to make it a partner, make another "
        "member the coordinator."
    )
    assert client.get(f"/consortia/{draft['id']}").json() == draft
    client.put(f"/consortia/{draft['id']}/members/{second}", json={"role": "coordinator"})
    body = client.delete(url).json()
    assert [(m["organisation"]["id"], m["role"]) for m in body["members"]] == [
        (second, "coordinator")
    ]


def test_a_draft_lists_its_coordinator_first(client: TestClient) -> None:
    """Members are listed the coordinator first, then as they joined, as the schema says:
    whether the coordinator joined last or was made coordinator later."""
    call_id, first, second = _setup(client)
    third = create_organisation(client, name="Third Institute")["id"]
    draft = _post_draft(
        client,
        json={
            "name": "D",
            "call_id": call_id,
            "members": [
                {"organisation_id": first},
                {"organisation_id": second},
                {"organisation_id": third, "role": "coordinator"},
            ],
        },
    ).json()
    assert [m["organisation"]["id"] for m in draft["members"]] == [third, first, second]
    moved = client.put(f"/consortia/{draft['id']}/members/{second}", json={"role": "coordinator"})
    assert [m["organisation"]["id"] for m in moved.json()["members"]] == [second, first, third]
    listed = client.get("/consortia").json()["items"]
    [again] = [item for item in listed if item["id"] == draft["id"]]
    assert [m["organisation"]["id"] for m in again["members"]] == [second, first, third]
