"""Notifications (issue 16): matching one new call against 10,000 saved searches, outbox
delivery throughput to a local SMTP server, and HTTP writes while a pass runs (session 16).

Run from the repository root::

    python -m benchmarks.notifications [--data-dir PATH] [--searches 10000] [--calls 30]
                                       [--messages 1000] [--profile-changes 1500]
                                       [--writes-per-second 40] [--due-messages 50]
                                       [--smtp-delay 0.3] [--only writes|sending]

Matching. The saved searches are drawn with a fixed seed: nine in ten are 2 to 6 consecutive
words of a random CORDIS topic's title or description (`topics.csv` of the data folder), one in
ten a "fits my profile" search whose text is a demo organisation's profile; a third name
stakeholder types, a fifth a programme, and thresholds are 0.05, 0.1, 0.2 or 0.3. The new calls
are other topics (title and description). Timed per call, in the same run:

- `SearchIndex.match` (the product: one sparse product of the searches' weighed terms with the
  call's, numpy masks for the filters and thresholds);
- a naive loop: for each search, its `relevance` for the call (the two texts weighed, their
  cosine), then its filters and threshold in Python; the hits of both are checked to be the
  same.

Then the same through the database: the searches stored in a fresh SQLite file, one job per
new call, `matchmaker.partnering.fanout.expand_jobs` timed (the index built from the stored
searches once per pass, then each job expanded in its own write transaction).

Delivery. A fresh SQLite file holds `--messages` outbox messages for 100 organisations;
`deliver_pending` sends them to an aiosmtpd server on loopback over one SMTP connection, each
message in its own write transaction (as `matchmaker notify run` does). Beside it, the same
number of e-mails sent by `smtplib` alone, with no database, as the ceiling.

Writes while a pass runs. A fresh SQLite file holds 2,000 organisations (the demo profiles'
texts), 2,000 saved searches of organisations (2 to 6 words of a demo profile, threshold 0.25
or 0.3: a median of 13 hits a profile, as 0.3 or 0.4 gave before the relevance of session 19)
and `--profile-changes` queued profile changes (organisation jobs). One real uvicorn worker
serves it, and a client PATCHes a random organisation's city at `--writes-per-second` (one
request at a time), timing each round trip:

- without a pass (`MATCHMAKER_DELIVERY_INTERVAL=0`), for as many writes as the next run made;
- with the server's own delivery worker (interval 1 s), from start-up until it has expanded
  every queued change.

Each run starts from a copy of the same file. Then, in this process on other copies, the
passes the worker would run (`deliver_once` with the worker's batch and one `PassContext`,
until idle) are timed with SQLAlchemy event hooks: every write transaction (`BEGIN IMMEDIATE`
to its end) holds SQLite's write lock; the table gives how long the longest held it, the share
of the pass it was held, and the longest gap between two of them (a waiting writer's busy
handler polls at most every 100 ms, so short gaps between long holds let the pass take the
lock back first). The baseline is the same passes with a `PassContext` for each batch, which
reads the saved searches and the drafts' gaps again for every batch.

Writes while e-mail is sent (`--only sending`). The same organisations, `--due-messages` of
them with a contact address and one due message each, no queued change; an aiosmtpd server on
loopback answers each message after `--smtp-delay` seconds. One real uvicorn worker whose own
delivery worker (interval 1 s) sends them there, and the same paced PATCHes, timed until every
message is sent; writes refused (a 503 after the busy timeout) are counted.
"""

import argparse
import asyncio
import csv
import itertools
import json
import random
import re
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, event, func, select
from sqlmodel import col

