"""A database outage under load (issue 21): clients read suggestions and create profiles
against a real server while the database goes away and comes back. Prints the answers by
status, the share of reads served during the outage and the recovery time.

PostgreSQL: the script's own server is stopped as a crash would (`pg_ctl stop -m immediate`)
and started again. SQLite has no server to lose: its fault is a disk that fills up (the
server's file-size limit drops to 0), so writes cannot be made while reads can.

    .venv/bin/python -m benchmarks.faults [--outage 8] [--workers 2] [--readers 3] [--writers 3]

`tests/test_outage.py` runs the PostgreSQL scenario as an acceptance test.
"""

import argparse
import itertools
import resource
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from api.stale import STALE_HEADER
from matchmaker import db
from matchmaker.importers.demo import load_demo
from matchmaker.settings import Settings
from tests import postgres
from tests.servers import ADMIN_TOKEN, Server, running_server

SUGGESTIONS = "/calls/1/suggestions"


@dataclass(frozen=True)
class Answer:
    """One request: what it was, when it ran and what came back."""

    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | str  # the HTTP status, or the transport error's name
    stale: bool = False
    name: str | None = None  # a write's organisation name


@dataclass
class Outcome:
    """Every answer, and when the database went, was restarted and the service was healthy."""

    answers: list[Answer] = field(default_factory=list)
    lost_at: float = 0.0
    back_at: float = 0.0
    healthy_at: float = 0.0

    def by_status(self, kind: str) -> Counter[int | str]:
        """How many answers of each status the reads or the writes got."""
        return Counter(answer.status for answer in self.answers if answer.kind == kind)

    def during(self, kind: str) -> list[Answer]:
        """The requests that started after the database went and ended before its restart."""
        return [
            answer
            for answer in self.answers
            if answer.kind == kind
            and self.lost_at <= answer.started
            and answer.ended <= self.back_at
        ]

    def reads_served_during(self) -> float:
        """The share of reads made during the outage that were answered 200."""
        reads = self.during("read")
        return sum(answer.status == 200 for answer in reads) / len(reads) if reads else 0.0

    @property
    def recovery(self) -> float:
        """Seconds from the database's restart to the first healthy /health."""
        return self.healthy_at - self.back_at

    @property
    def first_write(self) -> float | None:
        """Seconds from the database's restart to the first acknowledged write sent after it."""
        ended = [
            a.ended
            for a in self.answers
            if a.kind == "write" and a.status == 201 and a.started >= self.back_at
        ]
        return min(ended) - self.back_at if ended else None

    def acknowledged(self) -> list[str]:
        """The names of the profiles whose creation was acknowledged (201)."""
        return [a.name for a in self.answers if a.kind == "write" and a.status == 201 and a.name]


def _client(base_url: str, *, admin: bool) -> httpx.Client:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if admin else {}
    return httpx.Client(base_url=base_url, timeout=15, headers=headers)


def _reader(base_url: str, stop: threading.Event, answers: list[Answer]) -> None:
    with _client(base_url, admin=False) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = client.get(SUGGESTIONS)
                status: int | str = response.status_code
                stale = response.headers.get(STALE_HEADER) == "true"
            except httpx.TransportError as error:
                status, stale = type(error).__name__, False
            answers.append(Answer("read", started, time.monotonic(), status, stale))


def _writer(base_url: str, number: int, stop: threading.Event, answers: list[Answer]) -> None:
    with _client(base_url, admin=True) as client:
        for n in itertools.count():
            if stop.is_set():
                return
            name = f"Outage Writer {number}-{n}"
            body = {"name": name, "stakeholder_type": "sme", "country": "NL"}
            started = time.monotonic()
            try:
                status: int | str = client.post("/organisations", json=body).status_code
            except httpx.TransportError as error:
                status = type(error).__name__
            answers.append(Answer("write", started, time.monotonic(), status, name=name))
            if status != 201:
                time.sleep(0.05)  # as a client told to retry later would, a little


def healthy(base_url: str) -> bool:
    try:
        response = httpx.get(f"{base_url}/health", timeout=5, headers={"Connection": "close"})
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json()["status"] == "ok"


