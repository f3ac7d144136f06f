"""Fit the suggestion score's coefficients on the CORDIS development data and print them.

    python -m benchmarks.fit_score [--data-dir DIR] [--seeds 1 2] [--pool 300] [--calibrate-only]
        [--write]

A conditional logit (per query: which of its candidates are the real partners) over the
features `matchmaker.matching.scoring` scores:
ln of the text cosine, and the bounded evidence of the track record, similar past projects and
past partners. Examples are, per query of the random split's test part (seeds other than 0, the
seed the quality benchmark reports, so that it is not tuned on), the `--pool` profiles with the
highest text cosine and as many drawn at random from the rest; a member of the real consortium
is a positive. Both ways a profile can arrive (imported and over HTTP) contribute, each weighted
equally. The slopes are fitted under the constraints `Weights` enforces (evidence slopes >= 0;
all evidence at its caps worth less than a three-times better text fit). The score is then
calibrated (Platt scaling: an intercept, and one factor that multiplies every slope, fitted by
logistic regression) on every candidate of the same seeds' topic queries that shares a term
with the call: a score is the chance that an organisation with that fit is among the real
partners of such a call. The factor keeps the order and the ratios between slopes, so the text
still dominates. With --write the result replaces `matchmaker/matching/score_model.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, minimize

from matchmaker.evaluation.protocol import MODES, Query, load_benchmark
from matchmaker.evaluation.rankers import ranker_index
from matchmaker.matching import scoring
from matchmaker.matching.profile_index import Evidence, ProfileIndex
from matchmaker.matching.scoring import DOMINANCE_RATIO, Weights

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
MODEL = Path(scoring.__file__).with_name(scoring.MODEL_FILE)
FEATURES = ("text", "track_record", "similar_projects", "past_partners")
# The evidence may reach at most this share of what a three-times better text fit is worth.
MARGIN = 0.95


def feature_rows(found: Evidence, rows: np.ndarray) -> np.ndarray:
    """The score's features (FEATURES, in order) of some candidates of a query's evidence; a
    signal the query has none of (no partners given, no similar projects) is 0."""
    zeros = np.zeros(rows.size)
    shared = found.shared[rows] if found.shared is not None else zeros
    similar = found.similar[rows] if found.similar is not None else zeros
    return np.column_stack(
        [
            scoring.text_feature(found.cosine[rows]),
            scoring.track_feature(found.projects[rows]),
            scoring.similar_feature(similar),
            scoring.partners_feature(shared),
        ]
    )


def features(
    index: ProfileIndex,
    text: str,
    partners: frozenset[int],
    pool: int,
    wanted: set[int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The feature rows of one query's pool and whether each is a real partner."""
    found = index.evidence(text, partner_ids=partners, weights=Weights.fitted())
    order = np.argsort(-found.cosine, kind="stable")
    # The best `pool` by text and as many drawn from the rest: adding every real partner
    # instead would make a low cosine look like a sign of a partner (they are the only
    # low-cosine examples then).
    rest = rng.choice(order[pool:], size=min(pool, max(order.size - pool, 0)), replace=False)
    rows = np.union1d(order[:pool], rest)
    rows = rows[~np.isin(found.ids[rows], list(partners))]
    matrix = feature_rows(found, rows)
    labels = np.isin(found.ids[rows], list(wanted))
    return matrix, labels


Loss = Callable[[np.ndarray], tuple[float, np.ndarray]]


def conditional_logit(groups: list[tuple[np.ndarray, np.ndarray, float]]) -> Loss:
    """The negative log-likelihood (and its gradient) of a conditional logit over groups of
    (feature rows, which are real partners, the query's weight): per query, the softmax of the
    scores over its pool should put its weight on the real partners, shared among them."""
    matrix = np.vstack([x for x, _, _ in groups])
    labels = np.concatenate([y for _, y, _ in groups]).astype(np.float64)
    sizes = np.array([y.size for _, y, _ in groups])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # Per example: its query's weight shared among that query's partners.
    per_query = np.array([w / y.sum() for _, y, w in groups])
    target = labels * np.repeat(per_query, sizes)
    query_weight = np.array([w for _, _, w in groups])

    def loss(slopes: np.ndarray) -> tuple[float, np.ndarray]:
        score = matrix @ slopes
        peak = np.maximum.reduceat(score, starts)
        exp = np.exp(score - np.repeat(peak, sizes))
        total = np.add.reduceat(exp, starts)
        log_norm = peak + np.log(total)
        soft = exp / np.repeat(total, sizes)
        value = float(query_weight @ log_norm - target @ score)
        gradient = matrix.T @ (soft * np.repeat(query_weight, sizes) - target)
        return value, gradient

    return loss


