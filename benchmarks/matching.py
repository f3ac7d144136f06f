"""Benchmark the TF-IDF matcher on synthetic organisation profiles made of real CORDIS text.

Run from the repository root::

    python -m benchmarks.matching [--sizes 10000 100000] [--data-dir PATH]

Each profile mixes sentences of one real project objective (its "speciality") with a few
sentences and a word window from elsewhere in the CORDIS slice, drawn with a seeded generator.
Queries are real call-topic texts. Measured per corpus size: fit time, index memory (array bytes
and the change in resident memory), suggestion latency (p50/p99 over the queries), upsert
latency, `similar` latency, and two baselines on the same queries: refitting on every request
(fit + query, on a few queries only) and a full sparse matrix-vector product ``X_csr @ q``.
"""

import argparse
import csv
import gc
import os
import re
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from matchmaker.matching.text_index import TfidfMatcher

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cordis"
STAKEHOLDER_TYPES = ["sme", "large_company", "university", "research", "hospital", "patient"]
COUNTRIES = ["DE", "FR", "IT", "ES", "NL", "BE", "PL", "SE", "AT", "PT", "EL", "IE", "FI", "DK"]
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
K = 20


def read_texts(data_dir: Path) -> tuple[list[str], list[str]]:
    """Return project texts (title and objective, or topic title) and call-topic texts."""
    # Topic descriptions are long quoted multi-line fields.
    csv.field_size_limit(sys.maxsize)
    with (data_dir / "projects.csv").open(newline="", encoding="utf-8") as handle:
        projects = [
            f"{row['title']}. {row['objective']}" if row["objective"].strip() else row["topicTitle"]
            for row in csv.DictReader(handle)
        ]
    with (data_dir / "topics.csv").open(newline="", encoding="utf-8") as handle:
        topics = [
            f"{row['topicTitle']}. {row['description']}"
            for row in csv.DictReader(handle)
            if row["description"].strip()
        ]
    return projects, topics


def split_sentences(text: str) -> list[str]:
    """Split a text into sentences of 4 to 80 words."""
    return [s.strip() for s in SENTENCE_END.split(text) if 4 <= len(s.split()) <= 80]


def synthesise_profiles(
    projects: Sequence[str], topics: Sequence[str], n: int, seed: int
) -> list[str]:
    """Return n profiles, each centred on one real objective and padded with other real text."""
    rng = np.random.default_rng(seed)
    themes = [sentences for text in projects if len(sentences := split_sentences(text)) >= 3]
    pool = [sentence for text in [*projects, *topics] for sentence in split_sentences(text)]
    words = " ".join(pool).split()
    theme_of = rng.integers(0, len(themes), size=n)
    from_theme = rng.integers(2, 6, size=n)
    extra = rng.integers(0, len(pool), size=(n, 2))
    window_start = rng.integers(0, len(words) - 40, size=n)
    window_length = rng.integers(8, 40, size=n)
    profiles = []
    for i in range(n):
        theme = themes[theme_of[i]]
        picked = rng.choice(len(theme), size=min(from_theme[i], len(theme)), replace=False)
        start = window_start[i]
        parts = [
            *(theme[j] for j in picked),
            *(pool[j] for j in extra[i]),
            " ".join(words[start : start + window_length[i]]),
        ]
        profiles.append(" ".join(parts))
    return profiles


