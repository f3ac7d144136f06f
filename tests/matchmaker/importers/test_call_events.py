"""Calls created or reopened by the imports and `matchmaker sync calls` are announced to saved
searches as calls created over the API are: one notification job per call, written with it."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.importers.runner import import_calls
from matchmaker.importers.sync import sync_calls
from matchmaker.partnering import events
from matchmaker.partnering.fanout import run_events
from models.call import Call
from models.partnering import OutboxMessage
from models.saved_search import NotificationJob
from tests.factories import call_source, create_organisation, write_calls

TODAY = date(2025, 3, 1)


def announced(engine: Engine) -> list[str]:
    """The identifiers of the calls that call jobs name, one per job, in job order."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(NotificationJob.kind), col(Call.identifier))
            .join(Call, col(Call.id) == col(NotificationJob.item_id))
            .order_by(col(NotificationJob.id))
        ).all()
    assert {kind for kind, _ in rows} <= {"call"}
    return [identifier for _, identifier in rows]


def test_import_announces_each_new_call_once_but_not_closed_ones(
    engine: Engine, tmp_path: Path
) -> None:
    """Open and forthcoming calls get one job each; a closed one and a re-run get none."""
    source = write_calls(
        tmp_path / "calls.json",
        [
            call_source("OPEN-1"),
            call_source("PAST-1", opening_date="2024-01-10", deadline="2024-06-30"),
            call_source("LATER-1", opening_date="2025-05-01", deadline="2025-09-30"),
            call_source("NO-DEADLINE", opening_date=None, deadline=None),
        ],
    )
    summary = import_calls(engine, source, today=TODAY, batch_size=2)
    assert summary.created == 4
    assert sorted(announced(engine)) == ["LATER-1", "NO-DEADLINE", "OPEN-1"]
    with Session(engine) as session:
        jobs = session.scalars(select(NotificationJob)).all()
    assert all(job.done_at is None and job.created_at is not None for job in jobs)

    again = import_calls(engine, source, today=TODAY)
    assert again.unchanged == 4
    assert sorted(announced(engine)) == ["LATER-1", "NO-DEADLINE", "OPEN-1"]


def test_sync_announces_created_and_reopened_calls_not_changed_ones(
    engine: Engine, tmp_path: Path
) -> None:
    """A new deadline is no news; a call closed by a sync and listed again is announced again
    (the notification keys still keep a search from hearing of the same call twice)."""
    path = tmp_path / "calls.json"
    state = tmp_path / "state.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("T-2")]),
        state_path=state,
        today=TODAY,
    )
    assert announced(engine) == ["T-1", "T-2"]

    changed = sync_calls(
        engine,
        write_calls(path, [call_source("T-1", deadline="2025-07-15")]),
        state_path=state,
        today=TODAY,
    )
    assert (changed.updated, changed.closed) == (["T-1"], ["T-2"])
    assert announced(engine) == ["T-1", "T-2"]

    reopened = sync_calls(
        engine,
        write_calls(path, [call_source("T-1", deadline="2025-07-15"), call_source("T-2")]),
        state_path=state,
        today=TODAY + timedelta(days=1),
    )
    assert reopened.updated == ["T-2"]
    assert announced(engine) == ["T-1", "T-2", "T-2"]


def test_jobs_commit_with_their_batch_or_not_at_all(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails after its jobs were added leaves neither calls nor jobs behind."""
    original = events.record_many

    def record_then_fail(session: Session, **arguments: Any) -> None:
        original(session, **arguments)
        raise RuntimeError("the import stops here")

    monkeypatch.setattr(events, "record_many", record_then_fail)
    with pytest.raises(RuntimeError):
        import_calls(
            engine, write_calls(tmp_path / "calls.json", [call_source("T-1")]), today=TODAY
        )
    with Session(engine) as session:
        assert session.scalars(select(Call)).all() == []
        assert session.scalars(select(NotificationJob)).all() == []


def test_synced_call_reaches_fitting_saved_searches(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    """A call that arrives by `sync calls` is matched by the next delivery pass against saved
    searches, a text one and a "fits my profile" one, and told to each owner once; a foreign
    call, and the same sync run again, tell nobody."""
    watcher = create_organisation(client, name="Biopsy Watchers", description="Soil science.")
    profiled = create_organisation(client, name="Leiden Oncology")  # liquid biopsy, oncology
    for owner, body in (
        (watcher, {"target": "calls", "text": "liquid biopsy cancer detection"}),
        (profiled, {"target": "calls", "fits_profile": True}),
    ):
        answer = client.post(
            f"/organisations/{owner['id']}/saved-searches",
            json=body,
            headers={"Authorization": f"Bearer {owner['api_key']}"},
        )
        assert answer.status_code == 201, answer.text
    run_events(engine, base_url="https://matchmaker.example")  # the profiles' own jobs
    deadline = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    source = write_calls(
        tmp_path / "calls.json",
        [
            call_source(
                "HLTH-BIOPSY",
                title="Liquid biopsy for early cancer detection in oncology",
                opening_date=None,
                deadline=deadline,
            ),
            call_source(
                "SOIL-1", title="Municipal waste water", opening_date=None, deadline=deadline
            ),
        ],
    )
    for _ in range(2):
        sync_calls(engine, source, state_path=tmp_path / "state.json")
        run_events(engine, base_url="https://matchmaker.example")

    with Session(engine) as session:
        messages = session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.event) == "call_matches_search")
            .order_by(col(OutboxMessage.organisation_id))
        ).all()
    subject = "New call: HLTH-BIOPSY Liquid biopsy for early cancer detection in oncology"
    assert [(message.organisation_id, message.subject) for message in messages] == [
        (watcher["id"], subject),
        (profiled["id"], subject),
    ]
