"""Which signals could lift the ranking: an offline study on the CORDIS development data.

    python -m benchmarks.signals [--data-dir DIR] [--mode imported|http] [--fit-seed 1]
        [--ratios 3 5 10 30]

The product's score is a logistic model over a few features (`matchmaker.matching.scoring`),
its coefficients constrained so that the text fit dominates. This study asks what the data
would allow *without* that constraint, and whether candidate signals the product does not use
would add to it. Per query it gathers a pool of candidates (the 2,000 best text cosines and
the 500 best of every other signal) with:

- the product's features: ln cosine, track record, similar past projects, past partners;
- ``lsa``: cosine in a 200-dimension latent semantic space (TruncatedSVD of the profile
  index's rows), a text fit that also matches related words;
- ``graph``: ln(1 + 10 x the summed text cosines of the 30 best text matches the organisation
  took part in a past project with): partners of the best matches (pseudo-relevance feedback
  on the partnership graph);
- ``types``: one indicator per stakeholder type (a prior per type);
- ``votes``: ln(1 + 10 x the summed cosines of the organisation's past projects among the 150
  closest to the text), capped at `VOTES_CAP` summed cosines instead of the product's 1: the
  similar-projects evidence as a vote of the nearest projects' participants (k-nearest
  neighbours), where the product keeps only its first step;
- ``sharp``: the text cosine with the query's rarer words weighing more (each query weight
  times idf ** (`SHARP_IDF` - 1), then normalised), a text fit of another shape;
- ``area``: ln(1 + the organisation's past projects funded under the query's area of the work
  programme), capped at `AREA_CAP` (`benchmarks.programme_area`: a past project's area is
  known when the profile names its call, as imported profiles do, never over HTTP as the
  benchmark submits profiles);
- the shipped score with the cosine under pivoted length normalisation (Singhal, Buckley and
  Mitra, 1996): times |d| / ((1 - `PIVOT_SLOPE`) x mean |d| + `PIVOT_SLOPE` x |d|), |d| the
  length of the profile's TF-IDF vector before normalisation, so long profiles lose less;
- the shipped score with past projects weighed by their age in the track record (each counts
  0.5 ** (years before the latest year of any profile's project / half-life); half-lives
  `HALF_LIVES`), the freshness idea of issue 18, measured before any adoption.

A conditional logit per feature set is fitted on the random split's seed `--fit-seed`, both
unconstrained and under the product's constraint (evidence slopes at least 0, all evidence at
its caps worth less than 0.95 of a three-times better text fit, as `fit_score` fits it), and
measured (recall@50 within the pool) on random seed 0 and the temporal split, beside the
shipped score and the popularity baseline. A feature set that does not beat the plain features
unconstrained will not beat them under the constraint either.

Two ceilings beyond the linear fits: gradient-boosted trees over all the features (any shape
and interaction; `BOOSTING`), fitted on the same seed; and models fitted on each split itself,
on every other topic and measured on the remaining topics' queries and the other way round
(`held_out_topics`), so that a shift between the random and the temporal split cannot hide
what the features allow there.

With ``--ratios``, only the product's features are fitted, under the constraint relaxed to each
ratio given: all evidence at its caps worth less than a text fit that many times better (the
product's is 3). What each relaxation of issue 14's text-dominance property would buy, for the
team to weigh; the whole study is skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, minimize
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.fit_score import MARGIN, conditional_logit
from benchmarks.programme_area import DEFAULT_CAP, area_counts, programme_area
from matchmaker.evaluation.protocol import KINDS, MODES, Benchmark, Profile, load_benchmark
from matchmaker.evaluation.rankers import ranker_index
from matchmaker.matching import scoring
from matchmaker.matching.past_projects import project_ids
from matchmaker.matching.scoring import DOMINANCE_RATIO, Weights
from matchmaker.matching.text import distinct_activities, organisation_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cordis"
AT, POOL_TEXT, POOL_OTHER, GRAPH_SEEDS, LSA_COMPONENTS = 50, 2000, 500, 30, 200
HALF_LIVES = (1, 2, 4)
# How many real partners the text hardly points to: cosine below FAINT, ranked FAR or beyond.
FAINT, FAR = 0.05, 1000
VOTES_CAP, SHARP_IDF, PIVOT_SLOPE = 5.0, 1.25, 0.8
AREA_CAP = DEFAULT_CAP
PLAIN = ("text", "track_record", "similar_projects", "past_partners")
FEATURE_SETS = {
    "plain": PLAIN,
    "+ lsa": (*PLAIN, "lsa"),
    "+ graph": (*PLAIN, "graph"),
    "+ types": (*PLAIN, "types"),
    "+ votes": (*PLAIN, "votes"),
    "+ all": (*PLAIN, "lsa", "graph", "types", "votes"),
    "sharp text": ("sharp", "track_record", "similar_projects", "past_partners"),
    "+ area": (*PLAIN, "area"),
}
# The feature sets also fitted under the product's constraint, and each evidence feature's
# value at its cap (the text is first and unbounded).
CONSTRAINED = ("plain", "+ votes", "sharp text", "+ area")
# The nonlinear ceiling: gradient-boosted trees over the "+ all" features (any shape of each
# feature and any interaction of them, where the conditional logits are linear).
BOOSTING = {
    "learning_rate": 0.03,
    "max_iter": 400,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 300,
    "random_state": 0,
}
CAPS = {
    "track_record": float(scoring.track_feature(scoring.TRACK_RECORD_CAP)),
    "similar_projects": float(scoring.similar_feature(scoring.SIMILAR_CAP)),
    "past_partners": float(scoring.partners_feature(scoring.PARTNERS_CAP)),
    "votes": float(np.log1p(10 * VOTES_CAP)),
    "area": float(np.log1p(AREA_CAP)),
}


@dataclass
class Pool:
    """One query's candidates: their feature columns and which are real partners."""

    kind: str
    relevant: int
    columns: dict[str, np.ndarray]
    labels: np.ndarray
    topic: str = ""
    # Every real partner's text cosine and its rank by the shipped score among all candidates.
    partner_cosines: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    partner_ranks: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))


