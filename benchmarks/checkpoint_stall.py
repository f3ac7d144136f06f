"""How long a write waits while a deleted profile is forgotten and a long read is open (SQLite).

Run from the repository root::

    python -m benchmarks.checkpoint_stall [--read-seconds 1 3] [--busy-ms 5000]

A migrated SQLite file holds a few profiles. For each `--read-seconds` R, a read transaction
stays open for R seconds (as an export or an index being built would), with pages in the
write-ahead log that it still uses; 0.1 s into it, the delete's clean-up starts, and 0.2 s in a
write begins (BEGIN IMMEDIATE, one INSERT, COMMIT). Two ways, in the same run, on fresh files:

- **waiting checkpoint** (the baseline, what `search.forget_deleted` did until session 25): a
  TRUNCATE checkpoint that waits for the read for up to the busy timeout;
- **forget_deleted**: the shipped clean-up, whose checkpoint waits for no read and is tried
  again outside any lock.

Prints, for each, how long the write took to commit (or that it failed with "database is
locked", after the busy timeout) and how long the clean-up took to empty the log.
"""

import argparse
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from matchmaker import db, search
from matchmaker.repository import create_many
from matchmaker.settings import Settings
from models.change import Entity
from models.organisation import Organisation

READ_STARTS_CLEAN_UP = 0.1  # seconds into the read
READ_STARTS_WRITE = 0.2


def _waiting_checkpoint(engine: Engine) -> None:
    """The clean-up's checkpoint as it was: one TRUNCATE that waits for reads."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def _insert(engine: Engine, name: str) -> None:
    """One profile, written as the service writes one (a write transaction, the change log)."""
    with db.session_scope(db.for_writing(engine)) as session:
        profile = {"name": name, "stakeholder_type": "academia", "country": "NL"}
        create_many(session, Organisation, [profile], entity=Entity.organisation)


def measure(
    folder: Path, clean_up: Callable[[Engine], None], *, read_seconds: float, busy_ms: int
) -> tuple[str, float]:
    """(how the write went, seconds the clean-up took) for one way on a fresh file."""
    path = folder / f"stall-{time.monotonic_ns()}.db"
    url = f"sqlite:///{path}"
    engine = db.create_db_engine(Settings(database_url=url, sqlite_busy_timeout_ms=busy_ms))
    db.upgrade(engine)
    _insert(engine, "Before the read")
    reading = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reading.execute("BEGIN")
    reading.execute("SELECT count(*) FROM organisations").fetchone()
    _insert(engine, "After the read")  # pages the read's snapshot predates
    started = time.monotonic()
    ended: dict[str, float] = {}

    def clean() -> None:
        time.sleep(READ_STARTS_CLEAN_UP)
        begun = time.monotonic()
        clean_up(engine)
        ended["clean_up"] = time.monotonic() - begun

    def end_read() -> None:
        time.sleep(read_seconds)
        reading.rollback()

    threads = [threading.Thread(target=clean), threading.Thread(target=end_read)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, READ_STARTS_WRITE - (time.monotonic() - started)))
    begun = time.monotonic()
    try:
        _insert(engine, "During the clean-up")
        outcome = f"committed in {time.monotonic() - begun:.3f} s"
    except Exception as error:  # the baseline's "database is locked"
        outcome = f"failed after {time.monotonic() - begun:.1f} s ({type(error).__name__})"
    for thread in threads:
        thread.join()
    reading.close()
    engine.dispose()
    return outcome, ended["clean_up"]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read-seconds", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--busy-ms", type=int, default=5_000)
    arguments = parser.parse_args()
    ways: list[tuple[str, Callable[[Engine], None]]] = [
        ("waiting checkpoint (baseline)", _waiting_checkpoint),
        ("forget_deleted", search.forget_deleted),
    ]
    print(f"busy timeout {arguments.busy_ms} ms")
    print("| read open (s) | clean-up | the write | clean-up took (s) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for seconds in arguments.read_seconds:
            for label, clean_up in ways:
                outcome, took = measure(
                    Path(folder), clean_up, read_seconds=seconds, busy_ms=arguments.busy_ms
                )
                print(f"| {seconds:g} | {label} | {outcome} | {took:.2f} |")


if __name__ == "__main__":
    main()
