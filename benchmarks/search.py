"""`POST /search` over HTTP against SQLite FTS5's bm25 in-process, on the imported CORDIS data.

Run from the repository root::

    python -m benchmarks.search [--data-dir PATH] [--queries 100] [--repeats 3]

In one run: `matchmaker db upgrade` and `matchmaker import cordis` fill a fresh SQLite file
with every organisation of the CORDIS folder (about 23,000), a real uvicorn serves it, and each
query (the texts of the folder's topics, long, and their titles, short) is sent as `POST
/search {"text": ...}` over HTTP, the whole round trip timed (JSON, validation, ranking,
explanation, the database read of the suggested organisations). Beside it, in this process, an
FTS5 table over the same organisations' texts (`organisation_text`, what the matcher indexes)
answers the same queries by bm25 (the OR of the query's words, top 20): a full-text engine with
no HTTP, no JSON and no explanations, so a deliberately generous baseline. Methods are
interleaved per query, the server warmed first. Prints p50 / p99 per method and the ratio of
the p50s (goal: at most 0.25).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine
from sqlmodel import Session, select

from benchmarks.matching import DEFAULT_DATA_DIR, print_table
from benchmarks.scale import build_fts, fts_query, fts_search, interleaved, p50_p99
from matchmaker.importers.cordis import TOPICS_FILE
from matchmaker.matching.profile_index import new_matcher
from matchmaker.matching.text import organisation_text
from models.organisation import Organisation
from tests.servers import uvicorn_server


def topic_queries(data_dir: Path, n: int) -> tuple[list[str], list[str]]:
    """The first n topics with a text: (title + text, title)."""
    long: list[str] = []
    short: list[str] = []
    with (data_dir / TOPICS_FILE).open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            title, text = row["topicTitle"], row["description"]
            if title and len(text) > 200:
                long.append(f"{title}\n{text}")
                short.append(title)
            if len(long) == n:
                break
    return long, short


def run_commands(url: str, *commands: Sequence[str]) -> None:
    """Run `matchmaker` commands on the database at `url`, as an operator would."""
    env = {**os.environ, "MATCHMAKER_DATABASE_URL": url}
    command = [sys.executable, "-m", "matchmaker.cli.main"]
    for args in commands:
        subprocess.run([*command, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def import_cordis(url: str, data_dir: Path) -> None:
    """Fill the database with `matchmaker import cordis`, as an operator would."""
    run_commands(url, ["db", "upgrade"], ["import", "cordis", str(data_dir)])


def stored_texts(url: str) -> list[str]:
    """The text the matcher indexes, of every stored organisation."""
    engine = create_engine(url)
    with Session(engine) as session:
        texts = [organisation_text(o) for o in session.exec(select(Organisation)).all()]
    engine.dispose()
    return texts


def main(argv: Sequence[str] | None = None) -> None:
    """Import, serve, time both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    long, short = topic_queries(args.data_dir, args.queries)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'search.db'}"
        import_cordis(url, args.data_dir)
        texts = stored_texts(url)
        matcher = new_matcher().fit(list(range(len(texts))), texts)
        connection = build_fts(Path(folder) / "fts.sqlite", texts)
        rows: dict[str, str] = {"organisations": f"{len(texts):,}"}
        with uvicorn_server(url) as client:
            for label, queries in (("long", long), ("short", short)):
                fts = [fts_query(matcher, query) for query in queries]
                for query in queries[:5]:  # warm: the first request fits the index
                    client.post("/search", json={"text": query}).raise_for_status()

                def http(i: int, queries: list[str] = queries) -> None:
                    response = client.post("/search", json={"text": queries[i], "limit": 20})
                    response.raise_for_status()

                def bm25(i: int, fts: list[str] = fts) -> None:
                    fts_search(connection, fts[i])

                seconds = interleaved({"http": http, "fts": bm25}, len(queries), args.repeats)
                rows[f"{label}: POST /search over HTTP p50 / p99 (ms)"] = p50_p99(seconds["http"])
                rows[f"{label}: FTS5 bm25 in-process p50 / p99 (ms)"] = p50_p99(seconds["fts"])
                ratio = float(np.median(seconds["http"]) / np.median(seconds["fts"]))
                rows[f"{label}: p50 HTTP / p50 FTS5 (goal <= 0.25)"] = f"{ratio:.2f}"
        connection.close()
    print_table([rows])


if __name__ == "__main__":
    main()
