"""Suggestion quality: how many of a call's real consortium members the suggestions recover.

Run from the repository root::

    python -m benchmarks.quality [--data-dir ../shared/data/cordis] [--seeds 0 1 2]
        [--split random|temporal] [--mode imported|http|both]
        [--no-sweep] [--no-grid] [--out benchmarks/results]

Runs `matchmaker.evaluation` (the same code as `matchmaker evaluate DIR`) on the CORDIS
development slice, with the baselines (random, popularity, scikit-learn TF-IDF, BM25) and the
product's ranking in the same run (ranked by `ProfileIndex.rank_scores`: the API's order and
scores from the same scoring pass, without the reasons and shared terms the metrics never read,
which took two thirds of its time). The split (`--split`) is ``random`` by default: each seed
holds out the Cancer Mission and a different 20% of the topics; ``temporal`` builds profiles
from the 2021-2022 topics' projects and asks with the 2023+ topics and their projects (one
split: only the first seed is run). The mode (`--mode`) is how the profiles arrived:
``imported`` as `matchmaker import cordis` stores them (with the profile part's topics stored
as calls), ``http`` as organisations submit them over the API (past projects as title,
summary and year; no call stored), or ``both``; the default is ``imported`` for the random
split and ``both`` for the temporal one. With two modes a table puts them side by side.

The first seed gives the main table (one per mode); with the sweep, ablations of the
product's ranking (text only, each signal off, 1 + log tf) run on every seed and mode and
give the robustness table. On the first run a grid of TF-IDF settings (one change at a time)
runs too. Writes `quality.json` and `quality.png` (main results) to --out for the default
split and mode; other runs
write `quality-<split>[-<mode>].json` and a chart per mode, so they never overwrite it.
"""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.rankers import ActivityRanker, BalancedRanker
from matchmaker.evaluation.protocol import (
    KINDS,
    LOW_COSINE_AT,
    LOW_COSINE_BELOW,
    MODES,
    NDCG_AT,
    RECALL_AT,
    SPLITS,
)
from matchmaker.evaluation.rankers import MatchmakerRanker, Ranker, default_rankers
from matchmaker.evaluation.report import Report, Result, format_table, run
from matchmaker.matching.profile_index import MATCHER_SETTINGS
from matchmaker.matching.scoring import Weights

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / ".." / "shared" / "data" / "cordis"
DEFAULT_OUT = ROOT / "benchmarks" / "results"
PRODUCT = "matchmaker"
BASELINES = ("random", "popularity", "tfidf", "bm25")


def sweep_rankers(seed: int, *, grid: bool) -> list[Ranker]:
    """The baselines, the product's ranking and its ablations, sharing one index where they can.

    With `grid`, also the TF-IDF settings one at a time (each a fit of its own).
    """
    product = MatchmakerRanker(PRODUCT)
    rankers: list[Ranker] = [*default_rankers(seed)[:-1], product]
    fitted = Weights.fitted()
    rankers += [
        MatchmakerRanker(name, weights=fitted.replace(**changes), shares=product)
        for name, changes in (
            ("no track record", {"track_record": 0.0}),
            ("no similar projects", {"similar_projects": 0.0}),
            ("no past partners", {"past_partners": 0.0}),
            ("no call-frequency weighting", {"call_frequency_exponent": 0.0}),
            (
                "text only",
                {
                    "track_record": 0.0,
                    "similar_projects": 0.0,
                    "past_partners": 0.0,
                    "call_frequency_exponent": 0.0,
                },
            ),
        )
    ]
    rankers.append(BalancedRanker("stakeholder-balanced", shares=product))
    rankers.append(ActivityRanker("activities: best", top=1))
    rankers.append(ActivityRanker("activities: mean of best 3", top=3))
    settings: list[tuple[str, dict[str, Any]]] = [("1 + log tf", {"sublinear_tf": True})]
    if grid:
        settings += [
            ("min_df 1", {"min_df": 1}),
            ("min_df 5", {"min_df": 5}),
            ("max_df 0.2", {"max_df": 0.2}),
            ("max_df 1.0", {"max_df": 1.0}),
            ("unigrams", {"ngram_range": (1, 1)}),
            ("English stop words only", {"extra_stop_words": ()}),
        ]
    rankers += [
        MatchmakerRanker(name, matcher_settings={**MATCHER_SETTINGS, **change})
        for name, change in settings
    ]
    return rankers


def best_baseline(report: Report, kind: str) -> Result | None:
    """The baseline with the highest recall@50 on a kind."""
    found = [r for name in BASELINES if (r := report.result(name, kind)) is not None]
    return max(found, key=lambda result: (result.recall[RECALL_AT[0]], result.ranker), default=None)


