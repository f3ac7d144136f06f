"""Concurrent writers: no acknowledged update is ever lost, on either database."""

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from matchmaker.keys import MAX_ACTIVE_KEYS
from tests.factories import create_organisation
from tests.helpers import bearer

WRITERS = 4
WRITES_EACH = 6


def test_read_modify_write_with_if_match_loses_no_update(client: TestClient) -> None:
    """Writers that append to a description under If-Match all land, each exactly once."""
    created = create_organisation(client, description="start")
    url = f"/organisations/{created['id']}"

    def writer(number: int) -> int:
        conflicts = 0
        for write in range(WRITES_EACH):
            while True:
                current = client.get(url)
                body = current.json()
                response = client.patch(
                    url,
                    json={"description": f"{body['description']} w{number}-{write}"},
                    headers={"If-Match": current.headers["etag"]},
                )
                if response.status_code == 200:
                    break
                assert response.status_code == 412, response.text
                conflicts += 1
        return conflicts

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    final = client.get(url).json()
    tokens = final["description"].split()[1:]
    expected = {f"w{n}-{w}" for n in range(WRITERS) for w in range(WRITES_EACH)}
    assert sorted(tokens) == sorted(expected)
    assert final["version"] == 1 + WRITERS * WRITES_EACH


def test_concurrent_writes_to_different_fields_all_land(client: TestClient) -> None:
    """Blind PATCHes of different fields at the same time are all applied."""
    created = create_organisation(client)
    url = f"/organisations/{created['id']}"
    changes: list[dict[str, object]] = [
        {"city": "Gent"},
        {"keywords": ["proteomics"]},
        {"website": "https://example.org/"},
        {"description": "New description"},
        {"name": "Renamed"},
        {"country": "BE"},
    ]
    with ThreadPoolExecutor(len(changes)) as pool:
        statuses = list(
            pool.map(lambda change: client.patch(url, json=change).status_code, changes)
        )
    assert statuses == [200] * len(changes)
    final = client.get(url).json()
    for change in changes:
        for field, value in change.items():
            assert final[field] == value
    assert final["version"] == 1 + len(changes)


def test_concurrent_creates_are_all_stored(client: TestClient) -> None:
    """Every acknowledged create is in the database afterwards, with distinct ids."""
    with ThreadPoolExecutor(WRITERS) as pool:
        ids = list(
            pool.map(lambda n: create_organisation(client, name=f"Org {n}")["id"], range(20))
        )
    assert len(set(ids)) == 20
    assert client.get("/organisations", params={"limit": 200}).json()["total"] == 20


def test_concurrent_key_issues_never_pass_the_key_limit(
    client: TestClient, anonymous: TestClient
) -> None:
    """An organisation a few keys short of MAX_ACTIVE_KEYS, issued more at once by its own key
    and by an admin: exactly as many as fit are issued, the others are 409."""
    organisation = create_organisation(client)
    own = bearer(organisation["api_key"])
    path = f"/organisations/{organisation['id']}/keys"
    room = 3
    for _ in range(MAX_ACTIVE_KEYS - 1 - room):
        client.post(path).raise_for_status()

    def issue(number: int) -> int:
        if number % 2:
            body = {"role": "organisation", "organisation_id": organisation["id"]}
            return client.post("/admin/keys", json=body).status_code
        return anonymous.post(path, headers=own).status_code

    with ThreadPoolExecutor(3 * room) as pool:
        statuses = list(pool.map(issue, range(3 * room)))
    assert sorted(statuses) == [201] * room + [409] * (2 * room)
    keys = client.get(path, params={"limit": 200}).json()["items"]
    assert sum(key["revoked_at"] is None for key in keys) == MAX_ACTIVE_KEYS
