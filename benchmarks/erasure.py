"""What erasing a deleted profile costs on SQLite, against a plain delete in the same run.

    python -m benchmarks.erasure [--data-dir ../shared/data/cordis] [--deletes 20]

Imports the CORDIS slice into a fresh SQLite file (as `matchmaker import cordis` does), then
deletes `--deletes` organisations that are in no draft, one at a time, three ways on copies
of the same file:

- baseline: the delete alone, with SQLite's default `secure_delete=OFF` (deleted content
  stays in free pages);
- `secure_delete=ON`, as every connection of the service sets it (deleted content is
  overwritten with zeros);
- the service's whole erasure: the delete with `secure_delete=ON`, then
  `matchmaker.search.forget_deleted` (the full-text index merged, the write-ahead log
  checkpointed and truncated), which the API runs after it has answered the DELETE.

Prints the median and the slowest of each, in milliseconds.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, event, text

from benchmarks.pages import import_slice
from matchmaker import db
from matchmaker.search import forget_deleted
from matchmaker.settings import Settings

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"


def _engine(url: str, *, secure: bool) -> Engine:
    """The service's engine on `url`; without `secure`, deletes leave free pages as they are."""
    engine = db.create_db_engine(Settings(database_url=url))
    if not secure:

        @event.listens_for(engine, "connect")
        def _plain(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute("PRAGMA secure_delete=OFF")  # type: ignore[attr-defined]

    return engine


def _victims(engine: Engine, count: int) -> list[int]:
    """The newest organisations that are in no draft (deleting them touches no draft)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id FROM organisations WHERE id NOT IN "
                "(SELECT organisation_id FROM consortium_members) ORDER BY id DESC LIMIT :n"
            ),
            {"n": count},
        )
        return [int(row[0]) for row in rows]


def _timed(engine: Engine, ids: list[int], after: Callable[[Engine], None] | None) -> list[float]:
    """Milliseconds per delete (and `after`, when given), one organisation at a time."""
    times = []
    for organisation_id in ids:
        started = time.perf_counter()
        with db.for_writing(engine).begin() as connection:
            connection.execute(
                text("DELETE FROM organisations WHERE id = :id"), {"id": organisation_id}
            )
        if after is not None:
            after(engine)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    """Import once, then time each way of deleting on its own copy of the file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--deletes", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-erasure-"))
    try:
        source = Path(import_slice(args.data_dir, folder).removeprefix("sqlite:///"))
        ways: dict[str, tuple[bool, Callable[[Engine], None] | None]] = {
            "delete, secure_delete=OFF (baseline)": (False, None),
            "delete, secure_delete=ON": (True, None),
            "delete, secure_delete=ON, then forget_deleted": (True, forget_deleted),
        }
        rows = []
        for number, (name, (secure, after)) in enumerate(ways.items()):
            copy = folder / f"copy{number}.db"
            shutil.copyfile(source, copy)
            engine = _engine(f"sqlite:///{copy}", secure=secure)
            times = _timed(engine, _victims(engine, args.deletes), after)
            engine.dispose()
            rows.append((name, statistics.median(times), max(times)))
        baseline = rows[0][1]
        print(f"\n{args.deletes} deletes of an organisation, one at a time (ms)")
        print("| way | median | slowest | median / baseline |")
        print("|---|---|---|---|")
        for name, median, slowest in rows:
            print(f"| {name} | {median:.1f} | {slowest:.1f} | {median / baseline:.1f}x |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
