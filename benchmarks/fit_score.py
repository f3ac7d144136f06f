"""Fit the suggestion score's coefficients on the CORDIS development data and print them.

    python -m benchmarks.fit_score [--data-dir DIR] [--seeds 1 2] [--pool 300]
        [--calibrate-only | --partners-only] [--write]

A conditional logit (per query: which of its candidates are the real partners) over the
features `matchmaker.matching.scoring` scores: ln of the text cosine, and the bounded evidence
of the track record and similar past projects. Examples are, per query of the random split's
test part (seeds other than 0, the seed the quality benchmark reports, so that it is not tuned
on), the `--pool` profiles with the highest text cosine and as many drawn at random from the
rest; a member of the real consortium is a positive. Both ways a profile can arrive (imported
and over HTTP) contribute, each weighted equally. The slopes are fitted under the constraints
`Weights` enforces (evidence slopes >= 0; the evidence at its caps within the budget, less than
a three-times better text fit). The score is then calibrated (Platt scaling: an intercept, and
one factor that multiplies every slope, fitted by logistic regression) on every candidate of the
same seeds' topic queries that shares a term with the call: a score is the chance that an
organisation with that fit is among the real partners of such a call. The factor keeps the
order and the ratios between slopes, so the text still dominates.

Last, the past partners' slope, on the same seeds' draft queries (a project's coordinator given
as the draft, the rest of its consortium to find) with every other coefficient as fitted:
projects shared with a draft's members fill the room the other evidence leaves in the budget,
and the slope is the one of `PARTNERS_SLOPES` under which the draft queries' full rankings find
the most of their consortia (recall@50).
`--calibrate-only` keeps the shipped slopes and fits the intercept and scale; `--partners-only`
keeps every other coefficient and fits the past partners' slope. With --write the result
replaces `matchmaker/matching/score_model.json`.
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
# The slopes fitted jointly; past partners come after (`fit_partners`).
JOINT = ("text", "track_record", "similar_projects")
# The evidence may reach at most this share of what a three-times better text fit is worth.
MARGIN = 0.95
# The past partners' slopes tried (`fit_partners`), and the recall that picks one.
PARTNERS_SLOPES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
RECALL_AT = 50


def feature_rows(found: Evidence, rows: np.ndarray) -> np.ndarray:
    """The jointly fitted features (JOINT, in order) of some candidates of a query's evidence;
    no similar projects counts as 0."""
    similar = found.similar[rows] if found.similar is not None else np.zeros(rows.size)
    return np.column_stack(
        [
            scoring.text_feature(found.cosine[rows]),
            scoring.track_feature(found.projects[rows]),
            scoring.similar_feature(similar),
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
    """The slopes of the conditional logit (`conditional_logit`) over the JOINT features.
    Evidence slopes are at least 0, and the evidence at its caps stays below MARGIN of what a
    3x better text fit is worth."""
    loss = conditional_logit(groups)
    caps = np.array(
        [
            0.0,
            float(scoring.track_feature(scoring.TRACK_RECORD_CAP)),
            float(scoring.similar_feature(scoring.SIMILAR_CAP)),
        ]
    )
    dominance = LinearConstraint(
        np.array([-MARGIN * math.log(DOMINANCE_RATIO), *caps[1:]]), -np.inf, 0.0
    )
    result = minimize(
        loss,
        x0=np.array([1.0, 0.01, 0.01]),
        jac=True,
        method="trust-constr",
        bounds=Bounds([1e-3, 0.0, 0.0], [np.inf] * 3),
        constraints=[dominance],
    )
    unconstrained = minimize(loss, x0=np.array([1.0, 0.0, 0.0]), jac=True, method="L-BFGS-B")
    print("unconstrained:", dict(zip(JOINT, np.round(unconstrained.x, 4).tolist(), strict=True)))
    return dict(zip(JOINT, result.x.tolist(), strict=True))


def fit_partners(
    indexes: Sequence[tuple[ProfileIndex, Sequence[Query]]], weights: Weights
) -> float:
    """The past partners' slope (of PARTNERS_SLOPES) under which the draft queries' full
    rankings find the most of their consortia (mean recall@RECALL_AT; each index, a seed and
    mode, weighs the same), every other coefficient as in `weights`. Recall, not likelihood:
    the likelihood keeps rising with the slope until one shared project fills the whole room,
    while recall levels off between slopes of 1 and 2 and then falls a little."""
    recalls = np.zeros((len(indexes), len(PARTNERS_SLOPES)))
    for at, (index, queries) in enumerate(indexes):
        drafts = [q for q in queries if q.kind == "draft"]
        for query in drafts:
            found = index.evidence(query.text, partner_ids=query.partners, weights=weights)
            track = weights.track_term(found.projects)
            similar = weights.similar_term(found.similar if found.similar is not None else 0.0)
            base = weights.text_term(found.cosine) + track + similar
            shared = scoring.partners_feature(found.shared if found.shared is not None else 0.0)
            room = weights.room(track, similar)
            outside = np.isin(found.ids, list(query.partners))
            wanted = np.isin(found.ids, list(query.relevant))
            for column, slope in enumerate(PARTNERS_SLOPES):
                score = np.where(outside, -np.inf, base + np.minimum(slope * shared, room))
                top = np.argpartition(-score, RECALL_AT)[:RECALL_AT]
                recalls[at, column] += wanted[top].sum() / len(query.relevant) / len(drafts)
    mean = recalls.mean(axis=0)
    print("past partners' slope: mean recall@50 of the draft queries")
    for slope, value in zip(PARTNERS_SLOPES, mean, strict=True):
        print(f"  {slope:5.2f}  {value:.4f}")
    return float(PARTNERS_SLOPES[int(np.argmax(mean))])


def calibration_data(
    indexes: Sequence[tuple[ProfileIndex, Sequence[Query]]], slopes: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """For every topic query (a call's text, what suggestions answer): each candidate that
    shares a term with it (as a plain ranking lists them), its score's log-odds without the
    intercept under `slopes`, and whether it is a real partner."""
    weights = np.array([slopes[name] for name in JOINT])
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
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--calibrate-only",
        action="store_true",
        help="Keep the shipped slopes (and so the order of every ranking); fit only the "
        "intercept and the scale.",
    )
    only.add_argument(
        "--partners-only",
        action="store_true",
        help="Keep every other shipped coefficient; fit only the past partners' slope.",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    shipped = Weights.fitted()
    groups: list[tuple[np.ndarray, np.ndarray, float]] = []
    indexes: list[tuple[ProfileIndex, Sequence[Query]]] = []
    for seed in args.seeds:
        for mode in MODES:
            benchmark = load_benchmark(args.data_dir, seed=seed, mode=mode)
            index = ranker_index(benchmark)
            indexes.append((index, benchmark.queries))
            if args.calibrate_only:
                continue
            wanted = [q for q in benchmark.queries if not args.partners_only or q.kind == "draft"]
            found = [
                (q.kind, *features(index, q.text, q.partners, args.pool, set(q.relevant), rng))
                for q in wanted
            ]
            found = [(kind, x, y) for kind, x, y in found if y.any()]
            # Each (seed, mode) weighs the same, each of its queries the same within it.
            groups += [(x, y, 1.0 / len(found)) for _, x, y in found]
            print(f"seed {seed}, {mode}: {len(found)} queries with a partner in their pool")
    if args.calibrate_only or args.partners_only:
        slopes = {name: float(getattr(shipped, name)) for name in JOINT}
    else:
        slopes = fit(groups)
    print("slopes:", {name: round(value, 4) for name, value in slopes.items()})
    if args.partners_only:
        intercept, scale = shipped.intercept, 1.0
    else:
        linear, labels = calibration_data(indexes, slopes)
        intercept, scale = calibrate(linear, labels)
        print(
            f"calibration on {labels.size:,} candidates of topic queries "
            f"({int(labels.sum()):,} real partners): intercept {intercept:.4f}, "
            f"slopes x {scale:.4f}"
        )
    coefficients = {"intercept": intercept, **{k: v * scale for k, v in slopes.items()}}
    coefficients = {name: round(value, 4) for name, value in coefficients.items()}
    if args.calibrate_only:
        partners = shipped.past_partners * scale
    else:
        partners = fit_partners(indexes, Weights(**coefficients, past_partners=0.0))
    coefficients["past_partners"] = round(partners, 4)
    final = Weights(**coefficients)
    print(
        f"the track record and similar projects at their caps multiply the odds by "
        f"{math.exp(final.evidence_cap):.2f}, all evidence at most by "
        f"{math.exp(final.evidence_budget):.2f} (a 3x text fit: {DOMINANCE_RATIO**final.text:.2f})"
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
                    "topic queries, so that a score is the chance of being a real partner; "
                    "the past partners' slope is the one that finds most of their draft "
                    "queries' consortia.",
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
