"""Ids are never handed out twice: a row created after the row with the largest id was deleted
or merged away gets a new id, on every database (SQLite needs AUTOINCREMENT for it)."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem


def _merge(client: TestClient, survivor: dict[str, Any], absorbed: dict[str, Any]) -> Any:
    return client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )


def test_new_organisation_never_gets_a_deleted_organisations_id(client: TestClient) -> None:
    """Deleting the organisation with the largest id and registering another gives the new
    one the next id; the deleted id stays a plain 404."""
    first = create_organisation(client, name="Karolinska Institutet", country="SE")
    last = create_organisation(client, name="Oncomark Diagnostics", stakeholder_type="sme")
    assert client.delete(f"/organisations/{last['id']}").status_code == 204

    new = create_organisation(client, name="Charité Berlin", country="DE")

    assert (first["id"], new["id"]) == (last["id"] - 1, last["id"] + 1)
    assert client.get(f"/organisations/{new['id']}").json()["name"] == "Charité Berlin"
    gone = assert_problem(client.get(f"/organisations/{last['id']}"), 404)
    assert gone["detail"] == f"No organisation with id {last['id']}."


def test_new_call_never_gets_a_deleted_calls_id(client: TestClient) -> None:
    """Deleting the call with the largest id and publishing another gives the new one the next
    id; the deleted id stays 404."""
    first = create_call(client, identifier="IHI-2024-07-01")
    last = create_call(client, identifier="IHI-2024-07-02")
    assert client.delete(f"/calls/{last['id']}").status_code == 204

    new = create_call(client, identifier="IHI-2024-07-03")

    assert (first["id"], new["id"]) == (last["id"] - 1, last["id"] + 1)
    assert client.get(f"/calls/{new['id']}").json()["identifier"] == "IHI-2024-07-03"
    assert_problem(client.get(f"/calls/{last['id']}"), 404)


def test_merging_after_a_merge_and_a_delete_never_meets_an_old_id(client: TestClient) -> None:
    """After the largest id is merged away, a new profile is not taken for the absorbed one and
    can itself be merged; after it is deleted, its id is not said to be merged anywhere."""
    survivor = create_organisation(client, name="Leiden University Medical Center")
    absorbed = create_organisation(client, name="LUMC")
    assert _merge(client, survivor, absorbed).status_code == 200

    new = create_organisation(client, name="Oncomark Diagnostics", stakeholder_type="sme")
    assert new["id"] == absorbed["id"] + 1
    assert client.get(f"/organisations/{new['id']}").json()["name"] == "Oncomark Diagnostics"
    newest = create_organisation(client, name="Oncomark Diagnostics B.V.", stakeholder_type="sme")
    merged = _merge(client, newest, new)
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == newest["id"]

    assert client.delete(f"/organisations/{newest['id']}").status_code == 204
    latest = create_organisation(client, name="Karolinska Institutet", country="SE")
    assert latest["id"] == newest["id"] + 1
    gone = assert_problem(client.get(f"/organisations/{newest['id']}"), 404)
    assert gone["detail"] == f"No organisation with id {newest['id']}."
    earlier = assert_problem(client.get(f"/organisations/{absorbed['id']}"), 404)
    assert earlier["detail"] == (
        f"Organisation {absorbed['id']} was merged into organisation {survivor['id']}: "
        f"read /organisations/{survivor['id']}."
    )
