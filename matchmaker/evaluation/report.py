"""Running rankers over a benchmark, and the report: a Markdown table and JSON."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matchmaker.evaluation.metrics import ndcg_at, recall_at, share_below, type_coverage_at
from matchmaker.evaluation.protocol import (
    CANCER_MISSION,
    COVERAGE_AT,
    KINDS,
    LOW_COSINE_AT,
    LOW_COSINE_BELOW,
    MIN_CONSORTIUM,
    NDCG_AT,
    PROFILE_YEARS,
    QUERY_FROM,
    RECALL_AT,
    TEST_SHARE,
    Benchmark,
    load_benchmark,
)
from matchmaker.evaluation.rankers import Ranker, TextFit, default_rankers


def run(
    directory: Path | str,
    *,
    split: str = "random",
    mode: str = "imported",
    seed: int = 0,
    test_share: float = TEST_SHARE,
    test_pattern: str = CANCER_MISSION,
    min_consortium: int = MIN_CONSORTIUM,
    profile_years: Sequence[int] = PROFILE_YEARS,
    query_from: int = QUERY_FROM,
    rankers: Sequence[Ranker] | None = None,
    check_leaks: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Load a CORDIS folder, check the split, and evaluate the rankers (the defaults if None).

    `split` and `mode` are the protocol's (`matchmaker.evaluation.protocol`); the settings of
    the other split are left out of the report's settings.
    """
    settings: dict[str, Any] = {"directory": Path(directory).name, "split": split, "mode": mode}
    if split == "temporal":
        settings |= {"profile_years": list(profile_years), "query_from": query_from}
    else:
        settings |= {"test_share": test_share, "test_pattern": test_pattern}
    settings |= {"seed": seed, "min_consortium": min_consortium}
    if progress is not None:
        progress(f"reading {Path(directory).name} ({split} split, {mode})")
    benchmark = load_benchmark(
        directory,
        split=split,
        mode=mode,
        seed=seed,
        test_share=test_share,
        test_pattern=test_pattern,
        min_consortium=min_consortium,
        profile_years=profile_years,
        query_from=query_from,
    )
    report = evaluate(
        benchmark,
        default_rankers(seed) if rankers is None else rankers,
        settings=settings,
        progress=progress,
    )
    report.benchmark["reused_test_texts"] = len(benchmark.reused_texts)
    if check_leaks:
        if progress is not None:
            progress("checking that no test text reached a profile")
        report.benchmark["leaked_test_texts"] = len(benchmark.leaked_texts())
    return report


@dataclass(frozen=True, slots=True)
class Result:
    """One ranker's scores over one kind of query."""

    ranker: str
    kind: str
    queries: int
    recall: Mapping[int, float]
    ndcg: float
    type_coverage: float
    ms_per_query: float
    # Share of the top LOW_COSINE_AT suggestions, pooled over the queries, whose text cosine is
    # below LOW_COSINE_BELOW; None for a ranker that gives no cosines (`TextFit`).
    low_cosine_share: float | None = None


@dataclass
class Report:
    """A whole evaluation: settings, the benchmark's size, and every ranker's results."""

    settings: dict[str, Any]
    benchmark: dict[str, Any]
    fit_seconds: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    def result(self, ranker: str, kind: str) -> Result | None:
        """The result of a ranker on a kind, if it was run."""
        return next((r for r in self.results if r.ranker == ranker and r.kind == kind), None)

    def best_baseline(
        self, kind: str, *, at: int = RECALL_AT[0], ranker: str = "matchmaker"
    ) -> Result | None:
        """The baseline with the highest recall@at on a kind (None when there is none)."""
        others = [r for r in self.results if r.kind == kind and r.ranker != ranker and r.queries]
        return max(others, key=lambda r: (r.recall[at], r.ranker), default=None)

    def subset(self, rankers: Collection[str]) -> Report:
        """The same report with only the named rankers' results."""
        return Report(
            settings=self.settings,
            benchmark=self.benchmark,
            fit_seconds={name: t for name, t in self.fit_seconds.items() if name in rankers},
            results=[result for result in self.results if result.ranker in rankers],
        )

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON-ready data."""
        return {
            "settings": self.settings,
            "benchmark": self.benchmark,
            "fit_seconds": self.fit_seconds,
            "results": [
                {**asdict(result), "recall": {str(k): v for k, v in result.recall.items()}}
                for result in self.results
            ],
        }


def describe_benchmark(benchmark: Benchmark) -> dict[str, Any]:
    """The benchmark's size: profiles, projects per part, queries and cold-start share per kind."""
    return {
        "split": benchmark.split,
        "mode": benchmark.mode,
        "profiles": len(benchmark.profiles),
        "stored_calls": len(benchmark.call_texts),
        "test_topics": len(benchmark.test_topics),
        "profile_projects": benchmark.profile_projects,
        "test_projects": benchmark.test_projects,
        "queries": {kind: len(benchmark.of_kind(kind)) for kind in KINDS},
        "skipped_no_findable": dict(benchmark.skipped),
        "cold_start_share": {kind: round(benchmark.cold_start_share(kind), 4) for kind in KINDS},
        "rejected_rows": benchmark.rejected,
    }


