"""Load test: 4 uvicorn workers on loopback under a bounded mix of reads, writes and matching.

    python -m benchmarks.load --database sqlite --clients 50 --duration 60
    python -m benchmarks.load --database postgres

Starts the service with `matchmaker serve --workers 4` on a fresh database holding the demo
data (PostgreSQL: a throwaway server on loopback, as the tests start one), runs `--clients`
concurrent clients for `--duration` seconds, prints requests per second and p50/p95/p99 per
operation (`health` is the baseline: no work but a database ping), then checks that the
database holds exactly the writes that were acknowledged.
"""

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlmodel import col

from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings
from models.organisation import Organisation
from tests import postgres
from tests.servers import stop, wait_until_healthy

ADMIN = "load-test-admin-token-0123456789abcdef"
# Unmeasured requests first, so that worker start-up (each fits its index) is not measured.
WARM_UP_SECONDS = 15.0
WEIGHTS = {
    "health": 5,
    "read_organisation": 20,
    "list_organisations": 10,
    "suggestions": 30,
    "search": 10,
    "proposal": 5,
    "create_organisation": 10,
    "update_organisation": 10,
}


@dataclass
class Results:
    """Latencies and outcomes per operation, and every acknowledged write."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created: dict[int, str] = field(default_factory=dict)  # id -> last acknowledged description
    # Every request as (latency s, start s after the first, operation, status or exception).
    requests: list[tuple[float, float, str, str]] = field(default_factory=list)
    began: float = 0.0


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of the given kind, migrated and holding the demo data."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'load.db'}"
        prepare(url)
        yield url
        return
    with postgres.running_server() as admin_url:
        url = postgres.create_database(admin_url, "load")
        prepare(url)
        yield url


def prepare(url: str) -> None:
    """Migrate and load the demo data."""
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    load_demo(engine)
    engine.dispose()


@contextlib.contextmanager
def service(url: str, workers: int, log: Path) -> Iterator[str]:
    """`matchmaker serve` with several workers on loopback, its log to `log`; yield its URL."""
    port = postgres.free_port()
    log_file = log.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "matchmaker.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-demo",
        ],
        env={
            **os.environ,
            "MATCHMAKER_DATABASE_URL": url,
            "MATCHMAKER_ADMIN_TOKEN": ADMIN,
            "MATCHMAKER_WRITE_RATE_LIMIT": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=log_file,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, seconds=120)
        yield base
    finally:
        stop(process, seconds=60)
        log_file.close()


async def client_loop(
    number: int, http: httpx.AsyncClient, deadline: float, results: Results, rng: random.Random
) -> None:
    """One client: pick an operation by weight, time it, record it, until the deadline."""
    operations, weights = zip(*WEIGHTS.items(), strict=True)
    mine: list[int] = []
    writes = 0
    while time.monotonic() < deadline:
        operation = rng.choices(operations, weights)[0]
        if operation == "update_organisation" and not mine:
            operation = "create_organisation"
        started = time.perf_counter()
        try:
            ok, outcome = await perform(operation, number, writes, http, mine, results, rng)
        except httpx.HTTPError as error:
            ok, outcome = False, type(error).__name__
        latency = time.perf_counter() - started
        results.latencies[operation].append(latency)
        results.requests.append((latency, started - results.began, operation, outcome))
        if not ok:
            results.errors[operation] += 1
        writes += 1


def outcome(response: httpx.Response) -> str:
    """The status code, and for an error the problem's detail, so every failure is explained."""
    if response.status_code < 400:
        return str(response.status_code)
    try:
        detail = str(response.json().get("detail", ""))
    except ValueError:
        detail = response.text
    return f"{response.status_code} ({detail[:120]})"


