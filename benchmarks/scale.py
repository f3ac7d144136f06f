"""Scale the TF-IDF matcher to 1M synthetic profiles and compare it with SQLite FTS5 and a kernel.

Run from the repository root::

    python -m benchmarks.scale [--sizes 10000 100000 1000000] [--data-dir PATH] [--no-fts]

Profiles come from `benchmarks.matching`'s builder (real CORDIS sentences, seeded). Queries are
real call-topic texts: "long" is the whole text (title and description, ~650 words), "short"
its title. Measured per corpus size, in the same run:

- the matcher: fit time, index arrays, RSS, and `query` latency with k=20 and explanations,
  from a transformed `QueryVector`, from the text, and from the vector with 2 facet filters;
  and from the vector with ``explain_terms=0`` (the ranking alone, no terms named);
- the bare kernel on the matcher's own CSC matrix: gather the query terms' columns, multiply
  by the weights (float64 sums, like the matcher), partition out the top k of the positive
  scores; once through scipy's public ``X[:, T] @ q`` and once calling the same C++ kernels
  directly, which is the floor the ratio column compares against;
- updates: upserts that each bring a word no profile has, whether the next query finds the
  word, and the `compact()` that merges them (recomputing every IDF weight);
- SQLite FTS5 ranking the same texts by bm25 (a temp file; the query is an OR of its distinct
  words after the matcher's tokenizer and stop words, each quoted), on fewer queries.

Above `--vocabulary-sample` documents the matcher chooses its phrases from a seeded sample of
that many profiles and counts every text in chunks, its words and document frequencies coming
from every text (``TfidfMatcher(vocabulary_sample=...)``); the table says so. Latencies pool
`--repeats` passes over the queries, the methods interleaved per query; p50 and p99 are over
that pool.

``--persist`` measures `matchmaker.matching.saved_index` instead: fit, save, then `--workers` fresh
processes that each load the index, answer 21 queries and touch every page of the mapped
arrays; their memory is read from /proc/<pid>/smaps_rollup (Linux) while all are alive. RSS
counts shared pages once per process, PSS splits them between the processes sharing them.
"""

import argparse
import copy
import gc
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.matching import (
    COUNTRIES,
    DEFAULT_DATA_DIR,
    STAKEHOLDER_TYPES,
    mib,
    peak_rss_bytes,
    print_table,
    read_texts,
    rss_bytes,
    synthesise_profiles,
)
from matchmaker.matching import saved_index as index_store
from matchmaker.matching.analyzer import preprocess
from matchmaker.matching.profile_index import SETTLE_MAX_NNZ
from matchmaker.matching.text_index import TfidfMatcher

try:
    from scipy.sparse._sparsetools import csc_matvec, csr_row_index
except ImportError:  # pragma: no cover - depends on the scipy build
    csc_matvec = csr_row_index = None

K = 20
FILTERS = {"stakeholder_type": {"sme", "hospital"}, "country": {"DE", "FR", "IT"}}


def allowed_ids(facets: dict[str, list[str]]) -> list[int]:
    """The ids whose facet values pass every filter of FILTERS."""
    rows = range(len(next(iter(facets.values()))))
    return [i for i in rows if all(facets[name][i] in FILTERS[name] for name in FILTERS)]


FTS_BATCH = 50_000


