"""A deleted profile leaves nothing readable in the SQLite files: not its contact address in a
free page, not its words in the full-text index's older segments, not its pages in the
write-ahead log."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_call, create_organisation
from tests.helpers import keyed

EMAIL = "erasure.contact@qwzx-biobank.example"
NAME = "Qwzxvbn Biobank"
DESCRIPTION = "Frozen tissue from qwzxvbn cohorts"


def _holding(folder: Path) -> dict[str, list[str]]:
    """Which of the database's files hold each of the profile's strings (raw bytes)."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    return {
        needle: [
            str(path.relative_to(folder)) for path in files if needle.encode() in path.read_bytes()
        ]
        for needle in (EMAIL, "qwzxvbn")
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deleted_profile_leaves_no_trace_in_the_database_files(
    client: TestClient, database_url: str
) -> None:
    folder = Path(database_url.removeprefix("sqlite:///")).parent
    created = create_organisation(client, name=NAME, description=DESCRIPTION, contact_email=EMAIL)
    owner = keyed(client, created["api_key"])
    # Two other organisations hear of it: one is told its address (an accepted request), the
    # other is sent its message. Both notifications wait in the outbox (no worker runs).
    asker, written = (create_organisation(client, name=name) for name in ("Asker Lab", "Writ Lab"))
    call_id = create_call(client)["id"]
    asked = keyed(client, asker["api_key"]).post(
        f"/organisations/{created['id']}/contact-requests",
        json={"call_id": call_id, "message": "Shall we talk?"},
    )
    assert asked.status_code == 201, asked.text
    assert owner.post(f"/contact-requests/{asked.json()['id']}/accept").status_code == 200
    wrote = owner.post(
        f"/organisations/{written['id']}/contact-requests",
        json={"call_id": call_id, "message": "Our qwzxvbn cohorts could serve your study."},
    )
    assert wrote.status_code == 201, wrote.text
    # Written, and found by full-text search, before the delete.
    assert client.get("/organisations", params={"q": "qwzxvbn"}).json()["total"] == 1
    assert _holding(folder)[EMAIL]
    assert "Qwzxvbn" in _notifications(client, asker)
    assert "qwzxvbn" in _notifications(client, written)
    response = owner.delete(f"/organisations/{created['id']}")
    assert response.status_code == 204
    assert client.get("/organisations", params={"q": "qwzxvbn"}).json()["total"] == 0
    # The notifications about it went with it.
    assert "wzxvbn" not in _notifications(client, asker) + _notifications(client, written)
    # While the service runs (its connections open, the log kept): nothing in any file.
    assert _holding(folder) == {EMAIL: [], "qwzxvbn": []}


def _notifications(client: TestClient, organisation: dict[str, Any]) -> str:
    """The subjects and text of the notifications queued or sent to an organisation."""
    exported = keyed(client, organisation["api_key"]).get(
        f"/organisations/{organisation['id']}/export"
    )
    assert exported.status_code == 200, exported.text
    return " ".join(
        f"{item['subject']} {item['body']}" for item in exported.json()["notifications"]
    )
