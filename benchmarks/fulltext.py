"""Full-text search latency (issue 19): organisations and calls, on SQLite and PostgreSQL.

Run from the repository root::

    python -m benchmarks.fulltext [--data-dir PATH] [--queries 100] [--repeats 3] [--no-postgres]

For each database, a fresh one is migrated and filled as an operator would: `matchmaker db
upgrade`, `matchmaker import cordis DIR` (the organisations, about 23,000; `import cordis` stores
no calls) and `matchmaker import calls DIR/topics.csv` (about 1,750 calls). SQLite is a file in a
temporary folder; PostgreSQL a throwaway server on loopback started the way the tests start it
(`tests.postgres.running_cluster`). The triggers the migrations create fill the search tables.

The queries (100 by default) are drawn with a fixed seed from the words of the topics' titles
(those in at least three titles):
a third single words, a third two-word phrases in quotes (adjacent words of one title), a third
prefixes (a word's first four letters and `*`). Each is timed, per kind (organisations, calls):

- in-process, through `matchmaker.search`: `matches` joined to the table, the best 20 by rank
  (what `GET /organisations?q=` and `GET /calls?q=` order by), then `snippets` of those 20 (what
  the web pages show under each result);
- over HTTP, the list endpoint (`GET /organisations?q=...&limit=20`, `GET /calls?q=...&limit=20`)
  on one real uvicorn worker, round trip timed (the page and its total count, JSON).

Methods are interleaved per query, after a warm-up pass. Prints p50 / p99 in milliseconds, one
column per database.
"""

import argparse
import contextlib
import csv
import itertools
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import create_engine, func
from sqlmodel import Session, col, select

from benchmarks.matching import DEFAULT_DATA_DIR, print_table
from benchmarks.scale import interleaved, p50_p99
from benchmarks.search import import_cordis, run_commands
from matchmaker import search
from matchmaker.importers.cordis import TOPICS_FILE
from models.call import Call
from models.organisation import Organisation
from tests.postgres import create_database, running_cluster
from tests.servers import uvicorn_server

LIMIT = 20
SEED = 19
MIN_TITLES = 3  # a query word or phrase is drawn from those in this many titles
_WORD = re.compile(r"[A-Za-z]{5,}")
# Words too common in the titles to say anything about search; not a general stop list.
_COMMON = frozenset({"about", "their", "which", "under", "other", "based", "through", "towards"})


def draw_queries(data_dir: Path, n: int) -> list[str]:
    """n queries from the topics' titles, fixed seed: words, "two-word phrases", prefix*."""
    titles: list[list[str]] = []
    with (data_dir / TOPICS_FILE).open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            words = [w.lower() for w in _WORD.findall(row["topicTitle"])]
            if words:
                titles.append(words)
    # Words and pairs of several titles, so that most queries find something in both kinds.
    words_seen = Counter(w for words in titles for w in set(words))
    pairs_seen = Counter(pair for words in titles for pair in set(itertools.pairwise(words)))
    vocabulary = sorted(w for w, k in words_seen.items() if k >= MIN_TITLES and w not in _COMMON)
    pairs = sorted(f'"{a} {b}"' for (a, b), k in pairs_seen.items() if k >= MIN_TITLES)
    rng = random.Random(SEED)
    third = n // 3
    singles = rng.sample(vocabulary, n - 2 * third)
    phrases = rng.sample(pairs, third)
    prefixes = sorted({f"{w[:4]}*" for w in vocabulary})
    return singles + phrases + rng.sample(prefixes, third)


def fill(url: str, data_dir: Path) -> None:
    """Migrate and import with the product's own commands, as an operator would."""
    import_cordis(url, data_dir)
    run_commands(url, ["import", "calls", str(data_dir / TOPICS_FILE)])


@contextlib.contextmanager
def databases(postgres: bool) -> Iterator[Iterator[tuple[str, str]]]:
    """Yield (name, URL) of a fresh SQLite file and, if asked, a fresh PostgreSQL database."""
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:

        def urls() -> Iterator[tuple[str, str]]:
            yield "SQLite", f"sqlite:///{Path(folder) / 'fulltext.db'}"
            if postgres:
                cluster = stack.enter_context(running_cluster())
                yield "PostgreSQL", create_database(cluster.url, "fulltext")

        yield urls()


def in_process(session: Session, searched: search.Searched, typed: str) -> int:
    """The best LIMIT rows and their snippets, through `matchmaker.search`; the count shown."""
    model = Organisation if searched == "organisations" else Call
    query = search.Query.parse(typed)
    hits = search.matches(session, searched, query)
    statement = (
        select(col(model.id))
        .join(hits, hits.c.id == col(model.id))
        .order_by(hits.c.rank.desc(), col(model.id))
        .limit(LIMIT)
    )
    ids = list(session.exec(statement))
    search.snippets(session, searched, query, [i for i in ids if i is not None])
    return len(ids)


def measure(url: str, queries: list[str], repeats: int) -> dict[str, str]:
    """Time every query both ways on one filled database."""
    engine = create_engine(url)
    column: dict[str, str] = {}
    with Session(engine) as session, uvicorn_server(url) as client:
        column["organisations stored"] = (
            f"{session.exec(select(func.count(col(Organisation.id)))).one():,}"
        )
        column["calls stored"] = f"{session.exec(select(func.count(col(Call.id)))).one():,}"
        for searched in ("organisations", "calls"):
            shown = [in_process(session, searched, q) for q in queries]  # warm-up pass

            def direct(i: int, searched: search.Searched = searched) -> None:
                in_process(session, searched, queries[i])

            def http(i: int, searched: str = searched) -> None:
                params = {"q": queries[i], "limit": str(LIMIT)}
                client.get(f"/{searched}", params=params).raise_for_status()

            for i in range(len(queries)):
                http(i)
            methods: dict[str, Callable[[int], object]] = {"direct": direct, "http": http}
            seconds = interleaved(methods, len(queries), repeats)
            column[f"{searched}: queries with a hit"] = f"{sum(map(bool, shown))} / {len(queries)}"
            column[f"{searched}: search.matches + snippets, top {LIMIT} p50 / p99 (ms)"] = p50_p99(
                seconds["direct"]
            )
            column[f"{searched}: GET /{searched}?q= over HTTP p50 / p99 (ms)"] = p50_p99(
                seconds["http"]
            )
    engine.dispose()
    return column


def main(argv: Sequence[str] | None = None) -> None:
    """Fill each database, time the searches, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only.")
    args = parser.parse_args(argv)
    queries = draw_queries(args.data_dir, args.queries)
    columns: list[dict[str, str]] = []
    with databases(postgres=not args.no_postgres) as each:
        for name, url in each:
            fill(url, args.data_dir)
            columns.append({"database": name, **measure(url, queries, args.repeats)})
            print(f"{name} done", file=sys.stderr, flush=True)
    print_table(columns)
    print(f"\n{len(queries)} queries, {args.repeats} passes: {', '.join(queries[::10])}, ...")


if __name__ == "__main__":
    main()