def run_outage(
    server: Server,
    *,
    lose: Callable[[], None],
    restore: Callable[[], None],
    outage: float,
    readers: int = 3,
    writers: int = 3,
    before: float = 2.0,
    after: float = 2.0,
) -> Outcome:
    """Run clients against the server; `lose` the database after `before` seconds, `restore`
    it `outage` seconds later, wait for /health to say ok, and let the clients go on `after`
    seconds more."""
    base_url = str(server.client.base_url).rstrip("/")
    outcome = Outcome()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_reader, args=(base_url, stop, outcome.answers))
        for _ in range(readers)
    ] + [
        threading.Thread(target=_writer, args=(base_url, n, stop, outcome.answers))
        for n in range(writers)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(before)
        lose()
        outcome.lost_at = time.monotonic()
        time.sleep(outage)
        # From the moment the restart is asked for: a server takes a moment to accept again.
        outcome.back_at = time.monotonic()
        restore()
        while not healthy(base_url):
            if time.monotonic() - outcome.back_at > 60:
                break
            time.sleep(0.05)
        outcome.healthy_at = time.monotonic()
        time.sleep(after)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return outcome


@dataclass(frozen=True)
class Scenario:
    """A server on the demo data, its database's URL, and how to lose and restore it."""

    server: Server
    database_url: str
    lose: Callable[[], None]
    restore: Callable[[], None]

    def names(self) -> set[str]:
        """The names of every stored organisation."""
        engine = db.create_db_engine(Settings(database_url=self.database_url))
        try:
            with engine.connect() as connection:
                return set(connection.scalars(text("SELECT name FROM organisations")))
        finally:
            engine.dispose()


def _demo_database(url: str) -> None:
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    load_demo(engine)
    engine.dispose()


@contextmanager
def postgres_outage(workers: int) -> Iterator[Scenario]:
    """A server on the demo data in this process's own PostgreSQL, which can be crashed."""
    with postgres.running_cluster() as cluster:
        url = postgres.create_database(cluster.url, "faults")
        _demo_database(url)
        with running_server(url, workers=workers) as server:
            yield Scenario(server, url, cluster.stop, cluster.start)


@contextmanager
def sqlite_outage(workers: int) -> Iterator[Scenario]:
    """A server on the demo data in a SQLite file, and how to fill its disk (and free it)."""
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-faults-"))
    try:
        url = f"sqlite:///{folder / 'faults.db'}"
        _demo_database(url)
        with running_server(url, workers=workers) as server:
            processes = [server.process.pid, *server.workers()]

            def limit(size: int) -> Callable[[], None]:
                def apply() -> None:
                    for pid in processes:
                        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
                        resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, hard))

                return apply

            yield Scenario(server, url, limit(0), limit(resource.RLIM_INFINITY))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _row(database: str, outcome: Outcome) -> list[str]:
    reads, writes = outcome.by_status("read"), outcome.by_status("write")
    stale = sum(answer.stale for answer in outcome.during("read"))

    def shown(counts: Counter[int | str]) -> str:
        return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items(), key=str))

    return [
        database,
        shown(reads),
        shown(writes),
        f"{outcome.reads_served_during():.0%} of {len(outcome.during('read'))} ({stale} stale)",
        f"{outcome.recovery:.2f}",
        "none" if outcome.first_write is None else f"{outcome.first_write:.2f}",
    ]


def main() -> None:
    """Run the scenario on both databases and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=8.0, help="seconds without the database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--writers", type=int, default=3)
    arguments = parser.parse_args()
    rows = []
    for database, scenario in (("PostgreSQL", postgres_outage), ("SQLite", sqlite_outage)):
        with scenario(arguments.workers) as running:
            outcome = run_outage(
                running.server,
                lose=running.lose,
                restore=running.restore,
                outage=arguments.outage,
                readers=arguments.readers,
                writers=arguments.writers,
            )
            log = running.server.log
            lost = set(outcome.acknowledged()) - running.names()
        rows.append([*_row(database, outcome), str(len(lost))])
        print(
            f"{database}: {log.count('cannot be reached') + log.count('cannot be written')} "
            f"'went away' and {log.count('can be reached again') + log.count('takes writes again')}"
            f" 'came back' log lines, {log.count('Traceback')} tracebacks",
        )
        if "Traceback" in log:  # the first one, to be read: an outage should log none
            at = log.index("Traceback")
            print(log[log.rfind("\n", 0, max(at - 1, 0)) + 1 :][:4000])
    header = ["database", "reads by status", "writes by status", "reads served during outage",
              "healthy after (s)", "first write after (s)", "acknowledged writes lost"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