def top_of(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the rows of the k best positive scores (unordered), as the kernels finish."""
    rows = np.flatnonzero(scores > 0)
    if rows.size <= k:
        return rows
    return rows[np.argpartition(scores[rows], rows.size - k)[rows.size - k :]]


def public_kernel(matrix: sp.csc_matrix, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bare kernel through scipy's public API: ``X[:, T] @ q``, then top k."""
    return top_of(matrix[:, terms] @ weights.astype(np.float64), K)


def direct_kernel(matrix: sp.csc_matrix, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bare kernel calling scipy's C++ column gather and CSC product directly, then top k."""
    if csc_matvec is None:  # pragma: no cover - depends on the scipy build
        return public_kernel(matrix, terms, weights)
    indptr = matrix.indptr
    terms = terms.astype(indptr.dtype)
    starts = indptr[terms]
    pointers = np.zeros(terms.size + 1, dtype=indptr.dtype)
    np.cumsum(indptr[terms + 1] - starts, out=pointers[1:])
    rows = np.empty(int(pointers[-1]), dtype=matrix.indices.dtype)
    data = np.empty(rows.size, dtype=matrix.data.dtype)
    csr_row_index(terms.size, terms, indptr, matrix.indices, matrix.data, rows, data)
    scores = np.zeros(matrix.shape[0])
    weights = weights.astype(np.float64)
    csc_matvec(matrix.shape[0], terms.size, pointers, rows, data, weights, scores)
    return top_of(scores, K)


def fts_query(matcher: TfidfMatcher, text: str) -> str:
    """Return an FTS5 query: the OR of the text's distinct words, each a quoted string."""
    vectorizer = matcher.vectorizer_
    if vectorizer is None:
        return ""
    # The text's words as written, stop words left out: FTS5 does not stem them.
    unigrams = dict.fromkeys(vectorizer.tokenizer.words(preprocess(text)))
    # Double quotes make each word a string, so FTS5 operators (OR, NOT, NEAR, *, ^, :) in the
    # text stay words; a quote inside a word is doubled.
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in unigrams)


def build_fts(path: Path, texts: Sequence[str]) -> sqlite3.Connection:
    """Create the FTS5 table of `texts` (rowid = position) in a new SQLite file."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    for first in range(0, len(texts), FTS_BATCH):
        batch = texts[first : first + FTS_BATCH]
        connection.executemany(
            "INSERT INTO t(rowid, body) VALUES (?, ?)", enumerate(batch, start=first)
        )
        connection.commit()
    connection.execute("INSERT INTO t(t) VALUES ('optimize')")
    connection.commit()
    return connection


def fts_search(connection: sqlite3.Connection, query: str) -> list[int]:
    """Return the rowids of the top k by bm25 (FTS5's bm25 is lower for better matches)."""
    if not query:
        return []
    rows = connection.execute(
        "SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT ?", (query, K)
    ).fetchall()
    return [rowid for rowid, _ in rows]


def interleaved(
    methods: dict[str, Callable[[int], object]], n: int, repeats: int
) -> dict[str, np.ndarray]:
    """Time each method on items 0..n-1, methods interleaved per item, `repeats` passes."""
    seconds = {name: np.empty(n * repeats) for name in methods}
    for r in range(repeats):
        for i in range(n):
            for name, method in methods.items():
                start = time.perf_counter()
                method(i)
                seconds[name][r * n + i] = time.perf_counter() - start
    return seconds


def p50_p99(seconds: np.ndarray) -> str:
    """Format the median and 99th percentile in milliseconds."""
    p50, p99 = np.percentile(seconds, [50, 99]) * 1000
    return f"{p50:,.2f} / {p99:,.2f}"


def measure_queries(
    matcher: TfidfMatcher,
    matrix: sp.csc_matrix,
    label: str,
    queries: Sequence[str],
    repeats: int,
    figures: dict[str, float],
    allowed: Sequence[int],
) -> dict[str, str]:
    """Time the kernels and the matcher on one query set; return the table rows (`allowed`:
    the ids passing the two facet filters)."""
    vectors = [matcher.transform_query(query) for query in queries]
    # The same fitted index, ranking without naming any matched terms: what ranking costs
    # apart from explaining the k results.
    unexplained = copy.copy(matcher)
    unexplained.explain_terms = 0
    entries = [int((matrix.indptr[v.terms + 1] - matrix.indptr[v.terms]).sum()) for v in vectors]
    methods: dict[str, Callable[[int], object]] = {
        "kernel, scipy X[:, T] @ q": lambda i: public_kernel(
            matrix, vectors[i].terms, vectors[i].weights
        ),
        "kernel, direct": lambda i: direct_kernel(matrix, vectors[i].terms, vectors[i].weights),
        "matcher query(vector)": lambda i: matcher.query(vectors[i], k=K),
        "matcher query(vector), explain_terms=0": lambda i: unexplained.query(vectors[i], k=K),
        "matcher query(text)": lambda i: matcher.query(queries[i], k=K),
        "matcher query(vector) + 2 filters": lambda i: matcher.query(
            vectors[i], k=K, include_ids=allowed
        ),
        "transform_query(text)": lambda i: matcher.transform_query(queries[i]),
    }
    seconds = interleaved(methods, len(queries), repeats)
    kernel = np.median(seconds["kernel, direct"])
    row = {
        f"{label}: query terms / posting entries (median)": (
            f"{np.median([v.terms.size for v in vectors]):,.0f} / {np.median(entries):,.0f}"
        )
    }
    for name, values in seconds.items():
        ratio = f"  ({np.median(values) / kernel:.2f}x)" if name.startswith("matcher") else ""
        row[f"{label}: {name} p50 / p99 (ms)"] = p50_p99(values) + ratio
    figures[f"{label} kernel"] = kernel
    figures[f"{label} query"] = float(np.median(seconds["matcher query(vector)"]))
    checked = [
        set(direct_kernel(matrix, v.terms, v.weights).tolist())
        == {match.id for match in matcher.query(v, k=K)}
        for v in vectors[:50]
    ]
    row[f"{label}: top-20 set equal to the kernel's"] = f"{np.mean(checked):.0%}"
    return row


def measure_fts(
    connection: sqlite3.Connection,
    matcher: TfidfMatcher,
    label: str,
    queries: Sequence[str],
    figures: dict[str, float],
) -> dict[str, str]:
    """Time FTS5 bm25 on `queries` and compare its top k with the matcher's."""
    fts = [fts_query(matcher, query) for query in queries]
    found: dict[int, list[int]] = {}

    def search(i: int) -> None:
        found[i] = fts_search(connection, fts[i])

    seconds = interleaved({"fts": search}, len(fts), 1)
    overlap = [
        len(set(found[i]) & {m.id for m in matcher.query(text, k=K)}) / K
        for i, text in enumerate(queries)
    ]
    figures[f"{label} fts"] = float(np.median(seconds["fts"]))
    return {
        f"{label}: FTS5 bm25 p50 / p99 (ms), {len(fts)} queries": p50_p99(seconds["fts"]),
        f"{label}: FTS5 top-20 shared with the matcher": f"{np.mean(overlap):.0%}",
    }


def measure_updates(
    matcher: TfidfMatcher, texts: Sequence[str], n_upserts: int = 200
) -> dict[str, str]:
    """Time upserts that each bring a word no profile has (profile i edited, one made-up word
    added), whether the next query finds each word, then one `compact()` (which merges them
    and recomputes every IDF weight). Runs last: it changes the index."""
    words = [f"neologism{i:05d}x" for i in range(n_upserts)]
    seconds = np.empty(n_upserts)
    found = 0
    for i, word in enumerate(words):
        start = time.perf_counter()
        matcher.upsert(i, f"{texts[i]} {word}")
        seconds[i] = time.perf_counter() - start
        found += [match.id for match in matcher.query(word, k=1)] == [i]
    start = time.perf_counter()
    matcher.compact()
    compact_seconds = time.perf_counter() - start
    # The service's catch-up settles after its batch of upserts (one here): a compaction when
    # the index holds at most SETTLE_MAX_NNZ weights, else nothing.
    settled = np.empty(n_upserts)
    for i, word in enumerate(words):
        start = time.perf_counter()
        matcher.upsert(i, f"{texts[i]} {word}")
        matcher.settle(SETTLE_MAX_NNZ)
        settled[i] = time.perf_counter() - start
    compacts = matcher.nnz <= SETTLE_MAX_NNZ
    return {
        f"upsert bringing a new word p50 / p99 (ms), {n_upserts} upserts": p50_p99(seconds),
        "new words found by the next query": f"{found / n_upserts:.0%}",
        "compact() after them (s)": f"{compact_seconds:,.2f}",
        "upsert, then settle() p50 / p99 (ms)": p50_p99(settled)
        + (" (compacts)" if compacts else " (over budget: no compaction)"),
    }


def bench_size(
    n: int,
    projects: Sequence[str],
    topics: Sequence[str],
    *,
    n_queries: int,
    n_fts_queries: int,
    repeats: int,
    vocabulary_sample: int,
    seed: int,
    figures: dict[str, float],
    fts: bool = True,
) -> dict[str, str]:
    """Run every measurement on n profiles; return the table column (and raw `figures`)."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    texts = synthesise_profiles(projects, topics, n, seed)
    facets = {
        "stakeholder_type": rng.choice(STAKEHOLDER_TYPES, size=n).tolist(),
        "country": rng.choice(COUNTRIES, size=n).tolist(),
    }
    picked = rng.choice(len(topics), size=n_queries, replace=n_queries > len(topics))
    long_queries = [topics[i] for i in picked]
    short_queries = [text.split(". ", 1)[0] for text in long_queries]
    row: dict[str, str] = {"documents": f"{n:,}"}
    print(f"  {n:,}: profiles built in {time.perf_counter() - started:,.0f} s", flush=True)

    sampled = n > vocabulary_sample
    gc.collect()
    rss_before = rss_bytes()
    start = time.perf_counter()
    matcher = TfidfMatcher(vocabulary_sample=vocabulary_sample if sampled else None)
    matcher.fit(range(n), texts)
    fit_seconds = time.perf_counter() - start
    # The facet filters as the profile index applies them: the ids that pass, given to the
    # text index as `include_ids`.
    allowed = allowed_ids(facets)
    gc.collect()
    figures.update(fit=fit_seconds, arrays=matcher.nbytes, rss=rss_bytes() - rss_before)
    row |= {
        "fit (s)": f"{fit_seconds:,.1f}" + (f" (vocabulary from {vocabulary_sample:,})" * sampled),
        "vocabulary terms": f"{matcher.vocabulary_size:,}",
        "stored entries (nnz)": f"{matcher.nnz:,}",
        "index arrays, CSC + CSR (MiB)": mib(matcher.nbytes),
        "RSS growth after fit (MiB)": mib(figures["rss"]),
    }
    print(f"  {n:,}: fitted in {fit_seconds:,.0f} s", flush=True)

    # The kernels read the matcher's own CSC matrix.
    assert matcher._snapshot is not None
    matrix = matcher._snapshot.postings.base
    for label, queries in (("long", long_queries), ("short", short_queries)):
        row |= measure_queries(matcher, matrix, label, queries, repeats, figures, allowed)
    print(f"  {n:,}: matcher measured", flush=True)

    if not fts:
        row |= measure_updates(matcher, texts)
        row["process peak RSS so far (MiB)"] = mib(peak_rss_bytes())
        return row
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fts.sqlite"
        start = time.perf_counter()
        connection = build_fts(path, texts)
        build_seconds = time.perf_counter() - start
        row["FTS5: build (s) / file (MiB)"] = f"{build_seconds:,.1f} / {mib(path.stat().st_size)}"
        print(f"  {n:,}: FTS5 built in {build_seconds:,.0f} s", flush=True)
        for label, queries in (("long", long_queries), ("short", short_queries)):
            row |= measure_fts(connection, matcher, label, queries[:n_fts_queries], figures)
        connection.close()
    row |= measure_updates(matcher, texts)
    row["process peak RSS so far (MiB)"] = mib(peak_rss_bytes())
    return row


def growth_table(sizes: Sequence[int], figures: Sequence[dict[str, float]]) -> None:
    """Print how each figure grows from one size to the next."""
    names = ["fit", "arrays", "long kernel", "long query", "long fts", "short query", "short fts"]
    names = [name for name in names if all(name in figure for figure in figures)]
    print("\ngrowth between consecutive sizes (x)")
    print("step".ljust(22) + "".join(name.rjust(13) for name in names))
    for (a, fa), (b, fb) in zip(
        zip(sizes, figures, strict=True), zip(sizes[1:], figures[1:], strict=False), strict=False
    ):
        cells = "".join(f"{fb[name] / fa[name]:13.1f}" for name in names)
        print(f"{a:,} -> {b:,}".ljust(22) + cells)


def smaps_rollup(pid: int) -> dict[str, int]:
    """Return a process's memory totals from /proc/<pid>/smaps_rollup, in bytes (Linux)."""
    totals = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                totals[name] = int(rest.split()[0]) * 1024
    return totals


def load_worker(folder: Path, key: str, data_dir: Path) -> None:
    """Load the saved index, answer queries, map every page, report, wait for stdin to close."""
    _, topics = read_texts(data_dir)
    start = time.perf_counter()
    matcher = index_store.load(folder, key)
    loaded = time.perf_counter() - start
    if matcher is None:
        raise SystemExit(f"no index for {key!r} in {folder}")
    start = time.perf_counter()
    matcher.query(topics[0], k=K)
    first = time.perf_counter() - start
    for topic in topics[1:21]:
        matcher.query(topic, k=K)
    # Worst case for sharing: every page of every mapped array resident in this process.
    assert matcher._snapshot is not None
    postings = matcher._snapshot.postings
    for matrix in (postings.base, postings.base_rows):
        for array in (matrix.data, matrix.indices, matrix.indptr):
            float(np.asarray(array[:: max(1, 4096 // array.itemsize)]).sum())
    print(f"ready {loaded:.3f} {first:.3f}", flush=True)
    sys.stdin.read()


def _report(process: subprocess.Popen[str]) -> list[str]:
    """Return the words of a load worker's "ready" line."""
    assert process.stdout is not None
    return process.stdout.readline().split()


def bench_persist(
    n: int,
    projects: Sequence[str],
    topics: Sequence[str],
    *,
    workers: int,
    vocabulary_sample: int,
    data_dir: Path,
    seed: int,
) -> dict[str, str]:
    """Fit, save, then load the index in `workers` processes; return the table column."""
    texts = synthesise_profiles(projects, topics, n, seed)
    sampled = n > vocabulary_sample
    start = time.perf_counter()
    matcher = TfidfMatcher(vocabulary_sample=vocabulary_sample if sampled else None)
    matcher.fit(range(n), texts)
    row = {"documents": f"{n:,}", "fit (s)": f"{time.perf_counter() - start:,.1f}"}
    del texts
    key = f"benchmark:{n}"
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        path = index_store.save(matcher, folder, key)
        row["save (s)"] = f"{time.perf_counter() - start:,.1f}"
        size = sum(file.stat().st_size for file in path.iterdir())
        row["saved index on disk (MiB)"] = mib(size)
        del matcher
        gc.collect()
        command = [sys.executable, "-m", "benchmarks.scale", "--data-dir", str(data_dir)]
        command += ["--load-worker", folder, key]
        processes = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(workers)
        ]
        try:
            reports = [_report(process) for process in processes]
            memory = [smaps_rollup(process.pid) for process in processes]
        finally:
            for process in processes:
                process.communicate("")
    loads = sorted(float(report[1]) for report in reports)
    firsts = sorted(float(report[2]) for report in reports)
    row |= {
        f"load (s), median of {workers} processes": f"{loads[len(loads) // 2]:.2f}",
        "first query after load (ms), median": f"{firsts[len(firsts) // 2] * 1000:,.1f}",
        f"RSS summed over {workers} processes (MiB)": mib(sum(m["Rss"] for m in memory)),
        f"PSS summed over {workers} processes (MiB)": mib(sum(m["Pss"] for m in memory)),
        "private per process, median (MiB)": mib(
            sorted(m.get("Private_Clean", 0) + m.get("Private_Dirty", 0) for m in memory)[
                len(memory) // 2
            ]
        ),
        "shared per process, median (MiB)": mib(
            sorted(m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0) for m in memory)[
                len(memory) // 2
            ]
        ),
    }
    return row


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run each size and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--fts-queries", type=int, default=30)
    parser.add_argument("--no-fts", action="store_true", help="skip the SQLite FTS5 comparison")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vocabulary-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument(
        "--persist",
        action="store_true",
        help="measure index_store instead: fit vs save vs load, and memory of --workers loaders",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--load-worker", nargs=2, metavar=("FOLDER", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_worker:
        load_worker(Path(args.load_worker[0]), args.load_worker[1], args.data_dir)
        return

    projects, topics = read_texts(args.data_dir)
    if args.persist:
        persisted: list[dict[str, str]] = []
        for n in args.sizes:
            persisted.append(
                bench_persist(
                    n,
                    projects,
                    topics,
                    workers=args.workers,
                    vocabulary_sample=args.vocabulary_sample,
                    data_dir=args.data_dir,
                    seed=args.seed,
                )
            )
            print(f"  {n:,} documents measured", flush=True)
        print_table(persisted)
        return
    print(
        f"CORDIS text: {len(projects):,} project texts, {len(topics):,} topic texts; k={K}; "
        f"numpy {np.__version__}; sqlite {sqlite3.sqlite_version}; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    columns: list[dict[str, str]] = []
    figures: list[dict[str, float]] = []
    for n in args.sizes:
        started = time.perf_counter()
        figures.append({})
        columns.append(
            bench_size(
                n,
                projects,
                topics,
                n_queries=args.queries,
                n_fts_queries=args.fts_queries,
                repeats=args.repeats,
                vocabulary_sample=args.vocabulary_sample,
                seed=args.seed,
                figures=figures[-1],
                fts=not args.no_fts,
            )
        )
        print(f"  {n:,} documents measured in {time.perf_counter() - started:,.0f} s", flush=True)
    print()
    print_table(columns)
    growth_table(args.sizes, figures)
    print(f"load average at the end {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