def evaluate(
    benchmark: Benchmark,
    rankers: Sequence[Ranker],
    *,
    settings: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fit every ranker on the profiles, rank every query, and score the rankings."""
    depth = max(*RECALL_AT, NDCG_AT, COVERAGE_AT)
    types = {profile.id: profile.stakeholder_type for profile in benchmark.profiles}
    report = Report(settings=dict(settings or {}), benchmark=describe_benchmark(benchmark))
    for ranker in rankers:
        if progress is not None:
            progress(f"fitting {ranker.name}")
        started = time.perf_counter()
        ranker.fit(benchmark.profiles, benchmark.calls)
        report.fit_seconds[ranker.name] = round(time.perf_counter() - started, 3)
        for kind in KINDS:
            queries = benchmark.of_kind(kind)
            if progress is not None:
                progress(f"{ranker.name}: {len(queries)} {kind} queries")
            recalls: dict[int, list[float]] = {k: [] for k in RECALL_AT}
            ndcgs, coverages, cosines, elapsed = [], [], [], 0.0
            for query in queries:
                started = time.perf_counter()
                ranked = ranker.rank(query, depth + len(query.partners))
                elapsed += time.perf_counter() - started
                ranked = [i for i in ranked if i not in query.partners][:depth]
                for k in RECALL_AT:
                    recalls[k].append(recall_at(ranked, query.relevant, k))
                ndcgs.append(ndcg_at(ranked, query.relevant, NDCG_AT))
                coverages.append(type_coverage_at(ranked, query.relevant, types, COVERAGE_AT))
                if isinstance(ranker, TextFit):
                    cosines.extend(ranker.text_cosines(query, ranked[:LOW_COSINE_AT]))
            low = share_below(cosines, LOW_COSINE_BELOW) if isinstance(ranker, TextFit) else None
            report.results.append(
                Result(
                    ranker=ranker.name,
                    kind=kind,
                    queries=len(queries),
                    recall={k: _mean(values) for k, values in recalls.items()},
                    ndcg=_mean(ndcgs),
                    type_coverage=_mean(coverages),
                    ms_per_query=round(1000 * elapsed / max(len(queries), 1), 2),
                    low_cosine_share=None if low is None else round(low, 4),
                )
            )
    return report


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 4) if values else 0.0


def format_table(report: Report) -> str:
    """The results as one Markdown table: a row per query kind and ranker."""
    first = RECALL_AT[0]
    header = (
        "| queries | ranker | "
        + " | ".join(f"recall@{k}" for k in RECALL_AT)
        + f" | nDCG@{NDCG_AT} | types@{COVERAGE_AT} | recall@{first} vs best baseline"
        + f" | top {LOW_COSINE_AT}: cosine < {LOW_COSINE_BELOW:g} | ms/query |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for kind in KINDS:
        best = report.best_baseline(kind)
        for result in (r for r in report.results if r.kind == kind and r.queries):
            ratio = ""
            if result.ranker == "matchmaker" and best is not None and best.recall[first] > 0:
                ratio = f"{result.recall[first] / best.recall[first]:.2f}x {best.ranker}"
            low = "" if result.low_cosine_share is None else f"{result.low_cosine_share:.3f}"
            lines.append(
                f"| {kind} ({result.queries}) | {result.ranker} | "
                + " | ".join(f"{result.recall[k]:.3f}" for k in RECALL_AT)
                + f" | {result.ndcg:.3f} | {result.type_coverage:.3f} | {ratio} | {low} | "
                f"{result.ms_per_query:.1f} |"
            )
    return "\n".join(lines)