from matchmaker import db
from matchmaker.importers.demo import __file__ as demo_init
from matchmaker.matching.call_terms import CallTerms
from matchmaker.partnering.delivery import SmtpSender, SmtpServer, deliver_pending, email_of
from matchmaker.partnering.events import record, record_many
from matchmaker.partnering.fanout import PassContext, expand_jobs
from matchmaker.partnering.outbox import Event, enqueue, new_message_id
from matchmaker.partnering.saved_searches import SearchIndex, call_counts, relevance, weigh
from matchmaker.partnering.worker import BATCH, deliver_once
from matchmaker.repository import stored_id
from matchmaker.settings import Settings
from models.call import Call
from models.common import StakeholderType
from models.organisation import Organisation
from models.partnering import OutboxMessage, OutboxStatus
from models.saved_search import JobKind, NotificationJob, SavedSearch
from tests.servers import running_server

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["academia", "industry", "sme", "patient_organisation", "public_body"]
PROGRAMMES = ["HORIZON", "IHI", "EIC", "ERC"]
WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def topics(data_dir: Path) -> list[tuple[str, str]]:
    """(title, description) of each topic with a description."""
    with (data_dir / "topics.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            (row["topicTitle"], row["description"])
            for row in csv.DictReader(handle)
            if row["description"].strip()
        ]
    return rows


def profiles() -> list[str]:
    """The demo organisations' profile texts."""
    path = Path(demo_init).parent / "organisations.json"
    texts = []
    for organisation in json.loads(path.read_text(encoding="utf-8")):
        activities = [activity.get("title", "") for activity in organisation.get("activities", [])]
        texts.append("\n".join([organisation.get("description") or "", *activities]))
    return texts


def saved_searches(
    rng: random.Random, count: int, corpus: list[tuple[str, str]], own: list[str]
) -> tuple[list[SavedSearch], list[str]]:
    """`count` saved searches (not stored) and the texts they are indexed by."""
    searches, texts = [], []
    for number in range(1, count + 1):
        fits_profile = rng.random() < 0.1
        if fits_profile:
            text = rng.choice(own)
        else:
            title, description = rng.choice(corpus)
            words = WORD.findall(rng.choice([title, description]))
            length = rng.randint(2, 6)
            start = rng.randint(0, max(0, len(words) - length))
            text = " ".join(words[start : start + length]) or title
        searches.append(
            SavedSearch(
                id=number,
                organisation_id=number % 2_000 + 1,
                target="calls",
                text="" if fits_profile else text,
                fits_profile=fits_profile,
                stakeholder_types=rng.sample(TYPES, rng.randint(1, 2))
                if rng.random() < 1 / 3
                else [],
                programme=rng.choice(PROGRAMMES) if rng.random() < 0.2 else None,
                threshold=rng.choice([0.05, 0.1, 0.2, 0.3]),
            )
        )
        texts.append(text)
    return searches, texts


def naive(
    calls: CallTerms,
    searches: list[SavedSearch],
    texts: list[str],
    call: str,
    *,
    required: list[str],
    programme: str,
) -> set[int]:
    """The per-search loop: each search's relevance for the call (`relevance`), one at a time,
    the call weighed once."""
    item = weigh(call, calls)
    hits = set()
    for search, text in zip(searches, texts, strict=True):
        score = relevance(text, item, calls)
        if score <= 0 or score < search.threshold:
            continue
        if search.stakeholder_types and not set(search.stakeholder_types) & set(required):
            continue
        if search.programme and search.programme.casefold() != programme.casefold():
            continue
        assert search.id is not None
        hits.add(search.id)
    return hits


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Milliseconds one call took, and its result."""
    start = time.perf_counter()
    result = function()
    return (time.perf_counter() - start) * 1000, result


def matching(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The in-memory comparison; the table's rows."""
    rng = random.Random(16)
    corpus = topics(args.data_dir)
    rng.shuffle(corpus)
    new_calls, corpus = corpus[: args.calls], corpus[args.calls :]
    searches, texts = saved_searches(rng, args.searches, corpus, profiles())
    # The topics not announced stand for the stored calls whose counts weigh terms.
    calls = call_counts(f"{title}\n{description}" for title, description in corpus)
    fit_ms, index = timed(lambda: SearchIndex(searches, texts, calls))
    product, loop, agree, found = [], [], 0, []
    for title, description in new_calls:
        call = f"{title}\n{description}"
        required = rng.sample(TYPES, 2)
        programme = rng.choice(PROGRAMMES)
        ms, hits = timed(
            lambda: index.match(call, stakeholder_types=required, programme=programme)  # noqa: B023 - called at once
        )
        product.append(ms)
        found.append(len(hits))
        ms, expected = timed(
            lambda: naive(calls, searches, texts, call, required=required, programme=programme)  # noqa: B023 - called at once
        )
        loop.append(ms)
        agree += {hit.search_id for hit in hits} == expected
    return [
        ("saved searches / new calls", f"{args.searches:,} / {args.calls}"),
        ("index of the searches built (s), once per pass", f"{fit_ms / 1000:.2f}"),
        (
            "`SearchIndex.match` p50 / p99 (ms)",
            f"{statistics.median(product):.2f} / {percentile(product, 0.99):.2f}",
        ),
        (
            "naive per-search loop p50 / p99 (ms)",
            f"{statistics.median(loop):.1f} / {percentile(loop, 0.99):.1f}",
        ),
        (
            "p50 naive / p50 index",
            f"**{statistics.median(loop) / statistics.median(product):.0f}x**",
        ),
        ("calls whose hits agree", f"{agree} / {args.calls}"),
        (
            "searches notified per call, median (min-max)",
            f"{statistics.median(found):.0f} ({min(found)}-{max(found)})",
        ),
    ]


