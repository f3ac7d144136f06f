"""`matchmaker sync calls`: created, updated, closed and unchanged calls, once or repeatedly."""

import json
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from matchmaker.cli.main import app
from matchmaker.cli.sync import sync_app
from matchmaker.importers import sync as sync_module
from matchmaker.importers.runner import SourceError, import_calls
from matchmaker.importers.sync import (
    IDENTIFIERS_SHOWN,
    SyncState,
    parse_interval,
    repeat,
    source_key,
    sync_calls,
)
from models.call import Call, CallStatus, call_status
from models.change import Change, Entity
from models.common import StakeholderType
from models.consortium import Consortium
from models.organisation import Organisation
from tests.factories import call_source, write_calls

RECORDED = Path(__file__).resolve().parents[2] / "data" / "portal" / "topics-page-1.json"
TODAY = date(2025, 3, 1)
PARKINSON = "HORIZON-HLTH-2025-01-DISEASE-04"
TWO_STAGE = "HORIZON-JU-IHI-2025-09-02-TWO-STAGE"


def stored(engine: Engine) -> dict[str, Call]:
    """Every call, by identifier."""
    with Session(engine) as session:
        return {row.identifier: row for row in session.scalars(select(Call)).all()}


def changes_for(engine: Engine, call_id: int | None) -> int:
    """How many change-log rows name this call."""
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Change)
                .where(col(Change.entity) == Entity.call.value, col(Change.entity_id) == call_id)
            )
            or 0
        )


def snapshot(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """What a sync decides about each call: its texts, dates and version."""
    return {
        identifier: (row.title, row.description, row.opening_date, row.deadline, row.version)
        for identifier, row in stored(engine).items()
    }


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """Where the syncs of a test remember their sources (a folder of its own, which a sync
    does not create)."""
    folder = tmp_path / "state"
    folder.mkdir()
    return folder / "calls-sync.json"


def test_first_sync_creates_and_second_changes_nothing(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """A first sync creates every call; a second with the same source changes nothing, says so."""
    source = write_calls(tmp_path / "calls.json", [call_source("T-1"), call_source("T-2")])

    first = sync_calls(engine, source, state_path=state, today=TODAY)
    assert (first.created, first.updated, first.closed, first.unchanged) == (
        ["T-1", "T-2"],
        [],
        [],
        [],
    )
    assert first.lines()[:2] == [
        f"calls from {source.resolve()}: 2 created, 0 updated, 0 closed, 0 unchanged, 0 rejected.",
        "Created: T-1, T-2",
    ]
    before = snapshot(engine)

    second = sync_calls(engine, source, state_path=state, today=TODAY)
    assert not second.changed
    assert (second.created, second.updated, second.closed) == ([], [], [])
    assert sorted(second.unchanged) == ["T-1", "T-2"]
    assert second.lines()[-1] == "Nothing changed."
    assert snapshot(engine) == before
    assert SyncState.load(state).sources == {source_key(source): ["T-1", "T-2"]}


def test_changed_dates_and_texts_are_updated_with_version_and_change_log(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """A changed deadline or description is written as any write: version up, change logged."""
    path = tmp_path / "calls.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("T-2")]),
        state_path=state,
        today=TODAY,
    )
    t1 = stored(engine)["T-1"]
    logged = changes_for(engine, t1.id)

    write_calls(
        path,
        [call_source("T-1", deadline="2025-07-15", description="New scope."), call_source("T-2")],
    )
    summary = sync_calls(engine, path, state_path=state, today=TODAY)

    assert (summary.updated, summary.unchanged, summary.closed) == (["T-1"], ["T-2"], [])
    assert "Updated: T-1" in summary.lines()
    after = stored(engine)["T-1"]
    assert (after.deadline, after.description, after.version) == (
        date(2025, 7, 15),
        "New scope.",
        2,
    )
    assert changes_for(engine, t1.id) == logged + 1
    assert stored(engine)["T-2"].version == 1


def test_vanished_call_is_closed_never_deleted_even_with_a_draft(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """A call the source no longer lists is closed by date (deadline the day before the sync);
    the row, and the draft written for it, stay."""
    path = tmp_path / "calls.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("T-2")]),
        state_path=state,
        today=TODAY,
    )
    t2 = stored(engine)["T-2"]
    with Session(engine) as session:
        organisation = Organisation(
            name="Lab", stakeholder_type=StakeholderType.academia, country="BE"
        )
        session.add(organisation)
        session.flush()
        assert organisation.id is not None
        assert t2.id is not None
        session.add(Consortium(name="Draft", call_id=t2.id, owner_organisation_id=organisation.id))
        session.commit()
    logged = changes_for(engine, t2.id)

    summary = sync_calls(
        engine, write_calls(path, [call_source("T-1")]), state_path=state, today=TODAY
    )

    assert (summary.closed, summary.unchanged) == (["T-2"], ["T-1"])
    assert "Closed: T-2" in summary.lines()
    closed = stored(engine)["T-2"]
    assert closed.deadline == TODAY - timedelta(days=1)
    assert call_status(closed.opening_date, closed.deadline, TODAY) is CallStatus.closed
    assert closed.version == 2
    assert changes_for(engine, t2.id) == logged + 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Consortium)) == 1

    again = sync_calls(engine, path, state_path=state, today=TODAY)
    assert not again.changed
    assert stored(engine)["T-2"].version == 2


