"""A deleted profile leaves nothing readable in the SQLite files: not its contact address in a
free page, not its words in the full-text index's older segments, not its pages in the
write-ahead log."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_organisation
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
    # Written, and found by full-text search, before the delete.
    assert client.get("/organisations", params={"q": "qwzxvbn"}).json()["total"] == 1
    assert _holding(folder)[EMAIL]
    response = keyed(client, created["api_key"]).delete(f"/organisations/{created['id']}")
    assert response.status_code == 204
    assert client.get("/organisations", params={"q": "qwzxvbn"}).json()["total"] == 0
    # While the service runs (its connections open, the log kept): nothing in any file.
    assert _holding(folder) == {EMAIL: [], "qwzxvbn": []}