def stored_matching(args: argparse.Namespace, folder: Path) -> list[tuple[str, str]]:
    """The same searches stored, and `expand_jobs` over one job per new call."""
    rng = random.Random(16)
    corpus = topics(args.data_dir)
    rng.shuffle(corpus)
    new_calls, corpus = corpus[: args.calls], corpus[args.calls :]
    own = profiles()
    searches, _ = saved_searches(rng, args.searches, corpus, own)
    engine = _database(folder / "events.db")
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            session.add_all(
                Organisation(
                    name=f"Organisation {n}",
                    stakeholder_type=StakeholderType(TYPES[n % len(TYPES)]),
                    country="NL",
                    description=own[n % len(own)],
                )
                for n in range(2_000)
            )
            session.flush()
            for search in searches:
                search.id = None
                session.add(search)
            for number, (title, description) in enumerate(new_calls):
                call = Call(
                    identifier=f"NEW-{number}",
                    title=title,
                    description=description,
                    programme=rng.choice(PROGRAMMES),
                    deadline=date(2099, 1, 31),
                )
                session.add(call)
                session.flush()
                record(session, kind=JobKind.call, item_id=call.id)
        ms, done = timed(lambda: expand_jobs(engine, base_url="http://localhost:8000"))
    finally:
        engine.dispose()
    return [
        ("`expand_jobs`, SQLite: jobs / messages written", f"{done.jobs} / {done.messages:,}"),
        (
            "`expand_jobs`, SQLite: whole pass (s), per job incl. its messages (ms)",
            f"{ms / 1000:.2f}, {ms / max(done.jobs, 1):.0f}",
        ),
    ]


def _database(path: Path) -> Any:
    engine = db.create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    db.upgrade(engine)
    return engine