def test_forthcoming_vanished_call_is_closed_with_its_opening_moved(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """A forthcoming call that vanishes closes too (the opening may not follow the deadline);
    a call already past its deadline is left as it is."""
    path = tmp_path / "calls.json"
    listing = [
        call_source("T-1"),
        call_source("SOON", opening_date="2025-05-01", deadline="2025-09-01"),
        call_source("PAST", opening_date="2024-01-01", deadline="2024-06-01"),
    ]
    sync_calls(engine, write_calls(path, listing), state_path=state, today=TODAY)

    summary = sync_calls(
        engine, write_calls(path, [call_source("T-1")]), state_path=state, today=TODAY
    )

    assert summary.closed == ["SOON"]
    assert sorted(summary.unchanged) == ["PAST", "T-1"]
    soon = stored(engine)["SOON"]
    assert (soon.opening_date, soon.deadline) == (TODAY - timedelta(days=1),) * 2
    assert stored(engine)["PAST"].version == 1


def test_relisted_call_reopens_with_the_sources_dates(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """A closed call that the source lists again gets its dates back."""
    path = tmp_path / "calls.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("T-2")]),
        state_path=state,
        today=TODAY,
    )
    sync_calls(engine, write_calls(path, [call_source("T-1")]), state_path=state, today=TODAY)

    summary = sync_calls(
        engine, write_calls(path, [call_source("T-1"), call_source("T-2")]), state_path=state
    )

    assert summary.updated == ["T-2"]
    assert stored(engine)["T-2"].deadline == date(2025, 6, 30)


def test_calls_from_other_sources_are_left_alone(
    engine: Engine, tmp_path: Path, state: Path
) -> None:
    """Only calls this source listed on its last sync are closed: not imported ones, not
    those another source still lists."""
    import_calls(engine, write_calls(tmp_path / "by-hand.json", [call_source("HAND-1")]))
    other = write_calls(tmp_path / "other.json", [call_source("SHARED"), call_source("O-1")])
    sync_calls(engine, other, state_path=state, today=TODAY)
    path = tmp_path / "calls.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("SHARED")]),
        state_path=state,
        today=TODAY,
    )

    summary = sync_calls(
        engine, write_calls(path, [call_source("T-2")]), state_path=state, today=TODAY
    )

    assert (summary.created, summary.closed) == (["T-2"], ["T-1"])
    calls = stored(engine)
    for identifier in ("HAND-1", "SHARED", "O-1"):
        assert calls[identifier].version == 1, identifier
        assert calls[identifier].deadline == date(2025, 6, 30)
    assert SyncState.load(state).listed(source_key(other)) == {"SHARED", "O-1"}


