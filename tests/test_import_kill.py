"""Killing a real import half-way and running it again leaves exactly what one clean run leaves."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from matchmaker import db
from models.organisation import Organisation

FIXTURE = Path(__file__).parent / "data" / "cordis"
COPIES = 40  # each fixture organisation is copied this many times under new ids

# Imports a grown CORDIS extract three times (one run killed) in subprocesses.
pytestmark = pytest.mark.slow


def _grow_fixture(target: Path) -> int:
    """Copy the CORDIS test extract, multiplying its organisations; return how many there are."""
    target.mkdir()
    for name in ("projects.csv", "topics.csv"):
        (target / name).write_bytes((FIXTURE / name).read_bytes())
    with (FIXTURE / "organisations.csv").open(newline="", encoding="utf-8") as source:
        organisations = list(csv.DictReader(source))
    with (FIXTURE / "participations.csv").open(newline="", encoding="utf-8") as source:
        participations = list(csv.DictReader(source))
    fields_o = list(organisations[0])
    fields_p = list(participations[0])
    count = 0
    with (
        (target / "organisations.csv").open("w", newline="", encoding="utf-8") as out_o,
        (target / "participations.csv").open("w", newline="", encoding="utf-8") as out_p,
    ):
        writer_o = csv.DictWriter(out_o, fields_o)
        writer_p = csv.DictWriter(out_p, fields_p)
        writer_o.writeheader()
        writer_p.writeheader()
        for copy in range(COPIES):
            suffix = f"{copy:03d}"
            for row in organisations:
                if not row["organisationID"].isdigit():
                    continue
                writer_o.writerow(
                    {
                        **row,
                        "organisationID": row["organisationID"] + suffix,
                        "name": f"{row['name']} {suffix}",
                    }
                )
                count += 1
            for row in participations:
                if row["organisationID"].isdigit():
                    writer_p.writerow({**row, "organisationID": row["organisationID"] + suffix})
    return count


def _import(database_url: str, directory: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "matchmaker.cli.main",
            "import",
            "cordis",
            str(directory),
            "--batch-size",
            "20",
        ],
        env={**os.environ, "MATCHMAKER_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Organisation)) or 0)


def _contents(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every organisation by external id, without ids and timestamps."""
    with engine.connect() as connection:
        rows = connection.execute(select(Organisation)).mappings().all()
    skip = {"id", "created_at", "updated_at", "confirmed_at"}  # times of the writing run
    return {row["external_id"]: {k: v for k, v in row.items() if k not in skip} for row in rows}


def test_killed_import_rerun_equals_one_clean_run(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A SIGKILLed import, run again, converges to the data of a single uninterrupted run."""
    directory = tmp_path / "cordis"
    total = _grow_fixture(directory)
    process = _import(database_url, directory)
    deadline = time.monotonic() + 120
    while (done := _count(engine)) < 100:
        assert process.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 100 <= _count(engine) < total, f"killed after {done} of {total}"
    assert _import(database_url, directory).wait(timeout=300) == 0
    resumed = _contents(engine)

    db.downgrade(engine, "base")
    db.upgrade(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM organisations")).scalar() == 0
    assert _import(database_url, directory).wait(timeout=300) == 0
    clean = _contents(engine)
    assert len(clean) == total
    assert resumed == clean