class Counting:
    """An aiosmtpd handler that counts what it receives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Count the message."""
        self.count += 1
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(handler: Counting) -> Iterator[int]:
    """An aiosmtpd server on a free loopback port, for the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _send_all(send: SmtpSender, emails: list[EmailMessage]) -> int:
    for email in emails:
        send(email)
    return len(emails)


def delivery(args: argparse.Namespace, folder: Path) -> list[tuple[str, str]]:
    """Outbox delivery throughput and the bare smtplib ceiling."""
    engine = _database(folder / "outbox.db")
    count = args.messages
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            ids = []
            for n in range(100):
                organisation = Organisation(
                    name=f"Lab {n}",
                    stakeholder_type=StakeholderType.academia,
                    country="NL",
                    contact_email=f"team{n}@lab.example",
                )
                session.add(organisation)
                session.flush()
                ids.append(stored_id(organisation))
            for n in range(count):
                enqueue(
                    session,
                    organisation_id=ids[n % len(ids)],
                    event=Event.call_matches_search,
                    subject=f"New call: NEW-{n}",
                    body="A new call was published.\n" * 10,
                )
        handler = Counting()
        with smtp_server(handler) as port:
            sender = SmtpSender(SmtpServer("127.0.0.1", port, None, None, implicit_tls=False))
            try:
                ms, done = timed(
                    lambda: deliver_pending(engine, send=sender, mail_from="mm@example.org")
                )
            finally:
                sender.close()
            assert done.sent == count == handler.count, (done, handler.count)
            bare = SmtpSender(SmtpServer("127.0.0.1", port, None, None, implicit_tls=False))
            message = OutboxMessage(
                message_id=new_message_id(),
                event="x",
                organisation_id=1,
                subject="s",
                body="b\n" * 10,
            )
            emails: list[EmailMessage] = [
                email_of(message, to="team@lab.example", mail_from="mm@example.org")
                for _ in range(count)
            ]
            try:
                bare_ms, _ = timed(lambda: _send_all(bare, emails))
            finally:
                bare.close()
    finally:
        engine.dispose()
    return [
        ("outbox messages delivered (SQLite, aiosmtpd on loopback)", f"{count:,}"),
        (
            "`deliver_pending`: seconds / messages per second",
            f"{ms / 1000:.2f} / **{count / (ms / 1000):.0f}**",
        ),
        ("bare `smtplib`, no database: messages per second", f"{count / (bare_ms / 1000):.0f}"),
    ]


def _profiles_database(path: Path, changes: int) -> None:
    """Organisations, saved searches of organisations and `changes` queued profile changes."""
    rng = random.Random(16)
    own = profiles()
    engine = _database(path)
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            organisations = [
                Organisation(
                    name=f"Organisation {n}",
                    stakeholder_type=StakeholderType(TYPES[n % len(TYPES)]),
                    country=rng.choice(["NL", "DE", "FR", "ES", "IT"]),
                    city="Utrecht",
                    description=own[n % len(own)],
                )
                for n in range(2_000)
            ]
            session.add_all(organisations)
            session.flush()
            ids = [stored_id(organisation) for organisation in organisations]
            for n in range(2_000):
                words = WORD.findall(rng.choice(own))
                length = rng.randint(2, 6)
                start = rng.randint(0, max(0, len(words) - length))
                session.add(
                    SavedSearch(
                        organisation_id=ids[n],
                        target="organisations",
                        text=" ".join(words[start : start + length]) or "health",
                        threshold=rng.choice([0.25, 0.3]),
                    )
                )
            record_many(session, kind=JobKind.organisation, item_ids=ids[:changes])
    finally:
        engine.dispose()


def _pending(engine: Engine, last_job: int) -> int:
    with db.session_scope(engine, read_only=True) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(NotificationJob)
                .where(col(NotificationJob.done_at).is_(None), col(NotificationJob.id) <= last_job)
            )
            or 0
        )


def _write(client: httpx.Client, rng: random.Random, refused: list[int] | None = None) -> float:
    """One profile write through the API; milliseconds it took. An answer other than 2xx
    raises, unless `refused` is given: then its status is added to it."""
    organisation = rng.randint(1, 2_000)
    start = time.perf_counter()
    answer = client.patch(
        f"/organisations/{organisation}", json={"city": rng.choice(["Utrecht", "Leiden"])}
    )
    ms = (time.perf_counter() - start) * 1000
    if refused is not None and not answer.is_success:
        refused.append(answer.status_code)
    else:
        answer.raise_for_status()
    return ms


def _paced_writes(
    client: httpx.Client,
    rate: float,
    *,
    until: Callable[[int], bool],
    refused: list[int] | None = None,
) -> list[float]:
    """Write at `rate` a second (one at a time) until `until(writes so far)`; the latencies."""
    rng = random.Random(16)
    latencies: list[float] = []
    start = time.perf_counter()
    while not until(len(latencies)):
        latencies.append(_write(client, rng, refused))
        pause = start + len(latencies) / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    return latencies


def _serve_and_write(
    url: str, rate: float, *, interval: float, engine: Engine, last_job: int, writes: int
) -> tuple[list[float], float]:
    """A uvicorn on `url` with the delivery interval given; the write latencies, and seconds
    until the queued changes were expanded (when a pass runs) or the writes made."""
    with running_server(url, env={"MATCHMAKER_DELIVERY_INTERVAL": str(interval)}) as server:
        start = time.perf_counter()
        if interval > 0:
            done = threading.Event()

            def watch() -> None:
                while _pending(engine, last_job):
                    time.sleep(0.2)
                done.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            latencies = _paced_writes(server.client, rate, until=lambda _: done.is_set())
        else:
            latencies = _paced_writes(server.client, rate, until=lambda n: n >= writes)
        return latencies, time.perf_counter() - start


@contextmanager
def write_locks(engine: Engine) -> Iterator[list[tuple[float, float]]]:
    """Within the block, (start, end) of every write transaction on `engine` (perf_counter)."""
    held: list[tuple[float, float]] = []
    began: dict[int, float] = {}

    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
            began[id(connection)] = time.perf_counter()

    def on_end(connection: Any) -> None:
        start = began.pop(id(connection), None)
        if start is not None:
            held.append((start, time.perf_counter()))

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    try:
        yield held
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "commit", on_end)
        event.remove(engine, "rollback", on_end)


def _worker_passes(
    path: Path, *, shared: bool = True
) -> tuple[float, list[tuple[float, float]], int]:
    """What the server's worker does, in this process: seconds, write locks held, jobs.
    `shared`: the batches share one `PassContext`, as the worker's do; else each batch reads
    the saved searches and the drafts' gaps again (the baseline, as before session 17)."""
    settings = Settings(database_url=f"sqlite:///{path}")
    engine = db.create_db_engine(settings)
    jobs = 0
    try:
        with write_locks(engine) as held, httpx.Client() as client:
            start = time.perf_counter()
            context = PassContext()
            while True:
                done = deliver_once(
                    engine,
                    settings=settings,
                    send=None,
                    client=client,
                    limit=BATCH,
                    context=context if shared else PassContext(),
                )
                jobs += done.events.jobs
                if not done.busy:
                    break
            seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    return seconds, held, jobs


