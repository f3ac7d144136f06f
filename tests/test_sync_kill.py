"""Killing a real `matchmaker sync calls` half-way and running it again leaves what one clean
sync leaves: the same calls, versions, change-log rows and sync state.

The source is a named pipe that serves the recorded CORDIS topics (`tests/data/cordis`) and
stalls after the first part: a real slow source, read by the real command in its own process.
The sync streams a topics CSV and commits every `BATCH_SIZE` calls, so when the first batch is
in the database and the command waits on the pipe for the rest, it has written part of the
changes, deterministically. (A slow HTTP source would not do: a URL is downloaded whole before
any row is written, so a kill during the download writes nothing.)
"""

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import col

from matchmaker import db
from matchmaker.importers.runner import BATCH_SIZE
from models.call import Call
from models.change import Change, Entity

RECORDED = Path(__file__).parent / "data" / "cordis" / "topics.csv"
COPIES = 130  # each recorded topic is listed this many times under new identifiers
FIRST_DEADLINE, SECOND_DEADLINE = "2030-06-30", "2030-09-30"
HEAD_ROWS = BATCH_SIZE + 100  # what the slow source sends before it stalls: one whole batch

# Syncs about 1,200 calls four times (one run killed) in subprocesses.
pytestmark = pytest.mark.slow


def _topics(*, copies: range, deadline: str) -> list[str]:
    """The header and one CSV text per row: each recorded topic under `copies` new codes."""
    with RECORDED.open(newline="", encoding="utf-8") as source:
        recorded = list(csv.DictReader(source))
    fields = list(recorded[0])
    rows = [
        {
            **row,
            "topic": f"{row['topic']}-K{copy:03d}",
            "opening_date": "2030-01-10T00:00:00",
            "deadline": f"{deadline}T17:00:00",
        }
        for copy in copies
        for row in recorded
    ]
    return [_csv_line(fields, dict(zip(fields, fields, strict=True)))] + [
        _csv_line(fields, row) for row in rows
    ]


def _csv_line(fields: list[str], row: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fields).writerow(row)
    return buffer.getvalue()


def _sync(database_url: str, source: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "matchmaker.cli.main",
            "sync",
            "calls",
            str(source),
            "--state",
            str(state),
        ],
        env={**os.environ, "MATCHMAKER_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _run(database_url: str, source: Path, state: Path) -> None:
    assert _sync(database_url, source, state).wait(timeout=300) == 0


@contextmanager
def _slow_source(path: Path, head: str) -> Iterator[None]:
    """A named pipe at `path` that sends `head` to its reader, then stalls until the block ends."""
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    done = threading.Event()

    def feed() -> None:
        descriptor = os.open(path, os.O_WRONLY)  # waits for the sync to open its source
        try:
            data = memoryview(head.encode("utf-8"))
            while data:
                data = data[os.write(descriptor, data) :]
            done.wait()
        except BrokenPipeError:  # the reader was killed mid-write
            pass
        finally:
            os.close(descriptor)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        yield
    finally:
        done.set()
        # A reader that never came would leave the feeder waiting in open(): be that reader.
        with suppress(OSError):
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        feeder.join(timeout=10)
        path.unlink()


def _moved(engine: Engine) -> int:
    """How many calls carry the second listing's deadline."""
    with engine.connect() as connection:
        day = date.fromisoformat(SECOND_DEADLINE)
        statement = select(func.count()).where(col(Call.deadline) == day)
        return int(connection.scalar(statement) or 0)


def _contents(engine: Engine) -> dict[str, Any]:
    """Every call by identifier without ids and timestamps, and its change-log row count."""
    with engine.connect() as connection:
        calls = connection.execute(select(Call)).mappings().all()
        changes = connection.execute(
            select(col(Call.identifier))
            .join(Change, col(Change.entity_id) == col(Call.id))
            .where(col(Change.entity) == Entity.call.value)
        ).scalars()
        logged = Counter(changes)
    skip = {"id", "created_at", "updated_at"}
    return {
        row["identifier"]: (
            {key: value for key, value in row.items() if key not in skip},
            logged[row["identifier"]],
        )
        for row in calls
    }


def test_killed_sync_rerun_equals_one_clean_run(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A sync SIGKILLed after its first batch, run again, leaves one clean sync's calls, change
    log and state: every change written once, vanished calls closed once."""
    source, state = tmp_path / "topics.csv", tmp_path / "sync-state.json"
    first = _topics(copies=range(COPIES), deadline=FIRST_DEADLINE)
    # The second listing moves every deadline, drops the last copy and adds a new one.
    second = _topics(copies=range(1, COPIES + 1), deadline=SECOND_DEADLINE)
    source.write_text("".join(first), encoding="utf-8")
    _run(database_url, source, state)
    listed_first = state.read_text(encoding="utf-8")

    with _slow_source(source, "".join(second[: HEAD_ROWS + 1])):
        process = _sync(database_url, source, state)
        deadline = time.monotonic() + 120
        while _moved(engine) < BATCH_SIZE:
            assert process.poll() is None, "the sync ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.5)  # the stalled sync writes nothing more: the next batch is not whole
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert _moved(engine) == BATCH_SIZE
    assert state.read_text(encoding="utf-8") == listed_first

    source.write_text("".join(second), encoding="utf-8")
    _run(database_url, source, state)
    resumed, resumed_state = _contents(engine), state.read_text(encoding="utf-8")

    db.downgrade(engine, "base")
    db.upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM calls")).scalar() == 0
    state.unlink()
    source.write_text("".join(first), encoding="utf-8")
    _run(database_url, source, state)
    source.write_text("".join(second), encoding="utf-8")
    _run(database_url, source, state)
    clean = _contents(engine)

    def kind(identifier: str) -> str:
        copy = int(identifier.rsplit("-K", 1)[1])
        return "dropped" if copy == 0 else "added" if copy == COPIES else "kept"

    per_copy = (len(first) - 1) // COPIES
    assert Counter(
        (kind(key), row["deadline"] >= date(2030, 1, 1), row["version"], logged)
        for key, (row, logged) in clean.items()
    ) == {
        ("dropped", False, 2, 2): per_copy,  # closed: the deadline moved to yesterday
        ("kept", True, 2, 2): per_copy * (COPIES - 1),
        ("added", True, 1, 1): per_copy,
    }
    assert resumed == clean
    assert resumed_state == state.read_text(encoding="utf-8")