async def perform(
    operation: str,
    number: int,
    sequence: int,
    http: httpx.AsyncClient,
    mine: list[int],
    results: Results,
    rng: random.Random,
) -> tuple[bool, str]:
    """Send one request of the operation; return whether it got the answer expected, and its
    status code."""
    call_id = rng.randint(1, 40)
    organisation_id = rng.randint(1, 350)
    if operation == "health":
        response = await http.get("/health")
    elif operation == "read_organisation":
        response = await http.get(f"/organisations/{organisation_id}")
    elif operation == "list_organisations":
        response = await http.get("/organisations", params={"limit": 50, "country": "DE"})
    elif operation == "suggestions":
        response = await http.get(f"/calls/{call_id}/suggestions", params={"limit": 20})
    elif operation == "search":
        response = await http.post("/search", json={"text": "cancer screening with patients"})
    elif operation == "proposal":
        response = await http.post(f"/calls/{call_id}/consortium", json={})
    elif operation == "create_organisation":
        description = f"load client {number} write {sequence}: oncology imaging biobank"
        response = await http.post(
            "/organisations",
            json={
                "name": f"Load {number}-{sequence}",
                "stakeholder_type": "sme",
                "country": "NL",
                "description": description,
            },
        )
        if response.status_code == 201:
            mine.append(response.json()["id"])
            results.created[response.json()["id"]] = description
        return response.status_code == 201, outcome(response)
    else:
        target = rng.choice(mine)
        description = f"load client {number} update {sequence}: proteomics"
        response = await http.patch(f"/organisations/{target}", json={"description": description})
        if response.status_code == 200:
            results.created[target] = description
    return response.status_code == 200, outcome(response)


async def warm_up(base: str, seconds: float) -> None:
    """Send reads until every worker has started (each fits its index at start-up)."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.gather(*(http.get("/calls/1/suggestions") for _ in range(8)))


async def run_load(base: str, clients: int, duration: float, seed: int) -> tuple[Results, float]:
    """Run the clients against the service; return what they saw and the elapsed time."""
    await warm_up(base, WARM_UP_SECONDS)
    results = Results()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=limits, headers={"Authorization": f"Bearer {ADMIN}"}
    ) as http:
        started = time.monotonic()
        results.began = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(
            *(
                client_loop(n, http, deadline, results, random.Random(seed * 1000 + n))
                for n in range(clients)
            )
        )
        return results, time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    """The share-quantile of values, in milliseconds."""
    if len(values) < 2:
        return 1000 * (values[0] if values else 0.0)
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def check_writes(url: str, results: Results) -> tuple[int, int]:
    """Count acknowledged writes missing or different in the database (both must be 0)."""
    engine = db.create_db_engine(Settings(database_url=url))
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(Organisation.id), col(Organisation.description)).where(
                col(Organisation.id).in_(list(results.created))
            )
        ).all()
        stored: dict[int | None, str] = {row[0]: row[1] for row in rows}
    engine.dispose()
    missing = sum(1 for key in results.created if key not in stored)
    different = sum(
        1 for key, text in results.created.items() if key in stored and stored[key] != text
    )
    return missing, different


def main() -> None:
    """Parse arguments, run the load, print the table and the write check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, database(args.database, Path(folder)) as url:
        log = Path(folder) / "server.log"
        with service(url, args.workers, log) as base:
            results, elapsed = asyncio.run(run_load(base, args.clients, args.duration, args.seed))
        missing, different = check_writes(url, results)
        server_log = log.read_text()
        replaced = server_log.count("died")
        errors = [block for block in server_log.split("\n\n") if "Traceback" in block]
        if errors:
            print(f"{len(errors)} server errors; the last one:\n{errors[-1][-4000:]}")
    total = sum(len(v) for v in results.latencies.values())
    print(
        f"\n{args.database}, {args.workers} workers, {args.clients} clients, "
        f"{elapsed:.0f} s: {total} requests, {total / elapsed:.0f} requests/s\n"
    )
    print(
        f"{'operation':<22}{'count':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}"
    )
    for operation in WEIGHTS:
        values = results.latencies.get(operation, [])
        print(
            f"{operation:<22}{len(values):>8}{len(values) / elapsed:>8.1f}"
            f"{percentile(values, 0.50):>9.1f}{percentile(values, 0.95):>9.1f}"
            f"{percentile(values, 0.99):>9.1f}{results.errors.get(operation, 0):>8}"
        )
    print(f"\nworkers replaced by the supervisor (missed a health-check ping): {replaced}")
    print(
        f"acknowledged writes checked: {len(results.created)} organisations, "
        f"{missing} missing, {different} not as last acknowledged"
    )
    failed = Counter((op, outcome) for _, _, op, outcome in results.requests if outcome[0] != "2")
    if failed:
        print("failures: " + ", ".join(f"{op} {why} x{n}" for (op, why), n in failed.items()))
    print("slowest requests (latency s, started at s, operation, outcome):")
    for latency, at, operation, outcome in sorted(results.requests, reverse=True)[:10]:
        print(f"  {latency:7.2f} {at:7.2f}  {operation:<22}{outcome}")
    if missing or different:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