def _latency(latencies: list[float]) -> str:
    return (
        f"{statistics.median(latencies):.0f} / {percentile(latencies, 0.99):.0f} / "
        f"**{max(latencies):.0f}**"
    )


def writes_during_pass(args: argparse.Namespace, folder: Path) -> list[tuple[str, str]]:
    """Profile writes over HTTP with and without a pass expanding queued profile changes."""
    seeded = folder / "seeded.db"
    _profiles_database(seeded, args.profile_changes)
    last_job = args.profile_changes

    def copy(name: str) -> Path:
        path = folder / name
        shutil.copyfile(seeded, path)
        return path

    passing = copy("passing.db")
    url = f"sqlite:///{passing}"
    engine = db.create_db_engine(Settings(database_url=url))
    try:
        during, pass_seconds = _serve_and_write(
            url, args.writes_per_second, interval=1, engine=engine, last_job=last_job, writes=0
        )
    finally:
        engine.dispose()
    quiet = copy("quiet.db")
    before, _ = _serve_and_write(
        f"sqlite:///{quiet}",
        args.writes_per_second,
        interval=0,
        engine=engine,
        last_job=last_job,
        writes=len(during),
    )
    alone, _, _ = _worker_passes(copy("baseline.db"), shared=False)
    seconds, held, jobs = _worker_passes(copy("timed.db"))
    holds = [(end - start) * 1000 for start, end in held]
    gaps = [(b[0] - a[1]) * 1000 for a, b in itertools.pairwise(held)]
    return [
        (
            "profile changes queued / saved searches of organisations",
            f"{args.profile_changes:,} / 2,000",
        ),
        (
            f"PATCH /organisations/{{id}} at {args.writes_per_second:g}/s, no pass: "
            "p50 / p99 / max (ms)",
            _latency(before),
        ),
        (
            "the same while the server's worker expands the changes: p50 / p99 / max (ms)",
            _latency(during),
        ),
        (
            "writes timed each way; seconds until the changes were expanded",
            f"{len(during)}; {pass_seconds:.1f}",
        ),
        (
            "worker's passes in-process: jobs, seconds, write transactions",
            f"{jobs:,}, {seconds:.1f}, {len(held):,}",
        ),
        (
            "baseline: the same passes, each batch reading the searches and gaps again (s)",
            f"{alone:.1f}",
        ),
        (
            "write lock held: longest, p99 (ms); share of the pass",
            f"{max(holds):.1f}, {percentile(holds, 0.99):.1f}; "
            f"**{sum(holds) / 1000 / seconds:.0%}**",
        ),
        (
            "gap between two write transactions: median, longest (ms)",
            f"{statistics.median(gaps):.2f}, {max(gaps):.0f}",
        ),
    ]