def gather(benchmark: Benchmark) -> tuple[list[Pool], list[str]]:
    """Every query's pool with every candidate feature, and the stakeholder types' names."""
    profiles = benchmark.profiles
    index = ranker_index(benchmark)
    weights = Weights.fitted()
    ids = np.asarray(sorted(p.id for p in profiles), dtype=np.int64)
    by_id = {p.id: p for p in profiles}
    position = {int(doc_id): row for row, doc_id in enumerate(ids)}
    keys: dict[int, int] = {}
    pairs = [
        (row, keys.setdefault(key, len(keys)))
        for row, doc_id in enumerate(ids)
        for key in project_ids(by_id[int(doc_id)])
    ]
    rows, cols = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T
    incidence = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(ids.size, len(keys)))
    partnered = (incidence @ incidence.T).tocsr()
    partnered.setdiag(0)
    partnered.eliminate_zeros()
    partnered.data[:] = 1.0
    type_names = sorted({p.stakeholder_type for p in profiles})
    types = np.asarray([type_names.index(by_id[int(i)].stakeholder_type) for i in ids])
    matrix = index.vectors(ids.tolist())
    svd = TruncatedSVD(n_components=LSA_COMPONENTS, random_state=0).fit(matrix)
    latent = _unit(svd.transform(matrix))
    aged = _aged_track_records([by_id[int(i)] for i in ids])
    pivot = _pivot_factors([by_id[int(i)] for i in ids], index.matcher.analyzer())
    idf = np.asarray(index.matcher._fitted().vocabulary.idf)
    rows_by_term = matrix.T.tocsr()
    areas = area_counts([by_id[int(i)] for i in ids])
    pools = []
    for query in benchmark.queries:
        found = index.evidence(query.text, partner_ids=query.partners, weights=weights)
        cosine = found.cosine
        vector = index._weighted(index.matcher, query.text, 0, weights)
        sparse = sp.csr_matrix(
            (vector.weights, (np.zeros(vector.terms.size, dtype=np.int64), vector.terms)),
            shape=(1, matrix.shape[1]),
        )
        best = np.argsort(-cosine, kind="stable")
        seeds = np.zeros(ids.size)
        seeds[best[:GRAPH_SEEDS]] = cosine[best[:GRAPH_SEEDS]]
        zeros = np.zeros(ids.size)
        similar = found.similar if found.similar is not None else zeros
        sharp = _sharpened(vector.terms, vector.weights, idf) @ rows_by_term[vector.terms]
        shared = found.shared if found.shared is not None else zeros
        columns = {
            "text": scoring.text_feature(cosine),
            "track_record": scoring.track_feature(found.projects),
            "similar_projects": scoring.similar_feature(similar),
            "past_partners": scoring.partners_feature(shared),
            "lsa": scoring.text_feature(latent @ _unit(svd.transform(sparse))[0]),
            "graph": np.log1p(10 * (partnered @ seeds)),
            "votes": np.log1p(10 * np.minimum(similar, VOTES_CAP)),
            "sharp": scoring.text_feature(sharp),
            "area": np.log1p(np.minimum(areas.get(programme_area(query.topic), zeros), AREA_CAP)),
            "product": weights.scores(cosine, found.projects, found.shared, found.similar),
            "product, pivoted": weights.scores(
                cosine * pivot, found.projects, found.shared, found.similar
            ),
            "popularity": found.projects + 1e-6 * cosine,
            **{
                f"product, half-life {life}": weights.scores(
                    cosine, counts, found.shared, found.similar
                )
                for life, counts in aged.items()
            },
        }
        chosen = set(best[:POOL_TEXT].tolist())
        for name in (
            "lsa",
            "graph",
            "product",
            "product, pivoted",
            "popularity",
            "similar_projects",
            "sharp",
            "area",
        ):
            chosen |= set(np.argsort(-columns[name], kind="stable")[:POOL_OTHER].tolist())
        chosen -= {position[p] for p in query.partners if p in position}
        pool = np.asarray(sorted(chosen), dtype=np.int64)
        wanted = [position[i] for i in query.relevant if i in position]
        picked = {name: column[pool] for name, column in columns.items()}
        for code, name in enumerate(type_names[1:], start=1):
            picked[f"type {name}"] = (types[pool] == code).astype(np.float64)
        shipped = columns["product"].copy()
        shipped[[position[p] for p in query.partners if p in position]] = -np.inf
        ranks = np.empty(ids.size, dtype=np.int64)
        ranks[np.argsort(-shipped, kind="stable")] = np.arange(ids.size)
        pools.append(
            Pool(
                query.kind,
                len(query.relevant),
                picked,
                np.isin(pool, wanted),
                query.topic,
                cosine[wanted],
                ranks[wanted],
            )
        )
    return pools, type_names


