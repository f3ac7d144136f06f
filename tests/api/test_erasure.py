"""A deleted profile leaves nothing readable in the SQLite files: not its contact address in a
free page, not its words in the full-text index's older segments, not its pages in the
write-ahead log. A deleted imported profile stays deleted: imports do not create it again
until an admin forgets the deletion."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from matchmaker.cli.imports import import_app
from matchmaker.importers.runner import import_cordis, import_organisations_json
from matchmaker.settings import Settings
from models.common import as_utc
from models.organisation import Organisation
from models.trust import DeletedRecord
from tests.factories import create_call, create_organisation
from tests.helpers import count_rows, keyed

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


@pytest.mark.sqlite_only
def test_a_deleted_profile_leaves_no_trace_in_the_database_files(
    client: TestClient, database_url: str
) -> None:
    folder = Path(database_url.removeprefix("sqlite:///")).parent
    created = create_organisation(client, name=NAME, description=DESCRIPTION, contact_email=EMAIL)
    owner = keyed(client, created["api_key"])
    # Two other organisations hear of it: one is told its address (an accepted request), the
    # other is sent its message (a third, below, has it in a draft). Both notifications wait
    # in the outbox (no worker runs).
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
    # A third has it in a draft: it is told, by name only, that the profile left it.
    drafting = create_organisation(client, name="Draft Lab")
    drafted = keyed(client, drafting["api_key"]).post(
        "/consortia",
        json={
            "name": "Cohorts",
            "call_id": call_id,
            "members": [{"organisation_id": created["id"]}],
        },
    )
    assert drafted.status_code == 201, drafted.text
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
    # The draft's owner hears that it left, under its public name (capitalised, so not the
    # description's "qwzxvbn" looked for in the files below), without its address.
    assert "Qwzxvbn Biobank deleted its profile" in _notifications(client, drafting)
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


EXTRACT = Path(__file__).resolve().parents[1] / "data" / "cordis"
MONTPELLIER = "cordis:888104744"


def _deleted(engine: Engine) -> list[tuple[str, datetime]]:
    """Every remembered deletion: (external id, when, in UTC)."""
    with Session(engine) as session:
        rows = session.scalars(select(DeletedRecord).order_by(col(DeletedRecord.external_id)))
        return [(row.external_id, as_utc(row.deleted_at)) for row in rows]


def _imported_id(engine: Engine, external_id: str) -> int | None:
    with Session(engine) as session:
        return session.scalar(
            select(col(Organisation.id)).where(col(Organisation.external_id) == external_id)
        )


def test_a_deleted_imported_profile_is_not_imported_again_until_forgotten(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    """Deleting an imported profile remembers its external id and when, nothing else; the next
    import skips it and says so; `matchmaker import forget-deletion` lets the one after create
    it again."""
    first = import_cordis(engine, EXTRACT)
    assert (first.created, first.notes) == (52, [])
    record = _imported_id(engine, MONTPELLIER)
    assert client.delete(f"/organisations/{record}").status_code == 204
    [(external_id, deleted_at)] = _deleted(engine)
    assert external_id == MONTPELLIER
    assert {column.name for column in DeletedRecord.__table__.columns} == {  # type: ignore[attr-defined]
        "external_id",
        "deleted_at",
    }

    again = import_cordis(engine, EXTRACT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 52)
    assert again.notes == [
        f"{MONTPELLIER} was deleted on request on {deleted_at:%Y-%m-%d}: not created again"
    ]
    assert (_imported_id(engine, MONTPELLIER), count_rows(engine, Organisation)) == (None, 51)

    env = {"MATCHMAKER_DATABASE_URL": settings.database_url}
    forgot = CliRunner().invoke(import_app, ["forget-deletion", MONTPELLIER], env=env)
    assert forgot.exit_code == 0, forgot.output
    assert forgot.stdout == (
        f"Forgot that {MONTPELLIER} was deleted (on {deleted_at:%Y-%m-%d}): the next import "
        "creates it again.\n"
    )
    assert _deleted(engine) == []
    unknown = CliRunner().invoke(import_app, ["forget-deletion", MONTPELLIER], env=env)
    assert (unknown.exit_code, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        f"Error: No deleted record {MONTPELLIER} is remembered: its profile was never deleted, "
        "or its deletion was forgotten already. Give the external id as the import report "
        "shows it, such as cordis:999991428.\n"
    )

    back = import_cordis(engine, EXTRACT)
    assert (back.created, back.unchanged, back.notes) == (1, 51, [])
    recreated = _imported_id(engine, MONTPELLIER)
    assert recreated is not None
    assert recreated > (record or 0)


def test_a_record_merged_into_a_deleted_profile_is_not_imported_again(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A record merged into a profile that is then deleted goes with it (its merge record is
    deleted too): the import does not create it again, nor can it be claimed. A profile with
    no external id and nothing merged into it leaves no deletion behind."""
    source = tmp_path / "profiles.json"
    source.write_text(
        json.dumps(
            [
                {
                    "external_id": "cordis:999991428",
                    "name": "Oncomark",
                    "stakeholder_type": "sme",
                    "country": "NL",
                    "website": "https://www.oncomark.example/",
                }
            ]
        )
    )
    assert import_organisations_json(engine, source).created == 1
    imported = client.get("/organisations").json()["items"][0]
    survivor = create_organisation(client, name="Oncomark Diagnostics", stakeholder_type="sme")
    plain = create_organisation(client, name="Karolinska Institutet", country="SE")
    assert client.delete(f"/organisations/{plain['id']}").status_code == 204
    assert _deleted(engine) == []
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": imported["id"]}
    )
    assert merged.status_code == 200, merged.text
    assert client.delete(f"/organisations/{survivor['id']}").status_code == 204
    [(external_id, deleted_at)] = _deleted(engine)
    assert external_id == "cordis:999991428"

    again = import_organisations_json(engine, source)
    assert (again.created, again.unchanged) == (0, 1)
    assert again.notes == [
        f"cordis:999991428 was deleted on request on {deleted_at:%Y-%m-%d}: not created again"
    ]
    assert client.get("/organisations").json()["total"] == 0

    claimant = create_organisation(client, name="Oncomark BV", stakeholder_type="sme")
    claim = keyed(client, claimant["api_key"]).post(
        f"/organisations/{claimant['id']}/claims", json={"record": "999991428"}
    )
    assert claim.status_code == 404, claim.text
    assert claim.json()["detail"] == (
        f"The record cordis:999991428 was deleted on request on {deleted_at:%Y-%m-%d} and is "
        "not imported again, so there is nothing to claim; if it is yours and should be "
        "listed again, write to the service's administrators."
    )