def fit(groups: list[tuple[np.ndarray, np.ndarray, float]]) -> dict[str, float]:
    """The slopes of the conditional logit (`conditional_logit`). Evidence slopes are at least
    0, and all evidence at its caps stays below MARGIN of what a 3x better text fit is worth."""
    loss = conditional_logit(groups)
    caps = np.array(
        [
            0.0,
            float(scoring.track_feature(scoring.TRACK_RECORD_CAP)),
            float(scoring.similar_feature(scoring.SIMILAR_CAP)),
            float(scoring.partners_feature(scoring.PARTNERS_CAP)),
        ]
    )
    dominance = LinearConstraint(
        np.array([-MARGIN * math.log(DOMINANCE_RATIO), *caps[1:]]), -np.inf, 0.0
    )
    result = minimize(
        loss,
        x0=np.array([1.0, 0.01, 0.01, 0.01]),
        jac=True,
        method="trust-constr",
        bounds=Bounds([1e-3, 0.0, 0.0, 0.0], [np.inf] * 4),
        constraints=[dominance],
    )
    unconstrained = minimize(loss, x0=np.array([1.0, 0.0, 0.0, 0.0]), jac=True, method="L-BFGS-B")
    print("unconstrained:", dict(zip(FEATURES, np.round(unconstrained.x, 4).tolist(), strict=True)))
    return dict(zip(FEATURES, result.x.tolist(), strict=True))


def calibration_data(
    indexes: Sequence[tuple[ProfileIndex, Sequence[Query]]], slopes: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """For every topic query (a call's text, what suggestions answer): each candidate that
    shares a term with it (as a plain ranking lists them), its score's log-odds without the
    intercept under `slopes`, and whether it is a real partner."""
    weights = np.array([slopes[name] for name in FEATURES])
    linear: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    for index, queries in indexes:
        for query in queries:
            if query.kind != "topic":
                continue
            found = index.evidence(query.text, weights=Weights.fitted())
            rows = np.flatnonzero(found.cosine > 0)
            # A call's suggestions have no draft, so no past partners.
            linear.append(feature_rows(found, rows) @ weights)
            labels.append(np.isin(found.ids[rows], list(query.relevant)))
    return np.concatenate(linear), np.concatenate(labels)


def calibrate(linear: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt scaling: the intercept a and scale c for which 1 / (1 + exp(-(a + c x linear)))
    is the chance that a candidate is a real partner (maximum likelihood, every candidate
    weighed alike). The scale multiplies every slope, so the order, and every bound that is a
    ratio of the slopes, stay as fitted."""

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        logit = params[0] + params[1] * linear
        chance = 1 / (1 + np.exp(-logit))
        value = float(np.sum(np.logaddexp(0, logit) - labels * logit))
        residual = chance - labels
        return value, np.array([residual.sum(), residual @ linear])

    result = minimize(loss, x0=np.array([0.0, 1.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def main() -> None:
    """Fit, constrain, print and optionally write the coefficients."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--calibrate-only",
        action="store_true",
        help="Keep the shipped slopes (and so the order of every ranking); fit only the "
        "intercept and the scale.",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    groups: list[tuple[np.ndarray, np.ndarray, float]] = []
    indexes: list[tuple[ProfileIndex, Sequence[Query]]] = []
    for seed in args.seeds:
        for mode in MODES:
            benchmark = load_benchmark(args.data_dir, seed=seed, mode=mode)
            index = ranker_index(benchmark)
            indexes.append((index, benchmark.queries))
            if args.calibrate_only:
                continue
            found = [
                features(index, q.text, q.partners, args.pool, set(q.relevant), rng)
                for q in benchmark.queries
            ]
            found = [(x, y) for x, y in found if y.any()]
            # Each (seed, mode) weighs the same, each of its queries the same within it.
            groups += [(x, y, 1.0 / len(found)) for x, y in found]
            print(f"seed {seed}, {mode}: {len(found)} queries with a partner in their pool")
    if args.calibrate_only:
        shipped = Weights.fitted()
        slopes = {name: float(getattr(shipped, name)) for name in FEATURES}
    else:
        slopes = fit(groups)
    print("slopes:", {name: round(value, 4) for name, value in slopes.items()})
    linear, labels = calibration_data(indexes, slopes)
    intercept, scale = calibrate(linear, labels)
    print(
        f"calibration on {labels.size:,} candidates of topic queries ({int(labels.sum()):,} real "
        f"partners): intercept {intercept:.4f}, slopes x {scale:.4f}"
    )
    coefficients = {"intercept": intercept, **{k: v * scale for k, v in slopes.items()}}
    coefficients = {name: round(value, 4) for name, value in coefficients.items()}
    final = Weights(**coefficients)
    print(
        f"evidence at its caps multiplies the odds by {math.exp(final.evidence_cap):.2f} "
        f"(a 3x text fit: {DOMINANCE_RATIO**final.text:.2f})"
    )
    print("shipped:", coefficients)
    if args.write:
        MODEL.write_text(
            json.dumps(
                {
                    "about": "Coefficients of the suggestion score (matchmaker/matching/"
                    "scoring.py), fitted by `python -m benchmarks.fit_score --write` on the "
                    "CORDIS development data (random split, seeds "
                    + ", ".join(map(str, args.seeds))
                    + ", imported and HTTP-fed profiles) and calibrated on the same seeds' "
                    "topic queries, so that a score is the chance of being a real partner.",
                    "coefficients": coefficients,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"Wrote {MODEL}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