def findable(pools: list[Pool]) -> dict[str, tuple[float, float]]:
    """Per query kind, the share of real partners whose text cosine is below `FAINT` and the
    share the shipped score ranks beyond `FAR`: how many the text hardly points to at all."""
    shares = {}
    for kind in KINDS:
        chosen = [p for p in pools if p.kind == kind]
        cosines = np.concatenate([p.partner_cosines for p in chosen])
        ranks = np.concatenate([p.partner_ranks for p in chosen])
        shares[kind] = (float(np.mean(cosines < FAINT)), float(np.mean(ranks >= FAR)))
    return shares


def _aged_track_records(profiles: Sequence[Profile]) -> dict[int, np.ndarray]:
    """Per half-life, each profile's distinct past projects weighed by their age."""
    years = [
        [activity.get("year") for activity in distinct_activities(profile.activities)]
        for profile in profiles
    ]
    latest = max((year for row in years for year in row if year), default=0)
    return {
        life: np.asarray(
            [sum(0.5 ** ((latest - (year or latest)) / life) for year in row) for row in years]
        )
        for life in HALF_LIVES
    }


def _pivot_factors(profiles: Sequence[Profile], analyzer: Callable[[str], list[str]]) -> np.ndarray:
    """Per profile, what pivoted length normalisation multiplies its cosine by."""
    texts = [organisation_text(profile) for profile in profiles]
    raw = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, norm=None).fit_transform(texts)
    lengths = np.sqrt(np.asarray(raw.multiply(raw).sum(axis=1)).ravel())
    return lengths / ((1 - PIVOT_SLOPE) * lengths.mean() + PIVOT_SLOPE * lengths)