class Slow(Counting):
    """An aiosmtpd handler that answers each message after `delay` seconds, as a loaded or
    distant mail server does, and counts them."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Wait, count the message, accept it."""
        await asyncio.sleep(self.delay)
        self.count += 1
        return "250 Message accepted for delivery"


def _unsent(engine: Engine, last: int) -> int:
    """Messages up to id `last` not yet sent (the writes add messages of their own: a changed
    profile is matched against the saved searches)."""
    with db.session_scope(engine, read_only=True) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.pending.value,
                    col(OutboxMessage.id) <= last,
                )
            )
            or 0
        )


def writes_during_sending(args: argparse.Namespace, folder: Path) -> list[tuple[str, str]]:
    """Profile writes over HTTP while the server's worker sends `--due-messages` e-mails to a
    mail server on loopback that answers each after `--smtp-delay` seconds."""
    path = folder / "sending.db"
    _profiles_database(path, 0)
    url = f"sqlite:///{path}"
    engine = db.create_db_engine(Settings(database_url=url))
    handler = Slow(args.smtp_delay)
    refused: list[int] = []
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            for number in range(1, args.due_messages + 1):
                organisation = session.get(Organisation, number)
                assert organisation is not None
                organisation.contact_email = f"team{number}@lab.example"
                session.add(organisation)
                last = stored_id(
                    enqueue(
                        session,
                        organisation_id=number,
                        event=Event.call_matches_search,
                        subject=f"New call: NEW-{number}",
                        body="A new call was published.\n" * 10,
                    )
                )
        with (
            smtp_server(handler) as port,
            running_server(
                url,
                env={
                    "MATCHMAKER_DELIVERY_INTERVAL": "1",
                    "MATCHMAKER_SMTP_URL": f"smtp://127.0.0.1:{port}",
                },
            ) as server,
        ):
            done = threading.Event()

            def watch() -> None:
                while _unsent(engine, last):
                    time.sleep(0.2)
                done.set()

            start = time.perf_counter()
            threading.Thread(target=watch, daemon=True).start()
            latencies = _paced_writes(
                server.client,
                args.writes_per_second,
                until=lambda _: done.is_set(),
                refused=refused,
            )
            seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    assert handler.count >= args.due_messages, handler.count
    return [
        (
            "e-mails due / the mail server answers each after (ms); e-mails it received",
            f"{args.due_messages} / {args.smtp_delay * 1000:.0f}; {handler.count}",
        ),
        (
            f"PATCH /organisations/{{id}} at {args.writes_per_second:g}/s while the server's "
            "worker sends them: p50 / p99 / max (ms)",
            _latency(latencies),
        ),
        (
            "writes made (refused) / seconds until every e-mail was sent",
            f"{len(latencies)} ({len(refused)}) / {seconds:.1f}",
        ),
    ]


def main() -> None:
    """Run the benchmarks and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "cordis")
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--messages", type=int, default=1_000)
    parser.add_argument("--profile-changes", type=int, default=1_500)
    parser.add_argument("--writes-per-second", type=float, default=40)
    parser.add_argument("--due-messages", type=int, default=50)
    parser.add_argument("--smtp-delay", type=float, default=0.3)
    parser.add_argument("--only", choices=["matching", "delivery", "writes", "sending"])
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    if args.only in (None, "matching"):
        rows += matching(args)
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "matching"):
            rows += stored_matching(args, Path(folder))
        if args.only in (None, "delivery"):
            rows += delivery(args, Path(folder))
        if args.only in (None, "writes"):
            rows += writes_during_pass(args, Path(folder))
        if args.only in (None, "sending"):
            rows += writes_during_sending(args, Path(folder))
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
