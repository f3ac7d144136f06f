"""Worker start-up with 100k and 1M profiles in the database: refit vs the saved, shared index.

Run from the repository root::

    python -m benchmarks.startup [--sizes 100000 1000000] [--workers 4] [--data-dir PATH]

For each size a SQLite database is filled with synthetic profiles (`benchmarks.matching`'s
builder: real CORDIS sentences, seeded; two past projects each, drawn from a pool a third the
size, so past partnerships exist) and then, in the same run:

- **no saved index**: a fresh process starts `MatchingService` with no index folder, so it
  reads every profile and fits (what every worker did before indexes were saved);
- **first start**: the same with an empty index folder: fit, save, map the saved copy;
- **restart**: a fresh process with that folder: it maps the saved copy instead of fitting;
- **N workers**: `matchmaker serve --workers N` on the database and the folder; the time until
  every worker has started (each logs "Application startup complete"), then, after the
  workers served suggestions, their memory from /proc/<pid>/smaps_rollup (Linux): RSS
  counts shared pages in every process, PSS splits them between the processes sharing
  them. Run once with the saved index and, where memory allows (`--baseline-workers-max`),
  once with none saved (each worker fits its own).

Start-up times are wall-clock seconds of `MatchingService.start()` (the database read and the
fit or the mapping), and "first suggestion" the next `suggest_for_text` on a long call text.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import insert

from benchmarks.matching import (
    COUNTRIES,
    DEFAULT_DATA_DIR,
    mib,
    peak_rss_bytes,
    print_table,
    read_texts,
    synthesise_profiles,
)
from benchmarks.scale import smaps_rollup
from matchmaker import db
from matchmaker.matching.service import MatchingService
from matchmaker.settings import Settings
from models.common import StakeholderType, utc_now
from models.organisation import Organisation
from tests.postgres import free_port
from tests.servers import stop, wait_until_healthy

BATCH = 20_000
ACTIVITIES = 2


def fill(url: str, n: int, data_dir: Path, seed: int) -> None:
    """Create a migrated SQLite database holding n synthetic profiles."""
    projects, topics = read_texts(data_dir)
    texts = synthesise_profiles(projects, topics, n, seed)
    rng = np.random.default_rng(seed)
    # Values the API accepts (the rows bypass its validation, its answers do not).
    kinds = rng.choice([str(kind) for kind in StakeholderType], size=n)
    countries = rng.choice([country.replace("EL", "GR") for country in COUNTRIES], size=n)
    pool = max(1, n // 3)
    past = rng.integers(0, pool, size=(n, ACTIVITIES))
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    now = utc_now()
    table = Organisation.__table__  # type: ignore[attr-defined]
    for start in range(0, n, BATCH):
        rows = [
            {
                "name": f"Organisation {i}",
                "stakeholder_type": str(kinds[i]),
                "country": str(countries[i]),
                "description": texts[i],
                "keywords": [],
                "activities": [
                    {"title": f"Project {p}", "url": f"https://cordis.europa.eu/project/id/{p}"}
                    for p in past[i].tolist()
                ],
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(start, min(n, start + BATCH))
        ]
        with engine.begin() as connection:
            connection.execute(insert(table), rows)
    engine.dispose()


def start_once(url: str, index_dir: str | None, query: str) -> dict[str, Any]:
    """Start a matching service in this process and report how long it took (a child's job)."""
    settings = Settings(database_url=url)
    engine = db.create_db_engine(settings)
    service = MatchingService(
        engine=engine,
        refit_drift=settings.refit_drift,
        index_dir=Path(index_dir) if index_dir else None,
    )
    began = time.perf_counter()
    service.start()
    started = time.perf_counter() - began
    began = time.perf_counter()
    found = service.suggest_for_text(query, limit=20)
    first = time.perf_counter() - began
    return {
        "start": started,
        "first": first,
        "found": len(found),
        "mapped": service.stats().mapped,
        "peak_rss": peak_rss_bytes(),
    }


def in_child(url: str, index_dir: str | None, data_dir: Path) -> dict[str, Any]:
    """Run `start_once` in a fresh interpreter, so each start pays for everything."""
    command = [sys.executable, "-m", "benchmarks.startup", "--data-dir", str(data_dir)]
    command += ["--start-once", url, index_dir or ""]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def serve(url: str, index_dir: str, workers: int, query: str) -> dict[str, float]:
    """Start uvicorn with `workers` workers; time until all started; their summed memory.

    `index_dir` empty saves no index (each worker fits its own).
    """
    port = free_port()
    environment = {**os.environ, "MATCHMAKER_DATABASE_URL": url, "MATCHMAKER_INDEX_DIR": index_dir}
    command = [sys.executable, "-m", "matchmaker.cli.main", "serve", "--no-demo"]
    command += ["--port", str(port), "--workers", str(workers)]
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stderr is not None
    try:
        started = 0
        # Each worker logs this once its lifespan (the index start-up) is done.
        for line in process.stderr:
            started += "Application startup complete" in line
            if "died" in line:
                raise RuntimeError(f"a worker was replaced while starting: {line.strip()}")
            if started == workers:
                break
        ready = time.perf_counter() - began
        log: list[str] = []
        errors = process.stderr
        threading.Thread(target=lambda: log.extend(errors), daemon=True).start()
        wait_until_healthy(f"http://127.0.0.1:{port}", process, seconds=60)
        for _ in range(8 * workers):  # fresh connections, so that every worker serves some
            response = httpx.post(
                f"http://127.0.0.1:{port}/search",
                json={"text": query},
                headers={"Connection": "close"},
                timeout=600,
            )
            if response.status_code != 200:
                time.sleep(1)
                raise RuntimeError(f"search answered {response.status_code}:\n{''.join(log)}")
        memory = [smaps_rollup(pid) for pid in children(process.pid)]
    finally:
        stop(process, seconds=120)
    return {
        "ready": ready,
        "rss": sum(m["Rss"] for m in memory),
        "pss": sum(m["Pss"] for m in memory),
    }


def measure(
    n: int, *, workers: int, baseline_workers_max: int, data_dir: Path, seed: int
) -> dict[str, str]:
    """Fill a database with n profiles and measure every way of starting on it."""
    _, topics = read_texts(data_dir)
    query = topics[0]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'startup.db'}"
        began = time.perf_counter()
        fill(url, n, data_dir, seed)
        row = {"profiles": f"{n:,}", "fill database (s)": f"{time.perf_counter() - began:,.0f}"}
        index_dir = str(Path(folder) / "index")
        plain = in_child(url, None, data_dir)
        first = in_child(url, index_dir, data_dir)
        again = in_child(url, index_dir, data_dir)
        assert again["mapped"], "the restart did not use the saved index"
        assert plain["found"] == first["found"] == again["found"]
        size = sum(path.stat().st_size for path in Path(index_dir).rglob("*") if path.is_file())
        row |= {
            "no saved index: start (s)": f"{plain['start']:,.1f}",
            "no saved index: peak RSS (MiB)": mib(plain["peak_rss"]),
            "first start, fit + save (s)": f"{first['start']:,.1f}",
            "restart, map saved (s)": f"{again['start']:,.2f}",
            "restart: peak RSS (MiB)": mib(again["peak_rss"]),
            "restart: first suggestion (ms)": f"{again['first'] * 1000:,.0f}",
            "saved index on disk (MiB)": mib(size),
            "start-up speed-up": f"{plain['start'] / again['start']:,.0f}x",
        }
        shared = serve(url, index_dir, workers, query)
        row |= {
            f"{workers} workers, saved index: all ready (s)": f"{shared['ready']:,.1f}",
            f"{workers} workers, saved index: RSS sum (MiB)": mib(shared["rss"]),
            f"{workers} workers, saved index: PSS sum (MiB)": mib(shared["pss"]),
        }
        if n <= baseline_workers_max:
            alone = serve(url, "", workers, query)
            row |= {
                f"{workers} workers, each fits: all ready (s)": f"{alone['ready']:,.1f}",
                f"{workers} workers, each fits: RSS sum (MiB)": mib(alone["rss"]),
                f"{workers} workers, each fits: PSS sum (MiB)": mib(alone["pss"]),
            }
        else:
            for name in ("all ready (s)", "RSS sum (MiB)", "PSS sum (MiB)"):
                row[f"{workers} workers, each fits: {name}"] = "not run (memory)"
    return row


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, measure each size and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-workers-max", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument(
        "--start-once", nargs=2, metavar=("URL", "INDEX_DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.start_once:
        _, topics = read_texts(args.data_dir)
        result = start_once(args.start_once[0], args.start_once[1] or None, topics[0])
        print(json.dumps(result))
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for n in args.sizes:
        rows.append(
            measure(
                n,
                workers=args.workers,
                baseline_workers_max=args.baseline_workers_max,
                data_dir=args.data_dir,
                seed=args.seed,
            )
        )
        print(f"  {n:,} profiles measured: {json.dumps(rows[-1])}", flush=True)
    print_table(rows)
    print(f"load average at the end {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