def _sharpened(terms: np.ndarray, weights: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Query weights with rarer words weighing more: times idf ** (SHARP_IDF - 1), normalised
    (a word added after the fit weighs as the rarest)."""
    factors = np.full(terms.size, idf.max() if idf.size else 1.0)
    known = terms < idf.size
    factors[known] = idf[terms[known]]
    sharp = weights * factors ** (SHARP_IDF - 1)
    return sharp / max(float(np.linalg.norm(sharp)), 1e-12)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def design(pool: Pool, names: Sequence[str]) -> np.ndarray:
    """The pool's feature matrix for a feature set (``types`` expands to its indicators)."""
    wanted = [
        column
        for name in names
        for column in (
            [c for c in pool.columns if c.startswith("type ")] if name == "types" else [name]
        )
    ]
    return np.column_stack([pool.columns[name] for name in wanted])


def fit(
    pools: list[Pool],
    names: Sequence[str],
    *,
    constrained: bool = False,
    ratio: float = DOMINANCE_RATIO,
) -> np.ndarray:
    """Conditional-logit slopes (each query's softmax on its real partners), unconstrained or
    under the product's constraint (`CAPS`; the first feature is the text), relaxed to `ratio`
    times better text fits if asked."""
    kept = [p for p in pools if p.labels.any()]
    # Each query weighs by its number of partners: every real partner counts the same.
    loss = conditional_logit(
        [(design(p, names), p.labels, p.labels.sum() / len(kept)) for p in kept]
    )
    start = np.zeros(design(pools[0], names).shape[1])
    start[0] = 1.0
    if not constrained:
        return minimize(loss, start, jac=True, method="L-BFGS-B").x
    caps = np.array([-MARGIN * np.log(ratio), *(CAPS[name] for name in names[1:])])
    start[1:] = 0.01
    return minimize(
        loss,
        start,
        jac=True,
        method="trust-constr",
        bounds=Bounds([1e-3] + [0.0] * (caps.size - 1), [np.inf] * caps.size),
        constraints=[LinearConstraint(caps, -np.inf, 0.0)],
    ).x


def _column(name: str) -> Callable[[Pool], np.ndarray]:
    return lambda pool: pool.columns[name]


def linear(names: Sequence[str], slopes: np.ndarray) -> Callable[[Pool], np.ndarray]:
    """The scores of a fitted feature set."""
    return lambda pool: design(pool, names) @ slopes


def recall(pools: list[Pool], score: Callable[[Pool], np.ndarray]) -> dict[str, float]:
    """Mean recall@50 per query kind of a scoring function over the pools."""
    result = {}
    for kind in KINDS:
        values = []
        for pool in (p for p in pools if p.kind == kind):
            scores = score(pool)
            top = np.argsort(-scores, kind="stable")[:AT]
            values.append(pool.labels[top].sum() / pool.relevant if pool.relevant else 0.0)
        result[kind] = float(np.mean(values)) if values else 0.0
    return result


def boosted(pools: list[Pool], names: Sequence[str]) -> Callable[[Pool], np.ndarray]:
    """Gradient-boosted trees (`BOOSTING`) over a feature set, each query's candidates weighing
    1 / its number of partners as in the conditional logits."""
    matrix = np.vstack([design(p, names) for p in pools])
    labels = np.concatenate([p.labels for p in pools])
    weights = np.concatenate([np.full(p.labels.size, 1 / max(p.relevant, 1)) for p in pools])
    model = HistGradientBoostingClassifier(**BOOSTING).fit(matrix, labels, sample_weight=weights)
    return lambda pool: model.predict_proba(design(pool, names))[:, 1]


Fitter = Callable[[list[Pool]], Callable[[Pool], np.ndarray]]


def held_out_topics(pools: list[Pool], fitter: Fitter) -> Callable[[Pool], np.ndarray]:
    """Scores fitted on the split itself without leaking: a model fitted on every other topic
    (by code) scores the remaining topics' queries, and the other way round. A topic and its
    projects' queries share their organisations, so no topic is on both sides."""
    topics = sorted({p.topic for p in pools})
    first = set(topics[::2])
    models = {
        True: fitter([p for p in pools if p.topic not in first]),
        False: fitter([p for p in pools if p.topic in first]),
    }
    return lambda pool: models[pool.topic in first](pool)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def relaxed(pools: dict[str, list[Pool]], header: Sequence[str], ratios: Sequence[float]) -> None:
    """The product's features, alone and with the area of the work programme, fitted under the
    constraint relaxed to each ratio, and unbound."""
    rows = []
    fits: dict[str, tuple[Sequence[str], np.ndarray | None]] = {"shipped score": (PLAIN, None)}
    for label, chosen in (("product's features", PLAIN), ("+ area", FEATURE_SETS["+ area"])):
        for ratio in ratios:
            fits[f"{label}, text wins at {ratio:g}x"] = (
                chosen,
                fit(pools["fit"], chosen, constrained=True, ratio=ratio),
            )
        fits[f"{label}, unconstrained"] = (chosen, fit(pools["fit"], chosen))
    for label, (names, slopes) in fits.items():
        score = _column("product") if slopes is None else linear(names, slopes)
        if slopes is not None:
            print(f"{label}: slopes {np.round(slopes, 3).tolist()}")
        cells = [recall(pools[s], score) for s in ("random 0", "temporal")]
        rows.append([label, *(f"{c[k]:.3f}" for c in cells for k in KINDS)])
    print(f"\nrecall@{AT} within each query's pool")
    table(header, rows)


def main() -> None:
    """Gather, fit each feature set on one split and measure it on the others."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mode", choices=MODES, default="imported")
    parser.add_argument("--fit-seed", type=int, default=1)
    parser.add_argument("--ratios", type=float, nargs="+", metavar="RATIO")
    args = parser.parse_args()
    started = time.perf_counter()
    splits = {
        "fit": {"split": "random", "seed": args.fit_seed},
        "random 0": {"split": "random", "seed": 0},
        "temporal": {"split": "temporal", "seed": 0},
    }
    pools = {}
    for name, shape in splits.items():
        benchmark = load_benchmark(args.data_dir, mode=args.mode, **shape)
        pools[name], _ = gather(benchmark)
        print(f"{name}: {len(pools[name])} queries ({time.perf_counter() - started:.0f} s)")
    header = ["ranking", *(f"{s} {k}" for s in ("random 0", "temporal") for k in KINDS)]
    if args.ratios:
        relaxed(pools, header, args.ratios)
        return
    rows = []
    scorers: dict[str, Callable[[Pool], np.ndarray]] = {
        "popularity": lambda p: p.columns["popularity"],
        "shipped score": lambda p: p.columns["product"],
        **{
            f"shipped, projects by age (half-life {life})": _column(f"product, half-life {life}")
            for life in HALF_LIVES
        },
        f"shipped, pivoted length (slope {PIVOT_SLOPE})": _column("product, pivoted"),
    }
    for label, names in FEATURE_SETS.items():
        slopes = fit(pools["fit"], names)
        print(f"{label}: slopes {np.round(slopes, 3).tolist()}")
        scorers[f"unconstrained {label}"] = linear(names, slopes)
    for label in CONSTRAINED:
        names = FEATURE_SETS[label]
        slopes = fit(pools["fit"], names, constrained=True)
        print(f"{label}, constrained: slopes {np.round(slopes, 3).tolist()}")
        scorers[f"constrained {label}"] = linear(names, slopes)
    everything = FEATURE_SETS["+ all"]
    scorers["gradient boosting + all"] = boosted(pools["fit"], everything)
    for label, score in scorers.items():
        cells = [recall(pools[s], score) for s in ("random 0", "temporal")]
        rows.append([label, *(f"{c[k]:.3f}" for c in cells for k in KINDS)])
    fitters: dict[str, Fitter] = {
        "plain": lambda chosen: linear(PLAIN, fit(chosen, PLAIN)),
        "+ all": lambda chosen: linear(everything, fit(chosen, everything)),
        "gradient boosting + all": lambda chosen: boosted(chosen, everything),
    }
    for label, fitter in fitters.items():
        cells = [
            recall(pools[s], held_out_topics(pools[s], fitter)) for s in ("random 0", "temporal")
        ]
        print(f"held-out topics, {label} ({time.perf_counter() - started:.0f} s)")
        rows.append(
            [
                f"own split, other half of the topics: {label}",
                *(f"{c[k]:.3f}" for c in cells for k in KINDS),
            ]
        )
    print(f"\nrecall@{AT} within each query's pool, mode {args.mode}")
    table(header, rows)
    print(
        f"\nreal partners with a text cosine below {FAINT} / ranked {FAR} or beyond by the "
        "shipped score, all candidates"
    )
    print("| split | " + " | ".join(KINDS) + " |")
    print("|" + "---|" * (len(KINDS) + 1))
    for name in ("random 0", "temporal"):
        shares = findable(pools[name])
        shown = [f"{shares[k][0]:.2f} / {shares[k][1]:.2f}" for k in KINDS]
        print(f"| {name} | " + " | ".join(shown) + " |")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
