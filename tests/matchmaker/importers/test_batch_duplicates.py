"""Rows of one import that look like each other (same website host, near-identical name in the
same country) are noted in its summary, like rows that look like stored profiles; none is
merged."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from matchmaker.importers.runner import import_organisations_json
from models.organisation import Organisation


def _row(external_id: str, name: str, country: str, website: str | None = None) -> dict[str, Any]:
    return {
        "external_id": f"cordis:{external_id}",
        "name": name,
        "stakeholder_type": "sme",
        "country": country,
        "website": website,
    }


ROWS = [
    _row("999000001", "ONCOMARK DIAGNOSTICS BV", "NL", "https://www.oncomark.example/"),
    _row("999000002", "Oncomark Diagnostics B.V.", "NL"),
    _row("999000003", "Oncomark Labs", "DE", "http://oncomark.example/labs"),
    # The same name in another country, and a host many organisations share, are not telling.
    _row("999000004", "Oncomark Diagnostics", "BE"),
    _row("999000005", "Karolinska Institutet", "SE", "https://www.linkedin.com/company/ki"),
    _row("999000006", "Soil Works", "ES", "https://www.linkedin.com/company/soil"),
]


def _import(engine: Engine, tmp_path: Path, *, batch_size: int = 500) -> Any:
    source = tmp_path / "profiles.json"
    source.write_text(json.dumps(ROWS))
    return import_organisations_json(engine, source, batch_size=batch_size)


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Organisation)) or 0)


def test_lookalike_rows_of_one_batch_are_noted_and_all_created(
    engine: Engine, tmp_path: Path
) -> None:
    """The second Oncomark (same name, same country) and the third (same website host) are
    noted as duplicates of the first row; every row is created, none merged."""
    result = _import(engine, tmp_path)
    assert (result.created, result.possible_duplicates) == (6, 2)
    assert result.notes == [
        "cordis:999000002 'Oncomark Diagnostics B.V.' may be a duplicate of: "
        "cordis:999000001 'ONCOMARK DIAGNOSTICS BV' of this import (name)",
        "cordis:999000003 'Oncomark Labs' may be a duplicate of: "
        "cordis:999000001 'ONCOMARK DIAGNOSTICS BV' of this import (website)",
    ]
    assert _count(engine) == 6
    again = _import(engine, tmp_path)
    assert (again.created, again.unchanged, again.possible_duplicates, again.notes) == (0, 6, 0, [])


def test_lookalikes_across_batches_are_noted_as_stored_profiles(
    engine: Engine, tmp_path: Path
) -> None:
    """In batches of two, the first Oncomark is stored when the third row's batch is written:
    that row is noted with the stored profile's id, the second with the row of its batch."""
    result = _import(engine, tmp_path, batch_size=2)
    with Session(engine) as session:
        first = session.scalar(
            select(col(Organisation.id)).where(col(Organisation.external_id) == "cordis:999000001")
        )
    assert (result.created, result.possible_duplicates) == (6, 2)
    assert result.notes == [
        "cordis:999000002 'Oncomark Diagnostics B.V.' may be a duplicate of: "
        "cordis:999000001 'ONCOMARK DIAGNOSTICS BV' of this import (name)",
        f"cordis:999000003 'Oncomark Labs' may be a duplicate of: "
        f"{first} 'ONCOMARK DIAGNOSTICS BV' (website)",
    ]
    assert _count(engine) == 6