def rss_bytes() -> int:
    """Return the current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Return the process's peak resident set size (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def timed(function: Callable[[], object], repeat: int) -> np.ndarray:
    """Return the wall-clock seconds of `repeat` calls."""
    seconds = np.empty(repeat)
    for i in range(repeat):
        start = time.perf_counter()
        function()
        seconds[i] = time.perf_counter() - start
    return seconds


def ms(seconds: np.ndarray, percentile: float) -> str:
    """Format a percentile of durations in milliseconds."""
    return f"{np.percentile(seconds, percentile) * 1000:,.2f}"


def mib(n_bytes: float) -> str:
    """Format bytes as MiB."""
    return f"{n_bytes / 2**20:,.1f}"


def bench_size(
    n: int,
    projects: Sequence[str],
    topics: Sequence[str],
    *,
    n_queries: int,
    n_upserts: int,
    refit_queries: int,
    refit_max_documents: int,
    seed: int,
) -> dict[str, str]:
    """Run every measurement on a corpus of n profiles; return the table column."""
    rng = np.random.default_rng(seed)
    texts = synthesise_profiles(projects, topics, n + n_upserts, seed)
    texts, spare = texts[:n], texts[n:]
    ids = list(range(n))
    facets = {
        "stakeholder_type": rng.choice(STAKEHOLDER_TYPES, size=n).tolist(),
        "country": rng.choice(COUNTRIES, size=n).tolist(),
    }
    queries = [topics[i] for i in rng.choice(len(topics), size=n_queries, replace=True)]
    row: dict[str, str] = {"documents": f"{n:,}"}

    gc.collect()
    rss_before = rss_bytes()
    start = time.perf_counter()
    matcher = TfidfMatcher().fit(ids, texts)
    fit_seconds = time.perf_counter() - start
    gc.collect()
    vocabulary = matcher.vectorizer_.vocabulary_ if matcher.vectorizer_ is not None else {}
    vocabulary_bytes = sys.getsizeof(vocabulary) + sum(map(sys.getsizeof, vocabulary))
    row |= {
        "fit (s)": f"{fit_seconds:,.1f}",
        "vocabulary terms": f"{matcher.vocabulary_size:,}",
        "stored entries (nnz)": f"{matcher.nnz:,}",
        "index arrays (MiB)": mib(matcher.nbytes),
        "vocabulary dict, est. (MiB)": mib(vocabulary_bytes),
        "RSS growth after fit (MiB)": mib(rss_bytes() - rss_before),
    }

    vectors = [matcher.transform_query(query) for query in queries]
    iterator = iter(queries)
    query_seconds = timed(lambda: matcher.query(next(iterator), k=K), n_queries)
    filters = {"stakeholder_type": {"sme", "hospital"}, "country": {"DE", "FR", "IT"}}
    # The filters as the profile index applies them: the ids that pass, as `include_ids`.
    allowed = [i for i in ids if all(facets[name][i] in filters[name] for name in filters)]
    iterator = iter(queries)
    filtered_seconds = timed(
        lambda: matcher.query(next(iterator), k=K, include_ids=allowed), n_queries
    )
    row |= {
        "query p50 / p99 (ms)": f"{ms(query_seconds, 50)} / {ms(query_seconds, 99)}",
        "query + 2 filters p50 / p99 (ms)": (
            f"{ms(filtered_seconds, 50)} / {ms(filtered_seconds, 99)}"
        ),
    }

    # Baseline: a full sparse matrix-vector product over every row, then the same top-k.
    matrix = matcher.document_matrix()

    def full_product(query: str) -> np.ndarray:
        vector = matcher.transform_query(query)
        q = np.zeros(matrix.shape[1], dtype=np.float32)
        q[vector.terms] = vector.weights
        scores = matrix @ q
        top = np.argpartition(-scores, min(K, scores.size - 1))[:K]
        top = top[scores[top] > 0]
        return top[np.argsort(-scores[top], kind="stable")]

    iterator = iter(queries)
    product_seconds = timed(lambda: full_product(next(iterator)), n_queries)
    overlaps = []
    for query, vector in zip(queries[:50], vectors[:50], strict=True):
        got = {match.id for match in matcher.query(vector, k=K)}
        expected = set(full_product(query).tolist())
        overlaps.append(len(got & expected) / max(len(got), len(expected), 1))
    row |= {
        "baseline X_csr @ q p50 / p99 (ms)": (
            f"{ms(product_seconds, 50)} / {ms(product_seconds, 99)}"
        ),
        "top-20 overlap with X_csr @ q": f"{np.mean(overlaps):.1%}",
    }

    # Baseline: refit on every request (fit + query). Above refit_max_documents one such
    # request costs the fit measured above plus a query, so it is reported, not re-run.
    if n <= refit_max_documents:
        iterator = iter(queries)
        refit_seconds = timed(
            lambda: TfidfMatcher().fit(ids, texts).query(next(iterator), k=K),
            refit_queries,
        )
        refit = f"{refit_seconds.mean() * 1000:,.0f}"
    else:
        refit = f"~{(fit_seconds + np.median(query_seconds)) * 1000:,.0f} (fit + query)"
    row["baseline refit per request (ms)"] = refit

    similar_ids = rng.choice(ids, size=min(50, n), replace=False).tolist()
    iterator = iter(similar_ids)
    similar_seconds = timed(lambda: matcher.similar(next(iterator), k=K), len(similar_ids))
    row["similar p50 / p99 (ms)"] = f"{ms(similar_seconds, 50)} / {ms(similar_seconds, 99)}"

    # Upserts: 70% edits of existing profiles, 30% new ones; includes automatic compactions.
    edits = rng.random(n_upserts) < 0.7
    targets = np.where(edits, rng.integers(0, n, size=n_upserts), n + np.arange(n_upserts))
    plan = iter(zip(targets.tolist(), spare, strict=True))

    def upsert() -> None:
        doc_id, text = next(plan)
        matcher.upsert(doc_id, text)

    upsert_seconds = timed(upsert, n_upserts)
    iterator = iter(queries)
    after_seconds = timed(lambda: matcher.query(next(iterator), k=K), n_queries)
    compact_seconds = timed(matcher.compact, 1)
    row |= {
        f"upsert p50 / p99 / max (ms), {n_upserts:,}": (
            f"{ms(upsert_seconds, 50)} / {ms(upsert_seconds, 99)} / {ms(upsert_seconds, 100)}"
        ),
        "query after upserts p50 / p99 (ms)": f"{ms(after_seconds, 50)} / {ms(after_seconds, 99)}",
        "compact() (ms)": ms(compact_seconds, 50),
        "drift after upserts": f"{matcher.drift:.3f}",
        "process peak RSS so far (MiB)": mib(peak_rss_bytes()),
    }
    return row


def print_table(columns: Sequence[dict[str, str]]) -> None:
    """Print one row per metric and one column per corpus size."""
    metrics = list(columns[0])
    width = max(map(len, metrics))
    widths = [max(len(column[m]) for m in metrics) for column in columns]
    for metric in metrics:
        cells = (column[metric].rjust(w) for column, w in zip(columns, widths, strict=True))
        print(f"{metric.ljust(width)}  " + "  ".join(cells))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run the benchmark for each size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--upserts", type=int, default=2_000)
    parser.add_argument("--refit-queries", type=int, default=2)
    parser.add_argument(
        "--refit-max-documents",
        type=int,
        default=20_000,
        help="largest corpus on which the refit-per-request baseline is re-run",
    )
    parser.add_argument("--seed", type=int, default=20_240_601)
    args = parser.parse_args(argv)

    projects, topics = read_texts(args.data_dir)
    print(
        f"CORDIS text: {len(projects):,} project texts, {len(topics):,} topic texts; "
        f"k={K}; numpy {np.__version__}; {os.cpu_count()} CPUs"
    )
    columns = []
    for n in args.sizes:
        started = time.perf_counter()
        columns.append(
            bench_size(
                n,
                projects,
                topics,
                n_queries=args.queries,
                n_upserts=args.upserts,
                refit_queries=args.refit_queries,
                refit_max_documents=args.refit_max_documents,
                seed=args.seed,
            )
        )
        print(f"  {n:,} documents measured in {time.perf_counter() - started:,.0f} s")
    print_table(columns)


if __name__ == "__main__":
    main()