def run_label(report: Report, reports: Sequence[Report]) -> str:
    """What tells a run from the others: its seed and its mode, where they vary."""
    parts = []
    if len({r.settings.get("seed") for r in reports}) > 1 or len(reports) == 1:
        parts.append(f"seed {report.settings.get('seed')}")
    if len({r.settings.get("mode") for r in reports}) > 1:
        parts.append(str(report.settings.get("mode")))
    return " ".join(parts)


def ratio_to_best(report: Report, kind: str) -> str:
    """recall@50 of the product over the best baseline's, as "1.50x tfidf" ('' if none)."""
    at = RECALL_AT[0]
    best, product = best_baseline(report, kind), report.result(PRODUCT, kind)
    if product is None or best is None or best.recall[at] <= 0:
        return ""
    return f"{product.recall[at] / best.recall[at]:.2f}x {best.ranker}"


def robustness_table(reports: Sequence[Report]) -> str:
    """recall@50 of every ranker on every run (seed, mode) and kind, with the ratio to the best
    baseline."""
    at = RECALL_AT[0]
    labels = [run_label(report, reports) for report in reports]
    header = (
        "| ranker | " + " | ".join(f"{label}: {kind}" for label in labels for kind in KINDS) + " |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    names = list(dict.fromkeys(result.ranker for result in reports[0].results))
    for name in names:
        cells = []
        for report in reports:
            for kind in KINDS:
                result = report.result(name, kind)
                cells.append("" if result is None else f"{result.recall[at]:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratios = [ratio_to_best(report, kind) for report in reports for kind in KINDS]
    lines.append(f"| **{PRODUCT} / best baseline** | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def modes_table(reports: Sequence[Report]) -> str:
    """The product against the best baseline, one column per mode (reports of one split and
    seed): recall@50, nDCG@50, the ratio of recall@50 to the best baseline's and the share of
    top-20 suggestions with a low text cosine; with two modes or more, the last mode's recall
    and nDCG over the first's."""
    at = RECALL_AT[0]
    modes = [str(report.settings.get("mode")) for report in reports]
    header = "| queries | measure | " + " | ".join(modes)
    header += f" | {modes[-1]} / {modes[0]} |" if len(modes) > 1 else " |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for kind in KINDS:
        products = [report.result(PRODUCT, kind) for report in reports]
        bests = [best_baseline(report, kind) for report in reports]
        queries = next((r.queries for r in products if r is not None), 0)
        if not queries:
            continue
        recalls = [None if r is None else r.recall[at] for r in products]
        ndcgs = [None if r is None else r.ndcg for r in products]
        rows: list[tuple[str, list[str], list[float | None]]] = [
            (f"{PRODUCT} recall@{at}", [_cell(v) for v in recalls], recalls),
            (f"{PRODUCT} nDCG@{NDCG_AT}", [_cell(v) for v in ndcgs], ndcgs),
            (
                f"best baseline recall@{at}",
                [
                    "" if best is None else f"{best.recall[at]:.3f} ({best.ranker})"
                    for best in bests
                ],
                [None if best is None else best.recall[at] for best in bests],
            ),
            (
                f"{PRODUCT} recall@{at} / best baseline",
                [ratio_to_best(report, kind) for report in reports],
                [],
            ),
            (
                f"{PRODUCT} top {LOW_COSINE_AT}: share with cosine < {LOW_COSINE_BELOW:g}",
                [_cell(None if r is None else r.low_cosine_share) for r in products],
                [],
            ),
        ]
        for measure, cells, values in rows:
            if len(modes) > 1:
                first, last = (values[0], values[-1]) if values else (None, None)
                cells = [*cells, f"{last / first:.3f}" if first and last is not None else ""]
            lines.append(f"| {kind} ({queries}) | {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def plot(report: Report, path: Path | str) -> None:
    """Bar charts of recall and nDCG per ranker, one panel per query kind, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rankers = list(dict.fromkeys(result.ranker for result in report.results))
    metrics = [*(f"recall@{k}" for k in RECALL_AT), f"nDCG@{NDCG_AT}"]
    figure, axes = plt.subplots(1, len(KINDS), figsize=(5 * len(KINDS), 4), sharey=True)
    width = 0.8 / len(rankers)
    for axis, kind in zip(np.atleast_1d(axes), KINDS, strict=True):
        for position, name in enumerate(rankers):
            result = report.result(name, kind)
            if result is None:
                continue
            values = [*(result.recall[k] for k in RECALL_AT), result.ndcg]
            axis.bar(np.arange(len(metrics)) + position * width, values, width=width, label=name)
        queries = report.benchmark.get("queries", {}).get(kind, 0)
        axis.set_title(f"{kind} queries ({queries})")
        axis.set_xticks(np.arange(len(metrics)) + width * (len(rankers) - 1) / 2, metrics)
        axis.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean over queries")
    np.atleast_1d(axes)[0].legend(fontsize="small")
    figure.suptitle("Consortium recovery")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def output_stem(split: str, mode: str | None) -> str:
    """The name the results files start with: `quality` for the default split and mode."""
    stem = "quality" if split == "random" else f"quality-{split}"
    return stem if mode is None or mode == default_mode(split) else f"{stem}-{mode}"


def default_mode(split: str) -> str:
    """The modes run when none is asked for: imported on the random split, both on the
    temporal one."""
    return "both" if split == "temporal" else "imported"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the evaluation on each seed and mode, print the tables, write JSON and the charts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="random",
        help="random: a seeded 20%% of the topics held out (default); temporal: profiles from "
        "2021-2022 topics, queries from 2023+ topics (one split: the first seed only).",
    )
    parser.add_argument(
        "--mode",
        choices=(*MODES, "both"),
        default=None,
        help="How the profiles arrived: imported (CORDIS import, calls stored) or http "
        "(submitted over the API, no call stored). Default: imported for the random split, "
        "both for the temporal one.",
    )
    parser.add_argument("--no-sweep", action="store_true", help="Main table only (first seed).")
    parser.add_argument(
        "--no-grid", action="store_true", help="Skip the TF-IDF settings grid (first seed)."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    seeds = args.seeds[:1] if args.no_sweep or args.split == "temporal" else args.seeds
    mode = args.mode or default_mode(args.split)
    modes = list(MODES) if mode == "both" else [mode]
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    if len(seeds) < len(args.seeds):
        progress(f"only seed {seeds[0]} is run (the {args.split} split, or --no-sweep)")
    runs = [(seed, run_mode) for run_mode in modes for seed in seeds]
    reports = [
        run(
            args.data_dir,
            split=args.split,
            mode=run_mode,
            seed=seed,
            rankers=default_rankers(seed)
            if args.no_sweep
            else sweep_rankers(seed, grid=(seed, run_mode) == runs[0] and not args.no_grid),
            check_leaks=True,
            progress=progress,
        )
        for seed, run_mode in runs
    ]
    main_reports = [
        report.subset({*BASELINES, PRODUCT})
        for report in reports
        if report.settings["seed"] == seeds[0]
    ]
    for main_report in main_reports:
        summary = main_report.benchmark
        print(
            f"\n{args.split} split, {summary['mode']}, seed {seeds[0]}: "
            f"{summary['profiles']} profiles ({summary['profile_projects']} projects), "
            f"{summary['stored_calls']} stored calls, {summary['test_topics']} test topics "
            f"({summary['test_projects']} projects), queries {summary['queries']}, "
            f"no profile (cold start) {summary['cold_start_share']}, "
            f"test texts reused by the profile part {summary['reused_test_texts']}, "
            f"leaked {summary['leaked_test_texts']}"
        )
        print(format_table(main_report))
    if len(main_reports) > 1:
        print(f"\nThe product by mode ({args.split} split, seed {seeds[0]}):")
        print(modes_table(main_reports))
    if not args.no_sweep:
        print(f"\nrecall@{RECALL_AT[0]} on every run (settings chosen on seed 0, random split):")
        print(robustness_table(reports))
    args.out.mkdir(parents=True, exist_ok=True)
    stem = output_stem(args.split, args.mode)
    command = ["python -m benchmarks.quality --seeds", *map(str, seeds)]
    if args.split != "random":
        command += ["--split", args.split]
    if args.mode is not None:
        command += ["--mode", args.mode]
    if args.no_sweep:
        command.append("--no-sweep")
    (args.out / f"{stem}.json").write_text(
        json.dumps(
            {
                "command": " ".join(command),
                "seconds": round(time.perf_counter() - started, 1),
                "runs": [report.to_json() for report in reports],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    for main_report in main_reports:
        suffix = "" if len(main_reports) == 1 else f"-{main_report.settings['mode']}"
        plot(main_report, args.out / f"{stem}{suffix}.png")
    print(
        f"Wrote {args.out / (stem + '.json')} and the charts "
        f"({time.perf_counter() - started:.0f} s)."
    )


if __name__ == "__main__":
    main()
