"""Does a score mean what it says? The suggestion score against how often a real partner scores it.

    python -m benchmarks.calibration [--data-dir DIR] [--split temporal|random] [--seed 0]
        [--mode imported|http]

A suggestion's score reads as a chance: of the organisations scored 12% for a call, about 12
in 100 should be among the real partners of such a call. For every query of the split, every
candidate that shares a term with it (as a plain ranking lists them; a draft's member is never
ranked) is scored twice: by the shipped coefficients, and by the score as it was before it was
calibrated (the same slopes unscaled, with the intercept that made classes balanced: a score of
0.5 meant "as likely a real partner as not at equal odds"). The order is the same; only what
the numbers say differs. Per band of scores: how many candidates, their mean score and the
share of them that are real partners; and per query kind the median score of the first and
of the 20th suggestion beside the share of real partners among the first and the first 20.
The coefficients were calibrated on the topic queries of the random split's seeds 1 and 2
(`benchmarks.fit_score`); the default split here, temporal, shares none of its queries.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from matchmaker.evaluation.protocol import KINDS, MODES, SPLITS, load_benchmark
from matchmaker.evaluation.rankers import ranker_index
from matchmaker.matching.scoring import Weights

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
# The score before calibration (score_model.json until 2026-12-06): the intercept that made
# the classes balanced, and the calibration's scale undone on the slopes.
BALANCED_INTERCEPT = 6.3492
CALIBRATION_SCALE = 0.7132
BANDS = (0.0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0 + 1e-9)
TOP = 20


@dataclass(slots=True)
class Scored:
    """One query kind's candidates, per query: their log-odds under the shipped coefficients
    without the intercept, and whether each is a real partner."""

    linear: list[np.ndarray]
    partner: list[np.ndarray]


def collect(
    index_weights: Weights, data: Path, split: str, seed: int, mode: str
) -> dict[str, Scored]:
    """Every query kind's candidates, scored."""
    benchmark = load_benchmark(data, split=split, seed=seed, mode=mode)
    index = ranker_index(benchmark)
    kinds: dict[str, Scored] = {kind: Scored([], []) for kind in KINDS}
    for query in benchmark.queries:
        found = index.evidence(query.text, partner_ids=query.partners, weights=index_weights)
        keep = (found.cosine > 0) & ~np.isin(found.ids, list(query.partners))
        score = index_weights.scores(
            found.cosine, found.projects, found.shared, found.similar, None
        )[keep]
        linear = np.log(score) - np.log1p(-score) - index_weights.intercept
        kinds[query.kind].linear.append(linear)
        kinds[query.kind].partner.append(np.isin(found.ids[keep], list(query.relevant)))
    return kinds


def chances(linear: np.ndarray, intercept: float, scale: float) -> np.ndarray:
    """The scores of log-odds `linear` (shipped slopes) under an intercept and a scale."""
    return 1.0 / (1.0 + np.exp(-(intercept + scale * linear)))


def table(scored: Scored, weights: Weights, scale_before: float) -> list[str]:
    """The rows of one query kind: per band, before and after."""
    linear = np.concatenate(scored.linear)
    partner = np.concatenate(scored.partner)
    before = chances(linear, BALANCED_INTERCEPT, 1.0 / scale_before)
    after = chances(linear, weights.intercept, 1.0)
    rows = []
    for low, high in pairwise(BANDS):
        cells = []
        for score in (before, after):
            band = (score >= low) & (score < high)
            count = int(band.sum())
            cells.append(
                f"{count:,} | {score[band].mean():.3f} | {partner[band].mean():.3f}"
                if count
                else "0 | - | -"
            )
        rows.append(f"| {low:.2f} to {min(high, 1.0):.2f} | {cells[0]} | {cells[1]} |")
    return rows


def tops(scored: Scored, weights: Weights, scale_before: float) -> str:
    """Median score of the first and the TOP-th suggestion, before / after, and the share of
    real partners among the first and the first TOP."""
    first, last, hit_first, hit_top = [], [], [], []
    for linear, partner in zip(scored.linear, scored.partner, strict=True):
        if not linear.size:
            continue
        order = np.argsort(-linear, kind="stable")[:TOP]
        first.append(linear[order[0]])
        last.append(linear[order[-1]])
        hit_first.append(partner[order[0]])
        hit_top.append(partner[order].mean())

    def median(values: list[float], intercept: float, scale: float) -> float:
        return float(np.median(chances(np.array(values), intercept, scale)))

    before = (BALANCED_INTERCEPT, 1.0 / scale_before)
    after = (weights.intercept, 1.0)
    return (
        f"{median(first, *before):.3f} / {median(first, *after):.3f} | "
        f"{median(last, *before):.3f} / {median(last, *after):.3f} | "
        f"{np.mean(hit_first):.3f} | {np.mean(hit_top):.3f}"
    )


def main() -> None:
    """Score every query's candidates and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", choices=SPLITS, default="temporal")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="http")
    args = parser.parse_args()
    started = time.perf_counter()
    weights = Weights.fitted()
    kinds = collect(weights, args.data_dir, args.split, args.seed, args.mode)
    print(f"{args.split} split (seed {args.seed}), {args.mode} profiles\n")
    print(
        f"| kind | first suggestion's score, before / after | {TOP}th suggestion's score, "
        f"before / after | real partners first | real partners in the first {TOP} |"
    )
    print("|---|---|---|---|---|")
    for kind, scored in kinds.items():
        print(f"| {kind} | {tops(scored, weights, CALIBRATION_SCALE)} |")
    for kind, scored in kinds.items():
        print(
            f"\n{kind} queries:\n\n| score | before: candidates | mean score | real partners "
            "| after: candidates | mean score | real partners |\n|---|---|---|---|---|---|---|"
        )
        print("\n".join(table(scored, weights, CALIBRATION_SCALE)))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
