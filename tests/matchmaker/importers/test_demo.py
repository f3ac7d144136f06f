"""The shipped demo data: what it holds, and loading it only into an empty database."""

import json
import re
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.calls import list_calls
from matchmaker.importers.demo import CALLS_JSON, ORGANISATIONS_JSON, load_demo
from matchmaker.importers.runner import import_calls
from matchmaker.importers.type_overrides import TYPE_OVERRIDES
from models.call import Call, call_status
from models.common import StakeholderType
from models.organisation import Organisation

DEMO_TODAY = date(2026, 11, 29)
ORGANISATION_FIELDS = ("name", "stakeholder_type", "country", "city", "description", "website")
CALL_FIELDS = ("title", "programme", "description", "required_stakeholders", "min_countries")


def demo(path: Any) -> list[dict[str, Any]]:
    """One of the shipped JSON files."""
    return json.loads(path.read_text(encoding="utf-8"))


def test_load_demo_fills_an_empty_database_with_what_the_json_holds(engine: Engine) -> None:
    """Every shipped profile and call is stored field for field, and the summary says so."""
    organisations, calls = demo(ORGANISATIONS_JSON), demo(CALLS_JSON)

    loaded = load_demo(engine)

    assert loaded == f"{len(organisations)} organisations, {len(calls)} calls"
    with Session(engine) as session:
        stored = {row.external_id: row for row in session.scalars(select(Organisation))}
        stored_calls = {call.identifier: call for call in session.scalars(select(Call))}
    assert set(stored) == {item["external_id"] for item in organisations}
    for item in organisations:
        row = stored[item["external_id"]]
        assert {f: getattr(row, f) for f in ORGANISATION_FIELDS} == {
            f: item[f] for f in ORGANISATION_FIELDS
        }
        assert row.activities == item["activities"]
    assert set(stored_calls) == {item["identifier"] for item in calls}
    for item in calls:
        call = stored_calls[item["identifier"]]
        expected = {"min_countries": 3, **item}  # the default, where the topic set none
        assert {f: getattr(call, f) for f in CALL_FIELDS} == {f: expected[f] for f in CALL_FIELDS}
        assert (str(call.opening_date), str(call.deadline)) == (
            item["opening_date"],
            item["deadline"],
        )


def test_load_demo_leaves_a_database_with_a_call_alone(engine: Engine, tmp_path: Any) -> None:
    """A database that already holds a call gets no demo data and an empty summary."""
    source = tmp_path / "one.json"
    source.write_text(json.dumps([{"identifier": "OWN-1", "title": "Our own call"}]))
    import_calls(engine, source)

    assert load_demo(engine) == ""
    with Session(engine) as session:
        assert list(session.scalars(select(col(Call.identifier)))) == ["OWN-1"]
        assert session.scalars(select(col(Organisation.id))).first() is None


def test_second_load_demo_loads_nothing(engine: Engine) -> None:
    """Once loaded, the demo is not loaded again."""
    load_demo(engine)

    assert load_demo(engine) == ""


def test_demo_has_every_stakeholder_type_and_open_forthcoming_closed_calls() -> None:
    """The demo gives the consortium features all kinds of partner and calls of every status."""
    organisations, calls = demo(ORGANISATIONS_JSON), demo(CALLS_JSON)

    types = Counter(item["stakeholder_type"] for item in organisations)
    assert set(types) == set(StakeholderType)
    assert 300 <= len(organisations) <= 400
    assert 30 <= len(calls) <= 50
    statuses = Counter(
        call_status(
            date.fromisoformat(item["opening_date"]),
            date.fromisoformat(item["deadline"]),
            DEMO_TODAY,
        ).value
        for item in calls
    )
    assert set(statuses) == {"open", "forthcoming", "closed"}
    assert all(item["required_stakeholders"] for item in calls)


def test_demo_profiles_named_in_the_override_table_have_its_type() -> None:
    """The reported misfile (a data-ethics foundation shown as academia) is fixed in the demo,
    and every overridden organisation the demo holds still has the name that was reviewed."""
    by_id = {item["external_id"]: item for item in demo(ORGANISATIONS_JSON)}

    assert by_id["cordis:886718614"]["stakeholder_type"] == "other"
    for organisation_id, override in TYPE_OVERRIDES.items():
        item = by_id.get(f"cordis:{organisation_id}")
        if item is not None:
            assert (item["name"], item["stakeholder_type"]) == (
                override.name,
                override.stakeholder_type.value,
            )


def test_demo_files_stay_small() -> None:
    """Both JSON files together stay under 2 MB."""
    assert ORGANISATIONS_JSON.stat().st_size + CALLS_JSON.stat().st_size < 2_000_000


def test_demo_opens_on_an_open_ihi_style_health_call(engine: Engine) -> None:
    """The calls page (open first, nearest deadline first) starts with an open IHI-style call."""
    load_demo(engine)

    with Session(engine) as session:
        first_page, _ = list_calls(session, sort="deadline", today=DEMO_TODAY, limit=25, offset=0)
        health = [
            call
            for call in first_page
            if call.programme == "IHI"
            and call_status(call.opening_date, call.deadline, DEMO_TODAY).value == "open"
        ]

    assert first_page[0].programme == "IHI"
    assert len(health) == 3
    for call in health:
        mix = call.required_stakeholders
        assert {
            "academia",
            "industry",
            "sme",
            "patient_organisation",
            "healthcare_provider",
        } <= set(mix)
        assert mix["healthcare_provider"] >= 2
        assert call.identifier.startswith("DEMO-IHI-")
        assert "not an IHI call" in call.description


def test_demo_call_texts_keep_no_bullet_or_apostrophe_lost_to_a_question_mark() -> None:
    """No demo text starts a line with "?" or has one inside a word ("employees?s", "don?t")."""
    calls = demo(CALLS_JSON)
    texts = [call["description"] for call in calls] + [call["title"] for call in calls]

    assert [text for text in texts if re.search(r"(?m)^\s*\?\s|[a-z]\?(?:s|t)\b", text)] == []
