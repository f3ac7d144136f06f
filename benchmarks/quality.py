"""Suggestion quality: how many of a call's real consortium members the suggestions recover.

Run from the repository root::

    python -m benchmarks.quality [--data-dir ../shared/data/cordis] [--seeds 0 1 2]
        [--no-sweep] [--no-grid] [--out benchmarks/results]

Runs `matchmaker.evaluation` (the same code as `matchmaker evaluate DIR`) on the CORDIS
development slice for each seed (each seed holds out a different 20% of the topics), with the
baselines (random, popularity, scikit-learn TF-IDF, BM25) and the product's ranking in the same
run. The first seed gives the main table; with the sweep, ablations of the product's ranking
(text only, other track-record and past-partner exponents, 1 + log tf) run on every seed and
give the robustness table: the settings were chosen on seed 0 and are checked on the others.
On the first seed a grid of TF-IDF settings (one change at a time) runs too.
Writes `quality.json` and `quality.png` (main results) and `quality-robustness.png` to --out.
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
from matchmaker.evaluation.protocol import KINDS, NDCG_AT, RECALL_AT
from matchmaker.evaluation.rankers import MatchmakerRanker, Ranker, default_rankers
from matchmaker.evaluation.report import Report, Result, format_table, run
from matchmaker.matching.profile_index import MATCHER_SETTINGS
from matchmaker.matching.scoring import PARTNER_EXPONENT, TRACK_RECORD_EXPONENT, Weights

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / ".." / "shared" / "data" / "cordis"
DEFAULT_OUT = ROOT / "benchmarks" / "results"
TRACK_SWEEP = (0.0, 0.125, 0.25, 0.375, 0.5, 0.75)
PARTNER_SWEEP = (0.0, 0.25, 0.5, 1.0)
PRODUCT = "matchmaker"
BASELINES = ("random", "popularity", "tfidf", "bm25")


def _label(track: float, partner: float) -> str:
    return f"track {track:g}, partners {partner:g}"


def sweep_rankers(seed: int, *, grid: bool) -> list[Ranker]:
    """The baselines, the product's ranking and its ablations, sharing one index where they can.

    With `grid`, also the TF-IDF settings one at a time (each a fit of its own).
    """
    product = MatchmakerRanker(PRODUCT)
    rankers: list[Ranker] = [*default_rankers(seed)[:-1], product]
    variants = {(t, PARTNER_EXPONENT) for t in TRACK_SWEEP}
    variants |= {(TRACK_RECORD_EXPONENT, p) for p in PARTNER_SWEEP}
    variants.discard((TRACK_RECORD_EXPONENT, PARTNER_EXPONENT))
    rankers += [
        MatchmakerRanker(_label(t, p), weights=Weights(t, p), shares=product)
        for t, p in sorted(variants)
    ]
    rankers += [
        MatchmakerRanker(name, weights=weights, shares=product)
        for name, weights in (
            ("no similar projects", Weights(similar_projects_exponent=0.0)),
            ("no call-frequency weighting", Weights(call_frequency_exponent=0.0)),
            ("similar projects ^1", Weights(similar_projects_exponent=1.0)),
            (
                "before similar projects (track record x partners)",
                Weights(similar_projects_exponent=0.0, call_frequency_exponent=0.0),
            ),
            ("text only", Weights(0.0, 0.0, 0.0, 0.0)),
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


def robustness_table(reports: Sequence[Report]) -> str:
    """recall@50 of every ranker on every seed and kind, with the ratio to the best baseline."""
    at = RECALL_AT[0]
    seeds = [report.settings["seed"] for report in reports]
    header = "| ranker | " + " | ".join(f"seed {s}: {kind}" for s in seeds for kind in KINDS) + " |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    names = list(dict.fromkeys(result.ranker for result in reports[0].results))
    for name in names:
        cells = []
        for report in reports:
            for kind in KINDS:
                result = report.result(name, kind)
                cells.append("" if result is None else f"{result.recall[at]:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratios = []
    for report in reports:
        for kind in KINDS:
            best, product = best_baseline(report, kind), report.result(PRODUCT, kind)
            ratios.append(
                f"{product.recall[at] / best.recall[at]:.2f}x {best.ranker}"
                if product is not None and best is not None and best.recall[at] > 0
                else ""
            )
    lines.append(f"| **{PRODUCT} / best baseline** | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


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


def plot_robustness(reports: Sequence[Report], path: Path) -> None:
    """recall@50 against the track-record exponent, per seed and query kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    at = RECALL_AT[0]
    figure, axes = plt.subplots(1, len(KINDS), figsize=(5 * len(KINDS), 3.6), sharey=True)
    for axis, kind in zip(axes, KINDS, strict=True):
        for report in reports:
            points = []
            for track in TRACK_SWEEP:
                name = (
                    PRODUCT if track == TRACK_RECORD_EXPONENT else _label(track, PARTNER_EXPONENT)
                )
                result = report.result(name, kind)
                if result is not None:
                    points.append((track, result.recall[at]))
            line = axis.plot(*zip(*points, strict=True), marker="o")[0]
            best = best_baseline(report, kind)
            if best is not None:
                axis.axhline(best.recall[at], color=line.get_color(), linestyle=":", alpha=0.6)
            line.set_label(f"seed {report.settings['seed']}")
        axis.axvline(TRACK_RECORD_EXPONENT, color="grey", alpha=0.3)
        axis.set_title(f"{kind} queries")
        axis.set_xlabel("track-record exponent")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel(f"recall@{at} (dotted: best baseline)")
    axes[0].legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the evaluation on each seed, print the tables, write JSON and the charts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--no-sweep", action="store_true", help="Main table only (first seed).")
    parser.add_argument(
        "--no-grid", action="store_true", help="Skip the TF-IDF settings grid (first seed)."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    seeds = args.seeds[:1] if args.no_sweep else args.seeds
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    reports = [
        run(
            args.data_dir,
            seed=seed,
            rankers=default_rankers(seed)
            if args.no_sweep
            else sweep_rankers(seed, grid=seed == seeds[0] and not args.no_grid),
            check_leaks=True,
            progress=progress,
        )
        for seed in seeds
    ]
    main_report = reports[0].subset({*BASELINES, PRODUCT})
    summary = main_report.benchmark
    print(
        f"seed {seeds[0]}: {summary['profiles']} profiles, {summary['test_topics']} test topics, "
        f"queries {summary['queries']}, no profile (cold start) {summary['cold_start_share']}, "
        f"test texts reused by the profile part {summary['reused_test_texts']}, "
        f"leaked {summary['leaked_test_texts']}"
    )
    print(format_table(main_report))
    if not args.no_sweep:
        print(f"\nrecall@{RECALL_AT[0]} on every seed (settings chosen on seed {seeds[0]}):")
        print(robustness_table(reports))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(
        json.dumps(
            {
                "command": "python -m benchmarks.quality --seeds "
                + " ".join(map(str, seeds))
                + (" --no-sweep" if args.no_sweep else ""),
                "seconds": round(time.perf_counter() - started, 1),
                "runs": [report.to_json() for report in reports],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    plot(main_report, args.out / "quality.png")
    if not args.no_sweep:
        plot_robustness(reports, args.out / "quality-robustness.png")
    print(
        f"Wrote {args.out / 'quality.json'} and the charts ({time.perf_counter() - started:.0f} s)."
    )


if __name__ == "__main__":
    main()
