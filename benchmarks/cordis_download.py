"""`import cordis` on CORDIS's download as published, against the four files in the same run.

    python -m benchmarks.cordis_download [--data-dir ../shared/data/cordis]

Lays the team's CORDIS slice out as CORDIS publishes its download (`tests/cordis_download.py`:
cordis-HORIZONprojects-csv.zip holding project.csv, organization.csv with a row per
participation, topics.csv), and as the four files holding the same facts (the topics' texts
left out, which the download lacks). Each is imported into a fresh SQLite file by a process
of its own (`import_cordis`, as `matchmaker import cordis` runs it), then imported again over
itself. Prints, for each, the wall time, the process's peak memory and the summary; then how
many of the profiles the two give differ in any field the import writes.
"""

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from matchmaker import db
from matchmaker.importers.cordis import CORDIS_FIELDS
from matchmaker.importers.runner import import_cordis
from matchmaker.settings import Settings
from models.organisation import Organisation
from tests.cordis_download import download_folder, same_facts, zipped

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"


def _import(url: str, source: Path) -> tuple[float, float, list[str]]:
    """Import `source` into the database at `url`: (seconds, peak MiB, summary lines). Runs in
    a process of its own, so that its peak memory is its own."""
    engine = db.create_db_engine(Settings(database_url=url))
    try:
        start = time.perf_counter()
        summary = import_cordis(engine, source)
        seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    return seconds, _peak_mib(), summary.lines()[:1]


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM: its own, where getrusage's ru_maxrss also
    holds the parent's at the fork before the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _profiles(url: str) -> dict[str | None, tuple[object, ...]]:
    """Every imported profile's fields the import writes, by external id."""
    engine = db.create_db_engine(Settings(database_url=url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Organisation.__table__)).mappings()  # type: ignore[attr-defined]
            return {row["external_id"]: tuple(row[f] for f in CORDIS_FIELDS) for row in rows}
    finally:
        engine.dispose()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    data_dir: Path = parser.parse_args().data_dir
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        sources = {
            "four files, same facts": same_facts(data_dir, work / "four"),
            "CORDIS's download (zip)": zipped(
                download_folder(data_dir, work / "download"), work / "download.zip"
            ),
        }
        urls = {}
        print("| source | import | wall s | peak MiB | summary |")
        print("|---|---|---|---|---|")
        for index, (label, source) in enumerate(sources.items()):
            urls[label] = f"sqlite:///{work / f'{index}.db'}"
            engine = db.create_db_engine(Settings(database_url=urls[label]))
            db.upgrade(engine)
            engine.dispose()
            for run in ("first", "again"):
                with spawn.Pool(1) as pool:
                    seconds, peak, lines = pool.apply(_import, (urls[label], source))
                print(f"| {label} | {run} | {seconds:.1f} | {peak:.1f} | {' '.join(lines)} |")
        first, second = (_profiles(url) for url in urls.values())
        differ = sum(1 for key in first.keys() | second.keys() if first.get(key) != second.get(key))
        print(
            f"\nProfiles: {len(first):,} from the four files, {len(second):,} from the download; "
            f"{differ:,} differ in a field the import writes ({', '.join(CORDIS_FIELDS)})."
        )


if __name__ == "__main__":
    main()