def test_an_empty_source_closes_nothing(engine: Engine, tmp_path: Path, state: Path) -> None:
    """An empty answer (an outage, a wrong query) leaves the calls open and the state as it was."""
    path = tmp_path / "calls.json"
    sync_calls(engine, write_calls(path, [call_source("T-1")]), state_path=state, today=TODAY)

    summary = sync_calls(engine, write_calls(path, []), state_path=state, today=TODAY)

    assert summary.closed == []
    assert summary.notes == ["the source lists no calls; the 1 call it listed before is left open"]
    assert stored(engine)["T-1"].version == 1
    assert SyncState.load(state).listed(source_key(path)) == {"T-1"}


def test_sync_stopped_half_way_and_run_again_ends_as_one_clean_run(
    engine: Engine, tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after the calls were written but before the closing and the state, a re-run
    writes each change once: versions and dates as one clean run leaves them."""
    path = tmp_path / "calls.json"
    sync_calls(
        engine,
        write_calls(path, [call_source("T-1"), call_source("T-2"), call_source("T-3")]),
        state_path=state,
        today=TODAY,
    )
    write_calls(
        path, [call_source("T-1", deadline="2025-08-01"), call_source("T-3"), call_source("T-4")]
    )

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(sync_module, "close_calls", interrupted)
        with pytest.raises(KeyboardInterrupt):
            sync_calls(engine, path, state_path=state, today=TODAY, batch_size=1)
    assert "T-4" in stored(engine)

    rerun = sync_calls(engine, path, state_path=state, today=TODAY)

    assert (rerun.created, rerun.updated, rerun.closed) == ([], [], ["T-2"])
    assert snapshot(engine) == {
        "T-1": ("Topic T-1", "Scope of the topic.", date(2025, 1, 10), date(2025, 8, 1), 2),
        "T-2": ("Topic T-2", "Scope of the topic.", date(2025, 1, 10), date(2025, 2, 28), 2),
        "T-3": ("Topic T-3", "Scope of the topic.", date(2025, 1, 10), date(2025, 6, 30), 1),
        "T-4": ("Topic T-4", "Scope of the topic.", date(2025, 1, 10), date(2025, 6, 30), 1),
    }
    assert not sync_calls(engine, path, state_path=state, today=TODAY).changed


def test_sync_reads_portal_results_from_a_url(engine: Engine, state: Path) -> None:
    """The recorded portal answer, fetched through an httpx MockTransport: created, then
    a topic dropped from the answer is closed."""
    payload = json.loads(RECORDED.read_text(encoding="utf-8"))
    answers = [payload, {**payload, "results": payload["results"][:2]}]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.tech.ec.europa.eu"
        return httpx.Response(200, json=answers.pop(0))

    url = "https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&text=***"
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        first = sync_calls(engine, url, state_path=state, client=client, today=TODAY)
        second = sync_calls(engine, url, state_path=state, client=client, today=TODAY)

    assert sorted(first.created) == [PARKINSON, TWO_STAGE]
    assert (second.closed, second.unchanged) == ([TWO_STAGE], [PARKINSON])
    assert first.source == url
    assert stored(engine)[TWO_STAGE].deadline == TODAY - timedelta(days=1)


def test_parse_interval() -> None:
    """Intervals in seconds, minutes, hours or days; nothing else, nothing of zero length,
    and never a bare number (seconds or hours? the command cannot know)."""
    assert parse_interval("6h") == 6 * 3600
    assert parse_interval("30m") == 1800
    assert parse_interval("1d") == 86400
    assert parse_interval("0.01s") == 0.01
    assert parse_interval("90S") == 90
    for bad in ("", "h", "6 weeks", "0s", "-1h"):
        with pytest.raises(ValueError, match=r"interval|longer than zero"):
            parse_interval(bad)
    with pytest.raises(ValueError, match=r"'5' has no unit: write 5s, 5m, 5h or 5d"):
        parse_interval("5")


def test_repeat_runs_rounds_every_interval() -> None:
    """Rounds start `every` seconds apart: the wait is what the round left of the interval."""
    now = [0.0]
    ran: list[tuple[int, float]] = []
    waits: list[float] = []

    def run(number: int) -> None:
        ran.append((number, now[0]))
        now[0] += 2.0  # each round takes 2 s

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    assert repeat(run, 5.0, rounds=3, sleep=sleep, clock=lambda: now[0]) == 3
    assert ran == [(1, 0.0), (2, 5.0), (3, 10.0)]
    assert waits == [3.0, 3.0]


# --------------------------------------------------------------------------------------------
# The command line


def test_cli_sync_once_prints_what_changed(
    engine: Engine, tmp_path: Path, state: Path, cli_env: dict[str, str]
) -> None:
    """`matchmaker sync calls SOURCE` syncs once and prints the summary with identifiers."""
    source = write_calls(tmp_path / "calls.json", [call_source("T-1")])
    result = CliRunner().invoke(
        sync_app, ["calls", str(source), "--state", str(state)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"calls from {source.resolve()}: 1 created, 0 updated, 0 closed, 0 unchanged, "
        "0 rejected.\nCreated: T-1\n"
    )


def test_cli_sync_lists_the_first_identifiers_unless_asked_for_all(
    engine: Engine, tmp_path: Path, state: Path, cli_env: dict[str, str]
) -> None:
    """A sync that creates many calls (a first sync of the Portal: about 1,750) prints the
    first identifiers of each kind and how many more; `--all` prints every one."""
    identifiers = [f"T-{n:02}" for n in range(IDENTIFIERS_SHOWN + 5)]
    source = write_calls(tmp_path / "calls.json", [call_source(i) for i in identifiers])
    result = CliRunner().invoke(
        sync_app, ["calls", str(source), "--state", str(state)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    created = result.output.splitlines()[1]
    assert created == f"Created: {', '.join(identifiers[:IDENTIFIERS_SHOWN])} and 5 more"

    more = [f"U-{n:02}" for n in range(IDENTIFIERS_SHOWN + 5)]
    other = write_calls(tmp_path / "more.json", [call_source(i) for i in more])
    result = CliRunner().invoke(
        sync_app, ["calls", str(other), "--state", str(state), "--all"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == f"Created: {', '.join(more)}"


def test_cli_sync_every_repeats_the_sync(
    engine: Engine, tmp_path: Path, state: Path, cli_env: dict[str, str]
) -> None:
    """`--every` syncs again and again (here twice, with the hidden --rounds); the second
    round finds nothing to change."""
    source = write_calls(tmp_path / "calls.json", [call_source("T-1")])
    result = CliRunner().invoke(
        sync_app,
        ["calls", str(source), "--state", str(state), "--every", "0.01s", "--rounds", "2"],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("] sync ") == 2
    assert "] sync 2\n" in result.output
    assert "Created: T-1" in result.output
    assert result.output.rstrip().endswith("Nothing changed.")


def test_cli_every_keeps_going_after_a_failed_round(
    engine: Engine, state: Path, cli_env: dict[str, str]
) -> None:
    """An unreachable source fails one round, not the repeating sync; once, it exits 1."""
    url = "https://calls.example/calls.json"
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503))) as client:
        repeated = CliRunner().invoke(
            sync_app,
            ["calls", url, "--state", str(state), "--every", "0.01s", "--rounds", "2"],
            env=cli_env,
            obj={"http_client": client},
        )
        once = CliRunner().invoke(
            sync_app,
            ["calls", url, "--state", str(state)],
            env=cli_env,
            obj={"http_client": client},
        )
    assert repeated.exit_code == 0, repeated.output
    assert repeated.output.count("Error: Could not fetch") == 2
    assert once.exit_code == 1
    assert once.output == f"Error: Could not fetch {url}: HTTP 503 Service Unavailable.\n"


def _unboxed(output: str) -> str:
    """A usage error's words without the box rich draws around them, in one line."""
    return " ".join(output.replace("│", " ").split())


def test_cli_rejects_a_bad_interval(
    engine: Engine, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """A malformed --every is a wrong command line: a usage error naming the option, exit code
    2 as for any option's bad value (it was 1, as for a source that cannot be read)."""
    for every, said in [
        ("soon", "'soon' is not an interval such as 6h, 30m, 90s or 1d."),
        ("5", "'5' has no unit: write 5s, 5m, 5h or 5d (seconds, minutes, hours or days)."),
        ("0s", "'0s' must be longer than zero."),
    ]:
        result = CliRunner().invoke(
            sync_app, ["calls", str(tmp_path / "x.json"), "--every", every], env=cli_env
        )
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '--every': {said}" in _unboxed(result.output)


def test_cli_refuses_a_state_file_in_a_missing_folder(
    engine: Engine, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """--state in a folder that does not exist is refused before the sync, with the words of
    `db backup`, and the folder is not made (it was, silently, with its parents); a folder
    given as --state is named as such."""
    source = write_calls(tmp_path / "calls.json", [call_source("T-1")])
    nowhere = tmp_path / "nowhere" / "deeper" / "state.json"

    missing = CliRunner().invoke(
        sync_app, ["calls", str(source), "--state", str(nowhere)], env=cli_env
    )
    folder = CliRunner().invoke(
        sync_app, ["calls", str(source), "--state", str(tmp_path)], env=cli_env
    )

    assert (missing.exit_code, missing.output) == (
        1,
        f"Error: --state: the folder {nowhere.parent} does not exist; create it or name another.\n",
    )
    assert (folder.exit_code, folder.output) == (
        1,
        f"Error: --state {tmp_path} is a folder; name the file to write.\n",
    )
    assert not (tmp_path / "nowhere").exists()
    assert stored(engine) == {}


def test_a_sync_refuses_a_state_file_in_a_missing_folder_before_writing(
    engine: Engine, tmp_path: Path
) -> None:
    """`sync_calls` itself refuses a state file whose folder does not exist before it imports
    anything, and makes no folder."""
    source = write_calls(tmp_path / "calls.json", [call_source("T-1")])
    nowhere = tmp_path / "nowhere" / "state.json"

    with pytest.raises(SourceError) as refused:
        sync_calls(engine, source, state_path=nowhere, today=TODAY)

    assert str(refused.value) == (
        f"The folder {nowhere.parent} of the sync state {nowhere} does not exist; create it or "
        "name another."
    )

    assert not nowhere.parent.exists()
    assert stored(engine) == {}


def test_cli_every_keeps_going_after_a_round_the_database_refused(tmp_path: Path) -> None:
    """A round that finds the SQLite database locked past the busy timeout prints one error
    line, not a traceback that ends the repeating sync; the next round syncs."""
    database = tmp_path / "m.db"
    env = {
        "MATCHMAKER_DATABASE_URL": f"sqlite:///{database}",
        "MATCHMAKER_SQLITE_BUSY_TIMEOUT_MS": "50",
    }
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    source = write_calls(tmp_path / "calls.json", [call_source("T-1")])
    arguments = ["calls", str(source), "--state", str(tmp_path / "state.json")]
    holder = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock through the first round
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        result = CliRunner().invoke(
            sync_app, [*arguments, "--every", "1s", "--rounds", "2"], env=env
        )
    finally:
        release.join()
        holder.close()

    assert result.exit_code == 0, result.output
    first, second = result.output.split("] sync 2\n")
    assert "] sync 1\nError: the database refused the command (database is locked).\n[" in first
    assert "Created: T-1" in second
